// @ts-check
/** @import { DeadLetter, RedeliveryJob, Subscription } from '../api/types.js' */
import { useEffect, useState } from 'preact/hooks';
import { errorText } from '../api/api-error.js';
import { Api } from '../api/endpoints.js';
import { Banner } from '../components/banner.js';
import { withValue } from '../components/form.js';
import { html } from '../components/html.js';
import { usePoll } from '../hooks/use-poll.js';

/** Bytes as a person reads them. @param {number} n */
const size = (n) => (n >= 1048576 ? `${(n / 1048576).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);

/** @param {RedeliveryJob | null} job */
const isRunning = (job) => !!job && (job.state === 'queued' || job.state === 'running');

/**
 * Dead letters (operators). The list (polled) holds excerpts; the selected one is read whole from
 * GET /api/dead-letters/:id, again only when it changed. "Redeliver all pending" starts a
 * background job and follows it until it ends, with a cancel button.
 */
export function DeadLetters() {
  const [subs, setSubs] = useState(/** @type {Subscription[]} */ ([]));
  const [subscriptionId, setSubscriptionId] = useState('');
  const [state, setState] = useState('pending');
  const [rows, setRows] = useState(/** @type {DeadLetter[]} */ ([]));
  const [selectedId, setSelectedId] = useState(/** @type {number | null} */ (null));
  const [selected, setSelected] = useState(/** @type {DeadLetter | null} */ (null));
  const [job, setJob] = useState(/** @type {RedeliveryJob | null} */ (null));
  const [error, setError] = useState('');
  const [ok, setOk] = useState('');
  const load = async () => {
    setSubs(await Api.subscriptions());
    const q = new URLSearchParams({ limit: '200' });
    if (subscriptionId) q.set('subscriptionId', subscriptionId);
    if (state) q.set('state', state);
    setRows(await Api.deadLetters(q));
    setError('');
  };
  usePoll(load, 3000, [subscriptionId, state], (err) => setError(errorText(err)));
  // The whole row of the selected one, read again when the list shows it changed.
  const listed = rows.find((r) => r.id === selectedId);
  const version = listed ? listed.updatedAt : '';
  useEffect(() => {
    if (selectedId === null) return setSelected(null);
    let current = true;
    Api.deadLetter(selectedId).then(
      (row) => current && setSelected(row),
      (err) => current && setError(errorText(err)),
    );
    return () => {
      current = false;
    };
  }, [selectedId, version]);
  // A running job is followed every second until it ends.
  const jobRunning = isRunning(job);
  usePoll(
    async () => {
      if (!job || !jobRunning) return;
      const now = await Api.redeliveryJob(job.id);
      setJob(now);
      if (!isRunning(now)) await load();
    },
    1000,
    [job && job.id, jobRunning],
    (err) => setError(errorText(err)),
  );
  /** Runs one action and shows what it returns. @param {() => Promise<string>} fn */
  const run = async (fn) => {
    try {
      setOk(await fn());
      setError('');
      await load();
    } catch (err) {
      setError(errorText(err));
    }
  };
  /** @param {DeadLetter} letter @param {'redeliver' | 'discard'} verb */
  const one = (letter, verb) =>
    run(async () => {
      const row = await Api.redeliverOrDiscard(letter.id, verb);
      setSelected(row);
      return `Dead letter #${letter.id}: ${row.state}.`;
    });
  const redeliverAll = () =>
    run(async () => {
      if (!confirm('Redeliver the pending dead letters of this subscription (in the background; you can cancel)?')) return '';
      setJob(await Api.startRedeliveryJob(Number(subscriptionId)));
      return '';
    });
  const discardAll = () =>
    run(async () => {
      if (!confirm('Discard every pending dead letter of this subscription?')) return '';
      return `Discarded ${(await Api.discardAll(Number(subscriptionId))).discarded ?? 0}.`;
    });
  /** @param {RedeliveryJob} running */
  const cancelJob = (running) =>
    run(async () => {
      setJob(await Api.cancelRedeliveryJob(running.id));
      return 'Cancelling: the job stops before its next record.';
    });
  /** @param {string} name */
  const cut = (name) => !!selected && selected.excerptedFields && selected.excerptedFields[name] !== undefined;
  return html`<h2>Dead letters</h2><${Banner} error=${error} ok=${ok} />
    <div class="row" style="margin-bottom:.8rem">
      <select name="subscription" style="width:auto" value=${subscriptionId} onChange=${withValue(setSubscriptionId)}>
        <option value="">all subscriptions</option>
        ${subs.map((s) => html`<option value=${String(s.id)}>${s.name}</option>`)}
      </select>
      <select name="state" style="width:auto" value=${state} onChange=${withValue(setState)}>
        <option value="pending">pending</option><option value="redelivered">redelivered</option><option value="discarded">discarded</option><option value="">any state</option>
      </select>
      ${subscriptionId && html`<button disabled=${jobRunning} onClick=${redeliverAll}>Redeliver all pending</button><button class="danger" onClick=${discardAll}>Discard all pending</button>`}
    </div>
    ${
      job &&
      html`<div class="card" data-testid="redelivery-job" style="margin-bottom:.8rem">
      <div class="row"><b>Re-delivery job</b> <span data-testid="job-state">${job.state}</span>
        <span>${job.done} of ${job.total} done: ${job.succeeded} redelivered, ${job.failed} failed, ${job.discarded} discarded${job.skipped ? `, ${job.skipped} skipped` : ''}</span>
        ${jobRunning && !job.cancelRequested && html`<button class="danger" onClick=${() => cancelJob(job)}>Cancel</button>`}
        ${!jobRunning && html`<button onClick=${() => setJob(null)}>Dismiss</button>`}</div>
      ${job.total > 0 && html`<progress max=${job.total} value=${job.done} style="width:100%"></progress>`}
      ${job.more && !jobRunning && html`<p class="muted">More were pending than one job covers (${job.limit}); start another for the rest.</p>`}
      ${job.error && html`<p>${job.error}</p>`}
    </div>`
    }
    <table data-testid="dead-letters"><thead><tr><th>#</th><th>subscription</th><th>partition:offset</th><th>reason</th><th>attempts</th><th>last status</th><th>value</th><th>state</th><th>when</th></tr></thead>
      <tbody>${rows.map(
        (r) => html`<tr class=${`clickable${selectedId === r.id ? ' selected' : ''}`} onClick=${() => setSelectedId(r.id)} data-dead-letter=${r.id}>
          <td>${r.id}</td><td>${subs.find((s) => s.id === r.subscriptionId)?.name || r.subscriptionId}</td><td>${r.partition}:${r.offset}</td>
          <td>${r.reason}</td><td>${r.attempts}</td><td>${r.lastStatus ?? '–'}</td><td>${r.valueBytes === null ? '–' : size(r.valueBytes)}</td><td>${r.state}</td><td>${new Date(r.createdAt).toLocaleString()}</td></tr>`,
      )}</tbody></table>
    ${rows.length === 0 ? html`<p class="muted">None.</p>` : ''}
    ${selectedId !== null && !selected && html`<p class="muted">Loading #${selectedId}…</p>`}
    ${
      selected &&
      html`<div class="card" style="margin-top:1rem" data-testid="dead-letter-detail">
      <div class="row"><h3 style="margin:0">Dead letter #${selected.id}</h3>
        ${selected.state === 'pending' && html`<button class="primary" onClick=${() => one(selected, 'redeliver')}>Redeliver</button><button class="danger" onClick=${() => one(selected, 'discard')}>Discard</button>`}</div>
      <p><b>Error:</b> ${selected.lastError || '–'}</p>
      <div class="grid">
        <div><h3>Record value${selected.valueEncoding === 'base64' ? ' (base64)' : ''}${selected.valueBytes !== null ? ` · ${size(selected.valueBytes)}` : ''}${cut('value') ? ' · excerpt' : ''}</h3><pre>${selected.value ?? '(none)'}</pre></div>
        <div><h3>Last response</h3><pre>${selected.responseExcerpt ?? '(none)'}</pre></div>
      </div>
      ${selected.transformedBody && html`<h3>Body sent</h3><pre>${selected.transformedBody}</pre>`}
    </div>`
    }`;
}

// @ts-check
/** @import { BulkJobRequest, DeadLetter, DeadLetterFilter, DeadLetterReason, RedeliveryJob, Subscription } from '../api/types.js' */
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from '../api/api-error.js';
import { Api } from '../api/endpoints.js';
import { Banner } from '../components/banner.js';
import { FilterInput } from '../components/filter-input.js';
import { checkedOf, withValue } from '../components/form.js';
import { html } from '../components/html.js';
import { PAGE_SIZES, Pager } from '../components/pager.js';
import { goToQuery, routeQuery } from '../hooks/hash-query.js';
import { usePoll } from '../hooks/use-poll.js';

/** Bytes as a person reads them. @param {number} n */
const size = (n) => (n >= 1048576 ? `${(n / 1048576).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);

/** @param {RedeliveryJob | null} job */
const isRunning = (job) => !!job && (job.state === 'queued' || job.state === 'running');

/** The reasons a dead letter can have (DeadLetterReason in src/model). @type {DeadLetterReason[]} */
const REASONS = ['no_value', 'too_large', 'not_json', 'too_deep', 'etl_error', 'path_not_matched', 'rejected', 'retries_exhausted', 'internal_error', 'parked'];
const DEFAULT_SIZE = '50';
/** The route's filter keys; `state` is "any" for every state (absent means pending). */
const KEYS = /** @type {const} */ (['subscriptionId', 'reason', 'state', 'createdFrom', 'createdTo']);
/** @typedef {Record<(typeof KEYS)[number], string>} Filters */

/** An ISO 8601 instant as a datetime-local input shows it, in the browser's time zone ('' for none or a bad one). @param {string} iso */
function toLocalInput(iso) {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return '';
  const p = (/** @type {number} */ n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** A datetime-local input's value (the browser's time zone) as ISO 8601 in UTC, which the API takes; '' stays ''. @param {string} local */
function fromLocalInput(local) {
  const d = new Date(local);
  return !local || Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

/** The route's filters as GET /api/dead-letters's query (no state: pending; "any": every state). @param {Filters} f */
function listQuery(f) {
  const q = new URLSearchParams();
  if (f.subscriptionId) q.set('subscriptionId', f.subscriptionId);
  if (f.reason) q.set('reason', f.reason);
  if (f.state !== 'any') q.set('state', f.state || 'pending');
  if (f.createdFrom) q.set('createdFrom', f.createdFrom);
  if (f.createdTo) q.set('createdTo', f.createdTo);
  return q;
}

/** The bulk-job filter of the route's filters, or null when it names nothing the API accepts alone (state is not enough). @param {Filters} f */
function bulkFilter(f) {
  /** @type {DeadLetterFilter} */
  const filter = { state: 'pending' };
  if (f.subscriptionId) filter.subscriptionId = Number(f.subscriptionId);
  if (f.reason) filter.reason = /** @type {DeadLetterReason} */ (f.reason);
  if (f.createdFrom) filter.createdFrom = f.createdFrom;
  if (f.createdTo) filter.createdTo = f.createdTo;
  return Object.keys(filter).length > 1 ? filter : null;
}

/**
 * Dead letters (operators), filtered by subscription, reason, state and when they became dead
 * letters, paged newest first (GET /api/dead-letters: beforeId, X-Total-Count); the filters and
 * the page live in the route's query (#/dead-letters?reason=rejected&at=<beforeId>,…). The list
 * (polled) holds excerpts; the one clicked is read whole from GET /api/dead-letters/:id, again
 * only when it changed, with re-deliver and discard. Pending rows can be ticked (one by one or the
 * whole page) and re-delivered or discarded together, or everything pending the filter matches:
 * after a confirmation naming how many, a bulk job (POST /api/dead-letters/bulk-jobs) runs in the
 * background and the page follows its progress until it ends, with a cancel button.
 * @param {{route: string}} props
 */
export function DeadLetters({ route }) {
  const params = routeQuery(route);
  const filters = /** @type {Filters} */ (Object.fromEntries(KEYS.map((k) => [k, params.get(k) || ''])));
  const pageSize = PAGE_SIZES.includes(params.get('limit') || '') ? /** @type {string} */ (params.get('limit')) : DEFAULT_SIZE;
  const trail = (params.get('at') || '').split(',').filter((id) => /^\d+$/.test(id));
  const query = listQuery(filters);
  query.set('limit', pageSize);
  if (trail.length) query.set('beforeId', trail[trail.length - 1]);
  const queryText = query.toString();
  const filterText = listQuery(filters).toString();

  const [subs, setSubs] = useState(/** @type {Subscription[]} */ ([]));
  const [rows, setRows] = useState(/** @type {DeadLetter[] | null} */ (null));
  const [total, setTotal] = useState(/** @type {number | null} */ (null));
  const [nextBefore, setNextBefore] = useState(/** @type {string | null} */ (null));
  const [ticked, setTicked] = useState(/** @type {Set<number>} */ (new Set()));
  const [selectedId, setSelectedId] = useState(/** @type {number | null} */ (null));
  const [selected, setSelected] = useState(/** @type {DeadLetter | null} */ (null));
  const [job, setJob] = useState(/** @type {RedeliveryJob | null} */ (null));
  const [error, setError] = useState('');
  const [ok, setOk] = useState('');

  /** @param {Partial<Filters & {limit: string}>} change */
  const refilter = (change) => goToQuery('#/dead-letters', { ...filters, limit: pageSize === DEFAULT_SIZE ? '' : pageSize, ...change });
  /** @param {string[]} at */
  const toPage = (at) => goToQuery('#/dead-letters', { ...filters, limit: pageSize === DEFAULT_SIZE ? '' : pageSize, at: at.join(',') });
  /** @param {keyof Filters} key */
  const onFilter = (key) => withValue((v) => refilter({ [key]: v }));
  // Ticks belong to the filter they were made under: another filter starts with none.
  useEffect(() => setTicked(new Set()), [filterText]);

  // The names for the subscription filter and the rows: read on opening, then twice a minute.
  usePoll(
    async () => setSubs(await Api.subscriptions()),
    30_000,
    [],
    (err) => setError(errorText(err)),
  );
  const latest = useRef(queryText);
  latest.current = queryText;
  const load = async () => {
    const page = await Api.deadLetterPage(query);
    // The filters or the page changed while this was read (or a job's end reloads an older one).
    if (latest.current !== queryText) return;
    const limit = Number(pageSize);
    const last = page.rows[page.rows.length - 1];
    // The byte bound names the next page in Link; a full page may have one after it.
    setNextBefore(page.next ? page.next.get('beforeId') : last && page.rows.length >= limit ? String(last.id) : null);
    setRows(page.rows);
    setTotal(page.total);
    setError('');
  };
  usePoll(load, 3000, [queryText], (err) => setError(errorText(err)));
  // The whole row of the selected one, read again when the list shows it changed.
  const listed = (rows || []).find((r) => r.id === selectedId);
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
  /** @param {'redeliver' | 'discard'} action */
  const verb = (action) => (action === 'redeliver' ? 'Re-deliver' : 'Discard');
  /** @param {'redeliver' | 'discard'} action */
  const bulkTicked = (action) =>
    run(async () => {
      const ids = [...ticked].sort((a, b) => a - b);
      if (
        !confirm(
          `${verb(action)} the ${ids.length} selected dead letter${ids.length === 1 ? '' : 's'} (only those still pending; in the background, you can cancel)?`,
        )
      )
        return '';
      setJob(await Api.startBulkJob({ action, ids }));
      setTicked(new Set());
      return '';
    });
  /** @param {'redeliver' | 'discard'} action */
  const bulkFiltered = (action) =>
    run(async () => {
      const filter = bulkFilter(filters);
      if (!filter) return '';
      // How many it takes, asked now: every pending dead letter the filter matches, on every page.
      const pending = listQuery({ ...filters, state: 'pending' });
      pending.set('limit', '1');
      const count = (await Api.deadLetterPage(pending)).total;
      if (count === 0) return 'No pending dead letter matches this filter.';
      const what = count === null ? 'every pending dead letter' : `the ${count} pending dead letter${count === 1 ? '' : 's'}`;
      if (!confirm(`${verb(action)} ${what} matching ${describe(filter)} (in the background, you can cancel)?`)) return '';
      /** @type {BulkJobRequest} */
      const body = { action, filter };
      setJob(await Api.startBulkJob(body));
      return '';
    });
  /** The filter in words, for the confirmation. @param {DeadLetterFilter} f */
  const describe = (f) =>
    [
      f.subscriptionId !== undefined && `subscription ${subs.find((s) => s.id === f.subscriptionId)?.name || `#${f.subscriptionId}`}`,
      f.reason && `reason ${f.reason}`,
      f.createdFrom && `from ${new Date(f.createdFrom).toLocaleString()}`,
      f.createdTo && `until ${new Date(f.createdTo).toLocaleString()}`,
    ]
      .filter(Boolean)
      .join(', ');
  /** @param {RedeliveryJob} running */
  const cancelJob = (running) =>
    run(async () => {
      setJob(await Api.cancelRedeliveryJob(running.id));
      return 'Cancelling: the job stops before its next record.';
    });
  /** @param {number} id @param {boolean} on */
  const tick = (id, on) =>
    setTicked((all) => {
      const next = new Set(all);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  const tickable = (rows || []).filter((r) => r.state === 'pending');
  const allTicked = tickable.length > 0 && tickable.every((r) => ticked.has(r.id));
  /** @param {boolean} on */
  const tickPage = (on) =>
    setTicked((all) => {
      const next = new Set(all);
      for (const r of tickable)
        if (on) next.add(r.id);
        else next.delete(r.id);
      return next;
    });
  const canBulkFilter = !!bulkFilter(filters) && (filters.state === '' || filters.state === 'pending' || filters.state === 'any');
  /** @param {string} name */
  const cut = (name) => !!selected && selected.excerptedFields && selected.excerptedFields[name] !== undefined;
  const named = [...subs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return html`<h2>Dead letters</h2><${Banner} error=${error} ok=${ok} />
    <div class="row filters" data-testid="dead-letter-filters">
      <select name="subscription" style="width:auto" value=${filters.subscriptionId} onChange=${onFilter('subscriptionId')}>
        <option value="">all subscriptions</option>
        ${named.map((s) => html`<option value=${String(s.id)}>${s.name}</option>`)}
      </select>
      <select name="reason" style="width:auto" value=${filters.reason} onChange=${onFilter('reason')}>
        <option value="">any reason</option>
        ${REASONS.map((r) => html`<option value=${r}>${r.replace(/_/g, ' ')}</option>`)}
      </select>
      <select name="state" style="width:auto" value=${filters.state || 'pending'} onChange=${withValue((v) => refilter({ state: v === 'pending' ? '' : v }))}>
        <option value="pending">pending</option><option value="redelivered">redelivered</option><option value="discarded">discarded</option><option value="any">any state</option>
      </select>
      <label class="inline"><span>from</span><${FilterInput} name="createdFrom" type="datetime-local" value=${toLocalInput(filters.createdFrom)} onCommit=${(/** @type {string} */ v) => refilter({ createdFrom: fromLocalInput(v) })} /></label>
      <label class="inline"><span>until</span><${FilterInput} name="createdTo" type="datetime-local" value=${toLocalInput(filters.createdTo)} onCommit=${(/** @type {string} */ v) => refilter({ createdTo: fromLocalInput(v) })} /></label>
      ${KEYS.some((k) => filters[k]) && html`<button onClick=${() => goToQuery('#/dead-letters', {})}>Clear filters</button>`}
    </div>
    <div class="row bulk" data-testid="bulk-actions">
      <span data-testid="ticked">${ticked.size} selected</span>
      <button disabled=${!ticked.size || jobRunning} onClick=${() => bulkTicked('redeliver')}>Re-deliver selected</button>
      <button class="danger" disabled=${!ticked.size || jobRunning} onClick=${() => bulkTicked('discard')}>Discard selected</button>
      <span class="muted">·</span>
      <button disabled=${!canBulkFilter || jobRunning} onClick=${() => bulkFiltered('redeliver')} title=${canBulkFilter ? 'every pending dead letter this filter matches' : 'choose a subscription, reason or time first'}>Re-deliver all matching</button>
      <button class="danger" disabled=${!canBulkFilter || jobRunning} onClick=${() => bulkFiltered('discard')} title=${canBulkFilter ? 'every pending dead letter this filter matches' : 'choose a subscription, reason or time first'}>Discard all matching</button>
    </div>
    ${
      job &&
      html`<div class="card" data-testid="redelivery-job" style="margin-bottom:.8rem">
      <div class="row"><b>${job.action === 'discard' ? 'Discard job' : 'Re-delivery job'}</b> <span data-testid="job-state">${job.state}</span>
        <span data-testid="job-progress">${job.done} of ${job.total} done: ${job.succeeded} redelivered, ${job.failed} failed, ${job.discarded} discarded${job.skipped ? `, ${job.skipped} skipped` : ''}</span>
        ${jobRunning && !job.cancelRequested && html`<button class="danger" onClick=${() => cancelJob(job)}>Cancel</button>`}
        ${!jobRunning && html`<button onClick=${() => setJob(null)}>Dismiss</button>`}</div>
      ${job.total > 0 && html`<progress max=${job.total} value=${job.done} style="width:100%"></progress>`}
      ${job.more && !jobRunning && html`<p class="muted">More were pending than one job covers (${job.limit}); start another for the rest.</p>`}
      ${job.error && html`<p>${job.error}</p>`}
    </div>`
    }
    <${Pager}
      page=${trail.length + 1}
      total=${total}
      noun="match"
      hasNext=${!!nextBefore}
      size=${pageSize}
      onFirst=${() => toPage([])}
      onPrevious=${() => toPage(trail.slice(0, -1))}
      onNext=${() => nextBefore && toPage([...trail, nextBefore])}
      onSize=${(/** @type {string} */ s) => refilter({ limit: s === DEFAULT_SIZE ? '' : s })}
    />
    <table data-testid="dead-letters"><thead><tr>
      <th><input type="checkbox" name="tick-page" title="select the pending ones on this page" disabled=${!tickable.length} checked=${allTicked} onChange=${(/** @type {Event} */ e) => tickPage(checkedOf(e))} /></th>
      <th>#</th><th>subscription</th><th>partition:offset</th><th>reason</th><th>attempts</th><th>last status</th><th>value</th><th>state</th><th>when</th></tr></thead>
      <tbody>${(rows || []).map(
        (r) => html`<tr class=${`clickable${selectedId === r.id ? ' selected' : ''}`} onClick=${() => setSelectedId(r.id)} data-dead-letter=${r.id}>
          <td onClick=${(/** @type {Event} */ e) => e.stopPropagation()}><input type="checkbox" name="tick" disabled=${r.state !== 'pending'} checked=${ticked.has(r.id)} onChange=${(/** @type {Event} */ e) => tick(r.id, checkedOf(e))} /></td>
          <td>${r.id}</td><td>${subs.find((s) => s.id === r.subscriptionId)?.name || r.subscriptionId}</td><td>${r.partition}:${r.offset}</td>
          <td>${r.reason}</td><td>${r.attempts}</td><td>${r.lastStatus ?? '–'}</td><td>${r.valueBytes === null ? '–' : size(r.valueBytes)}</td><td data-testid="state">${r.state}</td><td>${new Date(r.createdAt).toLocaleString()}</td></tr>`,
      )}</tbody></table>
    ${rows === null ? html`<p class="muted">Loading…</p>` : rows.length === 0 ? html`<p class="muted">None.</p>` : ''}
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

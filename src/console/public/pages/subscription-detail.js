// @ts-check
/** @import { PreviewAnswer, Role, Subscription, SubscriptionStatus } from '../api/types.js' */
/** @import { RateSample } from '../components/throughput-chart.js' */
/** @import { SpecDraft } from '../components/spec-draft.js' */
import { useRef, useState } from 'preact/hooks';
import { ApiError, errorText, placeErrors } from '../api/api-error.js';
import { Api } from '../api/endpoints.js';
import { Banner } from '../components/banner.js';
import { EtlPreview, firstKeptBody } from '../components/etl-preview.js';
import { html } from '../components/html.js';
import { RecentChanges } from '../components/recent-changes.js';
import { ResetOffsetsDialog } from '../components/reset-offsets-dialog.js';
import { SubscriptionCharts } from '../components/subscription-charts.js';
import { changedPaths, draftFromSpec, emptyDraft, patchBody, placeProblem } from '../components/spec-draft.js';
import { SpecView } from '../components/spec-view.js';
import { SubscriptionForm } from '../components/subscription-form.js';
import { TestDelivery } from '../components/test-delivery.js';
import { CHART_SAMPLES, drawChart } from '../components/throughput-chart.js';
import { usePoll } from '../hooks/use-poll.js';

/** The subscription as the form's input: its config sections, as GET answers them. @param {Subscription} sub */
const specOf = (sub) => /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (sub));

/**
 * One subscription, polled every 2 s: a chart of deliveries and failures per second, its
 * partitions, where it runs and why, its endpoint's breaker per instance, and its config by
 * section (secrets masked). Operators get start/stop, the offset reset, its recent audit
 * entries, and "Edit": the same form as a ticket, filled from the subscription, saved as a PATCH
 * of only what changed on the version it was filled from (If-Match; a 412 reloads the form with
 * the current values and says so). The running consumer takes the change live. The ETL preview
 * and the test delivery (operators) run the stored config.
 * @param {{id: number, role: Role}} props
 */
export function SubscriptionDetail({ id, role }) {
  const [sub, setSub] = useState(/** @type {Subscription | null} */ (null));
  const [status, setStatus] = useState(/** @type {SubscriptionStatus | null} */ (null));
  const [error, setError] = useState('');
  const [ok, setOk] = useState('');
  const [resetting, setResetting] = useState(false);
  const [editing, setEditing] = useState(/** @type {{initial: SpecDraft, version: number} | null} */ (null));
  const [draft, setDraft] = useState(emptyDraft);
  const [fieldErrors, setFieldErrors] = useState(/** @type {Record<string, string>} */ ({}));
  const [formErrors, setFormErrors] = useState(/** @type {string[]} */ ([]));
  const [saving, setSaving] = useState(false);
  const [audited, setAudited] = useState(0);
  const samples = useRef(/** @type {RateSample[]} */ ([]));
  const previous = useRef(/** @type {{at: number, delivered: number, failures: number} | null} */ (null));
  const canvas = useRef(/** @type {HTMLCanvasElement | null} */ (null));
  const load = async () => {
    const [s, st] = await Promise.all([Api.subscription(id), Api.status(id)]);
    const now = Date.now();
    const c = st.counters;
    const failures = c.retried + c.deadLettered;
    if (previous.current) {
      const seconds = (now - previous.current.at) / 1000;
      samples.current.push({
        delivered: Math.max(0, (c.delivered - previous.current.delivered) / seconds),
        errors: Math.max(0, (failures - previous.current.failures) / seconds),
      });
      if (samples.current.length > CHART_SAMPLES) samples.current.shift();
    }
    previous.current = { at: now, delivered: c.delivered, failures };
    setSub(s);
    setStatus(st);
    setError('');
    drawChart(canvas.current, samples.current);
  };
  usePoll(load, 2000, [id], (err) => setError(errorText(err)));
  /** @param {'start' | 'stop'} verb */
  const act = async (verb) => {
    try {
      await Api.startOrStop(id, verb);
      setOk(verb === 'stop' ? 'Stopped.' : 'Started.');
      await load();
    } catch (err) {
      setError(errorText(err));
    }
  };
  /** @param {Subscription} from */
  const beginEdit = (from) => {
    const filled = draftFromSpec(specOf(from));
    setEditing({ initial: filled, version: from.version });
    setDraft(filled);
    setFieldErrors({});
    setFormErrors([]);
    setOk('');
  };
  const save = async () => {
    if (!editing || !sub) return;
    const body = patchBody(editing.initial, draft);
    setFieldErrors({});
    if (!Object.keys(body).length) {
      setFormErrors(['Nothing changed.']);
      return;
    }
    setSaving(true);
    try {
      const saved = await Api.patchSubscription(id, body, editing.version);
      const changes = changedPaths(specOf(sub), specOf(saved));
      setSub(saved);
      setEditing(null);
      setFormErrors([]);
      setOk(
        `Saved as version ${saved.version}${changes.length ? `: ${changes.map((c) => `${c.path} ${JSON.stringify(c.before)} → ${JSON.stringify(c.after)}`).join(', ')}` : ''}. The running consumer applies it now.`,
      );
      setAudited((n) => n + 1);
    } catch (err) {
      if (err instanceof ApiError && err.status === 412) {
        const fresh = await Api.subscription(id).catch(() => null);
        if (fresh) {
          setSub(fresh);
          beginEdit(fresh);
        }
        setFormErrors([
          `Not saved: the subscription was changed by someone else while you edited it${fresh ? ` (it is now at version ${fresh.version})` : ''}. The form now shows the current values; make your change again.`,
        ]);
      } else {
        const { byKey, general } = placeErrors(err, placeProblem(draft, [], role === 'operator'));
        setFieldErrors(byKey);
        setFormErrors(general);
      }
    } finally {
      setSaving(false);
    }
  };
  if (!sub || !status) return html`<${Banner} error=${error} />Loading…`;
  const last = samples.current[samples.current.length - 1];
  return html`<h2>${sub.name} <span class=${`state-${sub.status}`} data-testid="state">${sub.status}</span></h2>
    <${Banner} error=${error} ok=${ok} />
    <div class="row" style="margin-bottom:1rem">
      <a href="#/">← all subscriptions</a>
      ${
        role === 'operator'
          ? html`${sub.status === 'running' ? html`<button onClick=${() => act('stop')}>Stop</button>` : html`<button onClick=${() => act('start')}>Start</button>`}
            <button onClick=${() => setResetting(true)}>Reset offsets…</button>`
          : ''
      }
    </div>
    <div class="card">
      <h3 style="margin-top:0">Throughput</h3>
      <canvas ref=${canvas}></canvas>
      <div class="muted"><span style="color:#2457c5">■</span> delivered/s ${last ? last.delivered.toFixed(1) : '…'}
        · <span style="color:#b42318">■</span> retries + dead letters/s ${last ? last.errors.toFixed(1) : '…'}
        · totals: ${status.counters.delivered} delivered, ${status.counters.deadLettered} dead-lettered, ${status.counters.filtered} filtered</div>
    </div>
    <${SubscriptionCharts} id=${id} status=${status} />
    ${sub.view !== 'summary' && html`<${PreviewAndTest} key=${audited} id=${id} role=${role} editing=${editing !== null} />`}
    <h3>Partitions</h3>
    <table data-testid="partitions"><thead><tr><th>partition</th><th>committed offset</th><th>high watermark</th><th>lag</th></tr></thead>
      <tbody>${status.partitions.map((p) => html`<tr><td>${p.partition}</td><td>${p.committedOffset ?? '–'}</td><td>${p.highWatermark ?? '–'}</td><td>${p.lag ?? '–'}</td></tr>`)}</tbody>
    </table>
    <h3>Instances</h3>
    <p data-testid="placement">placement: ${status.placement ? status.placement.reason : '–'}</p>
    <p>${status.instances.length ? status.instances.map((i) => `${i.instanceId} (${i.state}, partitions ${i.partitions.join(', ') || 'none'})`).join('; ') : html`<span class="muted">not running anywhere</span>`}</p>
    <h3>Endpoint</h3>
    <table data-testid="endpoint-health"><thead><tr><th>instance</th><th>circuit</th><th>open for</th><th>openings / probes</th><th>in-flight limit</th></tr></thead>
      <tbody>${status.instances.flatMap((i) => {
        const e = i.endpoint;
        if (!e) return [];
        return html`<tr data-instance=${i.instanceId}>
        <td>${i.instanceId}</td>
        <td data-testid="circuit" class=${e.circuit.state === 'closed' ? '' : 'err'}>${e.circuit.enabled ? e.circuit.state.replace('_', '-') : 'off'}${e.circuit.holdUntil ? ` (Retry-After until ${e.circuit.holdUntil})` : ''}</td>
        <td>${e.circuit.state === 'closed' ? '–' : `${Math.round(e.circuit.openForMs / 1000)} s, next probe ${e.circuit.nextProbeAt ?? 'now'}`}</td>
        <td>${e.circuit.opens} / ${e.circuit.probes}</td>
        <td data-testid="inflight-limit">${e.inFlightLimit} of ${e.maxInFlight}${e.adaptive ? ' (adaptive)' : ''}</td>
      </tr>`;
      })}</tbody>
    </table>
    <h3>Configuration <span class="muted">(secrets masked)</span>
      ${role === 'operator' && sub.view === 'full' && !editing && html` <button data-testid="edit" onClick=${() => beginEdit(sub)}>Edit</button>`}</h3>
    ${
      editing
        ? html`<div class="card" data-testid="edit-form">
        <p class="muted" style="margin-top:0">Editing version ${editing.version}. Only what you change is sent; secret inputs left empty keep their stored values.</p>
        <${SubscriptionForm} draft=${draft} onChange=${(/** @type {SpecDraft} */ next) => setDraft(next)} errors=${fieldErrors} role=${role} editing=${true} />
        ${formErrors.map((e) => html`<div class="err" data-testid="form-error">${e}</div>`)}
        <div class="row" style="margin-top:.6rem">
          <button class="primary" disabled=${saving} onClick=${save}>Save changes</button>
          <button onClick=${() => setEditing(null)}>Cancel</button>
        </div>
      </div>`
        : sub.view === 'summary'
          ? html`<p class="muted">Another team's subscription: only its name, owner, topic and state are shown.</p>`
          : html`<${SpecView} spec=${specOf(sub)} />`
    }
    <details><summary>as JSON</summary><pre data-testid="config">${JSON.stringify(sub, null, 2)}</pre></details>
    ${role === 'operator' && html`<${RecentChanges} id=${id} refresh=${audited} />`}
    ${
      resetting &&
      html`<${ResetOffsetsDialog}
      sub=${sub}
      partitions=${status.partitions}
      onClose=${() => setResetting(false)}
      onDone=${(/** @type {string} */ text) => {
        setResetting(false);
        setOk(text);
        load().catch((err) => setError(errorText(err)));
      }}
    />`
    }`;
}

/**
 * The ETL preview of the stored config, and for operators the test delivery, whose body starts
 * as the last preview's first kept body. Keyed by the count of saved edits, so a saved edit
 * clears results of the config before it (a start or stop keeps them); while an edit is open it says the preview is of the
 * stored config (the edit form holds masked secrets, which a preview cannot run with).
 * @param {{id: number, role: Role, editing: boolean}} props
 */
function PreviewAndTest({ id, role, editing }) {
  const [sample, setSample] = useState(/** @type {string | null} */ (null));
  /** @param {PreviewAnswer} answer */
  const took = (answer) => {
    const body = firstKeptBody(answer);
    if (body !== null) setSample(body);
  };
  return html`<div class="card">
      ${editing && html`<p class="muted" data-testid="preview-stored-note">This preview runs the stored config, not the edit being made: save the edit to preview it.</p>`}
      <${EtlPreview} subscriptionId=${id} onResult=${took} /></div>
    ${role === 'operator' && html`<${TestDelivery} subscriptionId=${id} sample=${sample} />`}`;
}

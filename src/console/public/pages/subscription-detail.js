// @ts-check
/** @import { PreviewAnswer, Role, Subscription, SubscriptionStatus } from '../api/types.js' */
/** @import { RateSample } from '../components/throughput-chart.js' */
import { useRef, useState } from 'preact/hooks';
import { errorText } from '../api/api-error.js';
import { Api } from '../api/endpoints.js';
import { Banner } from '../components/banner.js';
import { EtlPreview, firstKeptBody } from '../components/etl-preview.js';
import { html } from '../components/html.js';
import { ResetOffsetsDialog } from '../components/reset-offsets-dialog.js';
import { TestDelivery } from '../components/test-delivery.js';
import { CHART_SAMPLES, drawChart } from '../components/throughput-chart.js';
import { usePoll } from '../hooks/use-poll.js';

/**
 * One subscription, polled every 2 s: a chart of deliveries and failures per second, its
 * partitions, where it runs and why, its endpoint's breaker per instance, and its config
 * (secrets masked); operators get start/stop and the offset reset.
 * @param {{id: number, role: Role}} props
 */
export function SubscriptionDetail({ id, role }) {
  const [sub, setSub] = useState(/** @type {Subscription | null} */ (null));
  const [status, setStatus] = useState(/** @type {SubscriptionStatus | null} */ (null));
  const [error, setError] = useState('');
  const [ok, setOk] = useState('');
  const [resetting, setResetting] = useState(false);
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
    ${sub.view !== 'summary' && html`<${PreviewAndTest} id=${id} role=${role} />`}
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
    <h3>Configuration <span class="muted">(secrets masked)</span></h3>
    <pre data-testid="config">${JSON.stringify(sub, null, 2)}</pre>
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
 * as the last preview's first kept body.
 * @param {{id: number, role: Role}} props
 */
function PreviewAndTest({ id, role }) {
  const [sample, setSample] = useState(/** @type {string | null} */ (null));
  /** @param {PreviewAnswer} answer */
  const took = (answer) => {
    const body = firstKeptBody(answer);
    if (body !== null) setSample(body);
  };
  return html`<div class="card"><${EtlPreview} subscriptionId=${id} onResult=${took} /></div>
    ${role === 'operator' && html`<${TestDelivery} subscriptionId=${id} sample=${sample} />`}`;
}

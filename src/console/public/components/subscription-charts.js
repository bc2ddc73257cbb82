// @ts-check
/** @import { MetricPoint, SubscriptionMetrics, SubscriptionStatus } from '../api/types.js' */
/** @import { SeriesLine } from './series-chart.js' */
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from '../api/api-error.js';
import { Api } from '../api/endpoints.js';
import { usePoll } from '../hooks/use-poll.js';
import { html } from './html.js';
import { drawSeriesChart } from './series-chart.js';

/** The window the charts show. */
const WINDOW = '1h';
const WINDOW_MS = 3_600_000;
const BLUE = '#2457c5';
const RED = '#b42318';
const AMBER = '#b76e00';

/** @param {number} v records per second */
export const formatRate = (v) => `${v >= 100 ? Math.round(v) : v >= 10 ? v.toFixed(1) : v.toFixed(2)}/s`;
/** @param {number} v ms */
export const formatMs = (v) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v >= 100 ? Math.round(v) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ms`);
/** @param {number} v 0 to 1 */
export const formatShare = (v) => `${(v * 100).toFixed(v * 100 >= 10 ? 1 : 2)} %`;
/** @param {number} v records */
export const formatCount = (v) => (v >= 10_000 ? `${(v / 1000).toFixed(v >= 100_000 ? 0 : 1)}k` : String(Math.round(v)));

/**
 * The newest non-null value of `key` in `points`, or null.
 * @param {MetricPoint[]} points
 * @param {keyof MetricPoint} key
 * @returns {number | null}
 */
function latest(points, key) {
  for (let i = points.length - 1; i >= 0; i--) {
    const v = points[i][key];
    if (typeof v === 'number') return v;
  }
  return null;
}

/**
 * Records a series accounts for: Σ rate × step length, rounded.
 * @param {MetricPoint[]} points
 * @param {'deliveredPerSecond' | 'errorsPerSecond'} key
 */
const windowTotal = (points, key) => Math.round(points.reduce((n, p) => n + (p[key] ?? 0) * p.seconds, 0));

/**
 * One small chart: a title with the latest value(s), the canvas, redrawn when the data or the
 * page width change.
 * @param {{title: string, metrics: SubscriptionMetrics, lines: Array<SeriesLine & {label: string, key: keyof MetricPoint, testid: string}>, format: (v: number) => string}} props
 */
function ChartCard({ title, metrics, lines, format }) {
  const canvas = useRef(/** @type {HTMLCanvasElement | null} */ (null));
  useEffect(() => {
    const draw = () =>
      drawSeriesChart(canvas.current, {
        times: metrics.points.map((p) => Date.parse(p.time) + (p.seconds * 1000) / 2),
        from: Date.parse(metrics.from),
        // The whole hour, even when the newest sample is older (the subscription stopped).
        to: Math.max(Date.parse(metrics.to), Date.parse(metrics.from) + WINDOW_MS),
        lines,
        format,
      });
    draw();
    window.addEventListener('resize', draw);
    return () => window.removeEventListener('resize', draw);
  }, [metrics]);
  return html`<div class="card chart" data-testid=${`chart-${lines[0].testid}`}>
    <div class="row"><b>${title}</b>
      ${lines.map((l) => {
        const v = latest(metrics.points, l.key);
        return html`<span><span style=${`color:${l.color}`}>■</span> ${l.label} <span data-testid=${`latest-${l.testid}`}>${v === null ? '–' : format(v)}</span></span>`;
      })}
    </div>
    <canvas ref=${canvas}></canvas>
  </div>`;
}

/**
 * The last hour of a subscription's numbers from GET /api/subscriptions/:id/metrics, as four
 * small charts (delivered/s, error rate, p50/p99 delivery latency, lag), fetched again every
 * sampling interval; and the breaker and in-flight limit of its endpoint per instance, from
 * `status`.
 * @param {{id: number, status: SubscriptionStatus}} props
 */
export function SubscriptionCharts({ id, status }) {
  const [metrics, setMetrics] = useState(/** @type {SubscriptionMetrics | null} */ (null));
  const [error, setError] = useState('');
  const [intervalMs, setIntervalMs] = useState(15_000);
  usePoll(
    async () => {
      const m = await Api.metrics(id, WINDOW);
      setMetrics(m);
      setError('');
      setIntervalMs(Math.max(1_000, m.samplingIntervalMs));
    },
    intervalMs,
    [id, intervalMs],
    (err) => setError(errorText(err)),
  );
  const endpoints = status.instances.flatMap((i) => (i.endpoint ? [{ instanceId: i.instanceId, e: i.endpoint }] : []));
  return html`<div data-testid="metrics-charts">
    <h3>Last hour <span class="muted">(one point per ${metrics ? Math.round(metrics.stepMs / 1000) : '…'} s)</span></h3>
    ${error ? html`<p class="err" role="alert">${error}</p>` : ''}
    <p class="muted" data-testid="breaker-summary">
      ${
        endpoints.length
          ? endpoints
              .map(
                ({ instanceId, e }) =>
                  `${instanceId}: breaker ${e.circuit.enabled ? e.circuit.state.replace('_', '-') : 'off'}, in-flight limit ${e.inFlightLimit} of ${e.maxInFlight}${e.adaptive ? ' (adaptive)' : ''}`,
              )
              .join(' · ')
          : 'no instance reports its endpoint yet'
      }
    </p>
    ${
      !metrics
        ? html`<p class="muted">Loading…</p>`
        : metrics.points.length === 0
          ? html`<p class="muted" data-testid="no-samples">No samples yet: instances running it write one every ${metrics.samplingIntervalMs / 1000} s.</p>`
          : html`<p data-testid="window-totals">${`In the last hour: ${windowTotal(metrics.points, 'deliveredPerSecond')} delivered, ${windowTotal(metrics.points, 'errorsPerSecond')} retries and dead letters.`}</p>
              <div class="charts">
              <${ChartCard} title="Delivered" metrics=${metrics} format=${formatRate}
                lines=${[{ key: 'deliveredPerSecond', label: 'delivered', color: BLUE, testid: 'delivered', values: metrics.points.map((p) => p.deliveredPerSecond) }]} />
              <${ChartCard} title="Errors" metrics=${metrics} format=${formatShare}
                lines=${[{ key: 'errorRate', label: 'retries + dead letters', color: RED, testid: 'error-rate', values: metrics.points.map((p) => p.errorRate) }]} />
              <${ChartCard} title="Delivery latency" metrics=${metrics} format=${formatMs}
                lines=${[
                  { key: 'p50Ms', label: 'p50', color: BLUE, testid: 'p50', values: metrics.points.map((p) => p.p50Ms) },
                  { key: 'p99Ms', label: 'p99', color: AMBER, testid: 'p99', values: metrics.points.map((p) => p.p99Ms) },
                ]} />
              <${ChartCard} title="Lag" metrics=${metrics} format=${formatCount}
                lines=${[{ key: 'lag', label: 'records behind', color: BLUE, testid: 'lag', values: metrics.points.map((p) => p.lag) }]} />
            </div>`
    }
  </div>`;
}

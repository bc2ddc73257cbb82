// @ts-check

/**
 * @typedef {object} SeriesLine One line of a chart.
 * @property {Array<number | null>} values one per time in the chart's `times`; null leaves a gap
 * @property {string} color CSS colour
 */

/**
 * @typedef {object} SeriesChartData
 * @property {number[]} times ms since the epoch, one per value, ascending
 * @property {number} from left edge of the time axis, ms since the epoch
 * @property {number} to right edge, ms since the epoch
 * @property {SeriesLine[]} lines
 * @property {(value: number) => string} format a value as the value axis labels it ("12/s", "40 ms")
 */

/** Time-axis tick spacings to choose from, ms: the smallest giving at most six ticks wins. */
const TIME_STEPS = [60_000, 5 * 60_000, 10 * 60_000, 15 * 60_000, 30 * 60_000, 3_600_000, 3 * 3_600_000, 6 * 3_600_000];

/**
 * The smallest of 1, 2, 2.5 and 5 times a power of ten that is at least `v` (a round top for the value axis).
 * @param {number} v > 0
 */
export function niceCeiling(v) {
  const power = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= v * (1 - 1e-9)) return m * power;
  return 10 * power;
}

/**
 * Draws `data` on `canvas` at the device's pixel ratio: the value axis from 0 to a round
 * ceiling above the highest value (three labelled grid lines, formatted by `data.format`), the
 * time axis from `from` to `to` with local HH:MM ticks, and each line with gaps where values
 * are null (a lone value is a dot).
 * @param {HTMLCanvasElement | null} canvas
 * @param {SeriesChartData} data
 */
export function drawSeriesChart(canvas, data) {
  if (!canvas) return;
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth * ratio;
  const height = canvas.clientHeight * ratio;
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.clearRect(0, 0, width, height);
  const left = 56 * ratio;
  const right = 10 * ratio;
  const top = 10 * ratio;
  const bottom = 20 * ratio;
  const plotW = Math.max(1, width - left - right);
  const plotH = Math.max(1, height - top - bottom);
  let highest = 0;
  for (const line of data.lines) for (const v of line.values) if (v !== null && v > highest) highest = v;
  const max = highest > 0 ? niceCeiling(highest) : 1;
  const span = Math.max(1, data.to - data.from);
  /** @param {number} t */
  const x = (t) => left + (plotW * (t - data.from)) / span;
  /** @param {number} v */
  const y = (v) => top + plotH - (plotH * v) / max;

  ctx.font = `${11 * ratio}px system-ui`;
  ctx.lineWidth = ratio;
  ctx.strokeStyle = '#e2e5ea';
  ctx.fillStyle = '#6b7480';
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'right';
  for (const v of [0, max / 2, max]) {
    ctx.beginPath();
    ctx.moveTo(left, Math.round(y(v)) + 0.5);
    ctx.lineTo(left + plotW, Math.round(y(v)) + 0.5);
    ctx.stroke();
    ctx.fillText(data.format(v), left - 6 * ratio, y(v));
  }
  const tick = TIME_STEPS.find((s) => span / s <= 6) ?? TIME_STEPS[TIME_STEPS.length - 1];
  ctx.textBaseline = 'top';
  ctx.textAlign = 'center';
  for (let t = Math.ceil(data.from / tick) * tick; t <= data.to; t += tick) {
    const d = new Date(t);
    const label = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
    ctx.beginPath();
    ctx.moveTo(Math.round(x(t)) + 0.5, top + plotH);
    ctx.lineTo(Math.round(x(t)) + 0.5, top + plotH + 4 * ratio);
    ctx.stroke();
    ctx.fillText(label, x(t), top + plotH + 6 * ratio);
  }

  for (const line of data.lines) {
    ctx.strokeStyle = line.color;
    ctx.fillStyle = line.color;
    ctx.lineWidth = 2 * ratio;
    ctx.beginPath();
    let drawing = false;
    line.values.forEach((v, i) => {
      if (v === null) {
        drawing = false;
        return;
      }
      const px = x(data.times[i]);
      const py = y(v);
      const next = line.values[i + 1];
      if (!drawing && (next === null || next === undefined)) ctx.fillRect(px - 1.5 * ratio, py - 1.5 * ratio, 3 * ratio, 3 * ratio);
      if (drawing) ctx.lineTo(px, py);
      else ctx.moveTo(px, py);
      drawing = true;
    });
    ctx.stroke();
  }
}

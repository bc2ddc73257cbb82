// @ts-check

/** @typedef {{delivered: number, errors: number}} RateSample Records per second over one poll interval. */

/** Samples the chart holds: two minutes at one per two-second poll. */
export const CHART_SAMPLES = 60;

/**
 * Draws delivered/s (blue) and failures/s (retries plus dead letters, red) on `canvas`, at the
 * device's pixel ratio, scaled to the highest rate shown; the oldest sample at the left.
 * @param {HTMLCanvasElement | null} canvas
 * @param {RateSample[]} samples at most CHART_SAMPLES
 */
export function drawChart(canvas, samples) {
  if (!canvas) return;
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth * ratio;
  const height = canvas.clientHeight * ratio;
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.clearRect(0, 0, width, height);
  const max = Math.max(1, ...samples.map((s) => Math.max(s.delivered, s.errors)));
  const pad = 18 * ratio;
  ctx.font = `${11 * ratio}px system-ui`;
  ctx.fillStyle = '#6b7480';
  ctx.fillText(`${max.toFixed(1)}/s`, 4 * ratio, 12 * ratio);
  /** @param {keyof RateSample} key @param {string} color */
  const line = (key, color) => {
    ctx.strokeStyle = color;
    ctx.lineWidth = 2 * ratio;
    ctx.beginPath();
    samples.forEach((s, i) => {
      const x = pad + ((width - 2 * pad) * i) / (CHART_SAMPLES - 1);
      const y = height - pad - ((height - 2 * pad) * s[key]) / max;
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.stroke();
  };
  line('delivered', '#2457c5');
  line('errors', '#b42318');
}

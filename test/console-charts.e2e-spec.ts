import type { Page } from 'playwright-core';
import { ConsoleBrowser } from './support/console-browser';
import { subscriptionBody, unique } from './support/fixtures';
import { useTestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

const OPERATOR = 'operator-token-0123456789';
const INSTANCE = 'charts-1';
const RECORDS = 150;
const DELAY_MS = 40;

/**
 * The subscription page's charts of the last hour in a real browser (Debian's chromium through
 * playwright-core) against a real proxy sampling its metrics history every second: after records
 * were delivered, the page shows the numbers GET /api/subscriptions/:id/metrics answers.
 */
describe('web console: metrics charts', () => {
  const t = useTestWorld({
    responder: () => ({ status: 200, delayMs: DELAY_MS }),
    proxy: { instanceId: INSTANCE, adminToken: OPERATOR, env: { METRICS_SAMPLE_INTERVAL_MS: '1000' } },
  });
  const browser = ConsoleBrowser.use();

  // Polled from here with strings: the console's CSP (no 'unsafe-eval') forbids page.waitForFunction.
  const textOf = async (page: Page, testid: string) => String(await page.evaluate(`document.querySelector('[data-testid=${testid}]')?.textContent ?? ''`));

  it('draws delivered/s, error rate, latency and lag from the history once records were delivered', async () => {
    const errors = browser.errors;
    const topic = unique('charts');
    await t.kafka.createTopic(topic, 1);
    const created = await t.proxy.api(
      'POST',
      '/api/subscriptions',
      subscriptionBody({ name: unique('charts-sub'), brokers: t.kafka.bootstrap, topic, url: `${t.sink.url}/charts`, delivery: { maxInFlight: 1 } }),
    );
    expect(created.status).toBe(201);
    const id = created.body.id as number;
    const metrics = async () => (await t.proxy.api('GET', `/api/subscriptions/${id}/metrics`)).body as { points: Array<Record<string, number | null>> };
    // Two idle samples first, so every delivery falls inside the series.
    await waitFor(async () => (await metrics()).points.length > 0, 'a first point', { timeoutMs: 60_000, intervalMs: 250 });

    const page = await browser.signIn(t.proxy.baseUrl, OPERATOR, 'operator', '', { width: 1280, height: 1400 });
    await page.goto(`${t.proxy.baseUrl}/#/subscriptions/${id}`);
    await page.waitForSelector('[data-testid=metrics-charts] [data-testid=chart-delivered] canvas');

    // A backlog drained one record at a time (≤ 1000 / DELAY_MS per second): while it drains, the latest delivered/s is above zero.
    await t.client.produce(
      topic,
      Array.from({ length: RECORDS }, (_, n) => ({ value: JSON.stringify({ n }) })),
    );
    await waitFor(
      async () => {
        const m = /^([\d.]+)\/s$/.exec(await textOf(page, 'latest-delivered'));
        return m !== null && Number(m[1]) > 0 && Number(m[1]) <= 1000 / DELAY_MS;
      },
      'the page to show a delivered rate while the backlog drains',
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(Number(/^([\d.]+)/.exec(await textOf(page, 'latest-lag'))?.[1])).toBeGreaterThanOrEqual(0);
    await ConsoleBrowser.shot(page, 'charts-1-draining');

    await waitFor(() => new Set(t.sink.requests.filter((q) => q.status === 200).map((q) => q.body)).size === RECORDS, 'every record delivered', {
      timeoutMs: 60_000,
    });
    // Once sampled past the last delivery, the page accounts for all of them, with no lag left.
    await waitFor(
      async () =>
        (await textOf(page, 'window-totals')) === `In the last hour: ${RECORDS} delivered, 0 retries and dead letters.` &&
        (await textOf(page, 'latest-lag')) === '0',
      'the page to count every delivery and show no lag',
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    // p50 and p99 as the API computed them for the newest step with attempts; each attempt took ≥ DELAY_MS.
    const points = (await metrics()).points;
    const withAttempts = points.filter((p) => (p.attempts ?? 0) > 0);
    const newest = withAttempts[withAttempts.length - 1];
    const p99 = await textOf(page, 'latest-p99');
    const p50 = await textOf(page, 'latest-p50');
    expect(p99).toMatch(/^[\d.]+ ms$/);
    expect(parseFloat(p50)).toBeGreaterThanOrEqual(DELAY_MS * 0.6);
    expect(parseFloat(p99)).toBeGreaterThanOrEqual(parseFloat(p50));
    expect(parseFloat(p99)).toBeCloseTo(newest.p99Ms!, newest.p99Ms! >= 100 ? -0.5 : 0);
    expect(await textOf(page, 'latest-error-rate')).toBe('0.00 %');
    // Every chart has a drawn canvas, and the breaker and in-flight limit are shown beside them.
    const sizes = String(
      await page.evaluate(`JSON.stringify([...document.querySelectorAll('[data-testid=metrics-charts] canvas')].map((c) => [c.width, c.height]))`),
    );
    const canvases = JSON.parse(sizes) as Array<[number, number]>;
    expect(canvases).toHaveLength(4);
    for (const [w, h] of canvases) expect(w * h).toBeGreaterThan(0);
    expect(await textOf(page, 'breaker-summary')).toMatch(new RegExp(`^${INSTANCE}: breaker closed, in-flight limit 1 of 1( \\(adaptive\\))?$`));
    await ConsoleBrowser.shot(page, 'charts-2-delivered');
    expect(errors).toEqual([]);
  });
});

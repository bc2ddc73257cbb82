import type { Page } from 'playwright-core';
import { ConsoleBrowser } from './support/console-browser';
import { subscriptionBody, unique } from './support/fixtures';
import { useTestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

const OPERATOR = 'operator-token-0123456789';
const COUNT = 300;
const LIVE = 2;

/**
 * The console's lists at platform scale (issue 20, item 4) in a real browser against the real
 * proxy: 300 subscriptions searched, filtered and paged on the server, with status reads bounded
 * to the page shown; dead letters filtered by subscription, reason and time, re-delivered as a
 * ticked selection and discarded as a whole filter through bulk jobs, checked through the API.
 */
describe('web console lists', () => {
  let acceptRefused = false;
  const t = useTestWorld({
    responder: (q) => (q.body.includes('"refuse":true') && !acceptRefused ? { status: 422, body: { error: 'refused' } } : { status: 200 }),
    proxy: { instanceId: 'lists-1', adminToken: OPERATOR },
  });
  const browser = ConsoleBrowser.use();
  const run = unique('lists');
  const deadTopic = `${run}-dl`;
  const stoppedName = (i: number) => `${run}-s${i}`;
  const liveNames = [`${run}-live-a`, `${run}-live-b`];
  const liveIds: number[] = [];

  beforeAll(async () => {
    // 298 stopped (nothing consumes them) in batches of 10 at once, then the two that run.
    const stopped = Array.from({ length: COUNT - LIVE }, (_, n) => n + 1);
    for (let at = 0; at < stopped.length; at += 10) {
      const answers = await Promise.all(
        stopped
          .slice(at, at + 10)
          .map((i) =>
            t.proxy.api(
              'POST',
              '/api/subscriptions',
              subscriptionBody({ name: stoppedName(i), brokers: t.kafka.bootstrap, topic: `${run}-t${i % 5}`, url: `${t.sink.url}/s${i}`, status: 'stopped' }),
            ),
          ),
      );
      for (const a of answers) expect(a.status).toBe(201);
    }
    await t.kafka.createTopic(deadTopic, 1);
    for (const [n, name] of liveNames.entries()) {
      const body = subscriptionBody({ name, brokers: t.kafka.bootstrap, topic: deadTopic, url: `${t.sink.url}/live-${n}`, delivery: { maxRetries: 0 } });
      const created = await t.proxy.api('POST', '/api/subscriptions', body);
      expect(created.status).toBe(201);
      liveIds.push(created.body.id);
    }
  }, 120_000);

  const errors = browser.errors;
  const signIn = () => browser.signIn(t.proxy.baseUrl, OPERATOR, 'operator', '', { width: 1400, height: 1000 });
  // Strings run in the page (this file has no DOM types), polled from here: the CSP forbids page.waitForFunction.
  const evaluate = async <T>(page: Page, script: string): Promise<T> => JSON.parse(String(await page.evaluate(`JSON.stringify(${script})`))) as T;
  const shownNames = (page: Page) =>
    evaluate<string[]>(page, "[...document.querySelectorAll('[data-testid=subscriptions] tbody tr')].map((r) => r.dataset.name)");
  const textOf = (page: Page, testId: string) => evaluate<string>(page, `(document.querySelector('[data-testid=${testId}]') || {}).textContent || ''`);
  const until = (page: Page, what: string, probe: () => Promise<boolean>, timeoutMs = 20_000) =>
    waitFor(probe, what, { timeoutMs, intervalMs: 100 }).catch(async (err) => {
      await shot(page, `failed-${what.replace(/\W+/g, '-').slice(0, 60)}`);
      throw err;
    });
  const showsNames = (page: Page, names: string[]) =>
    until(page, `the list to show ${names.length} rows from ${names[0]}`, async () => JSON.stringify(await shownNames(page)) === JSON.stringify(names));
  const showsTotal = (page: Page, testId: string, text: string) =>
    until(page, `${testId} to read "${text}"`, async () => (await textOf(page, testId)) === text);
  const shot = ConsoleBrowser.shot;

  /** The names of each page of the API's answer for `query`, following Link rel="next". */
  async function apiPages(query: string): Promise<string[][]> {
    const pages: string[][] = [];
    let next: string | null = `/api/subscriptions?${query}`;
    while (next) {
      const res: { status: number; body: Array<{ name: string }>; headers: Headers } = await t.proxy.request('GET', next);
      expect(res.status).toBe(200);
      pages.push(res.body.map((s) => s.name));
      next = /^<([^>]+)>; rel="next"$/.exec(res.headers.get('link') ?? '')?.[1] ?? null;
      expect(pages.length).toBeLessThan(50);
    }
    return pages;
  }

  it('finds one subscription among 300 by search, filters by state and topic, and pages through on the server', async () => {
    const page = await signIn();
    await page.waitForSelector('[data-testid=subscriptions]');

    // A search by part of the name: the one subscription, and the URL keeps it.
    await page.fill('input[name=search]', `${run}-s137`);
    await showsNames(page, [stoppedName(137)]);
    await showsTotal(page, 'total', '1 match');
    expect(decodeURIComponent(new URL(page.url()).hash)).toContain(`q=${run}-s137`);
    await shot(page, 'lists-1-search');

    // All of this run: 300, by state and by topic.
    await page.fill('input[name=search]', run);
    await showsTotal(page, 'total', `${COUNT} match`);
    await page.selectOption('select[name=status]', 'running');
    await showsNames(page, liveNames);
    await showsTotal(page, 'total', `${LIVE} match`);
    await shot(page, 'lists-2-running');
    await page.selectOption('select[name=status]', '');
    await page.fill('input[name=topic]', `${run}-t3`);
    await page.press('input[name=topic]', 'Enter');
    const topic3 = Array.from({ length: COUNT - LIVE }, (_, n) => n + 1).filter((i) => i % 5 === 3);
    await showsTotal(page, 'total', `${topic3.length} match`);
    // Created ten at a time, so the id order (the default sort) is not the number order.
    const onTopic3 = await apiPages(`q=${run}&topic=${run}-t3&limit=50`);
    expect(onTopic3.flat().sort()).toEqual(topic3.map(stoppedName).sort());
    await showsNames(page, onTopic3[0]);
    await page.fill('input[name=topic]', '');
    await page.press('input[name=topic]', 'Enter');

    // Sorted by name, 50 a page: six pages equal to the API's, 300 names without repeats.
    await page.selectOption('select[name=sort]', 'name');
    const expected = await apiPages(`q=${run}&sort=name&limit=50`);
    expect(expected).toHaveLength(COUNT / 50);
    expect(new Set(expected.flat()).size).toBe(COUNT);
    await showsNames(page, expected[0]);
    await showsTotal(page, 'total', `${COUNT} match`);
    for (let n = 1; n < expected.length; n++) {
      await page.click('[data-testid=next-page]');
      await showsNames(page, expected[n]);
      expect(await textOf(page, 'page')).toBe(`page ${n + 1}`);
    }
    expect(await page.isDisabled('[data-testid=next-page]')).toBe(true);
    await shot(page, 'lists-3-last-page');
    await page.click('[data-testid=previous-page]');
    await showsNames(page, expected[4]);
    // A reload keeps the search, the sort and the page (they live in the URL).
    await page.reload();
    await page.waitForSelector('[data-testid=role]:text-is("operator")');
    await showsNames(page, expected[4]);
    expect(await textOf(page, 'page')).toBe('page 5');
    expect(await page.inputValue('input[name=search]')).toBe(run);

    // Status reads stay on the page shown: only its rows, at most once each while they are stopped.
    const asked: number[] = [];
    const listReads: string[] = [];
    page.on('request', (r) => {
      const status = /\/api\/subscriptions\/(\d+)\/status$/.exec(r.url());
      if (status) asked.push(Number(status[1]));
      else if (/\/api\/subscriptions\?/.test(r.url())) listReads.push(r.url());
    });
    await page.selectOption('select[name=status]', 'stopped');
    const stoppedPage = (await apiPages(`q=${run}&status=stopped&sort=name&limit=50`))[0];
    await showsNames(page, stoppedPage);
    await until(
      page,
      'every shown row to have its status',
      async () =>
        evaluate<boolean>(page, "[...document.querySelectorAll('[data-testid=subscriptions] tbody tr')].every((r) => r.children[4].textContent !== '…')"),
      60_000,
    );
    const listed = (await t.proxy.api('GET', `/api/subscriptions?q=${run}&status=stopped&sort=name&limit=50`)).body as Array<{ id: number }>;
    const shownIds = new Set(listed.map((s) => s.id));
    asked.length = 0;
    const readsBefore = listReads.length;
    await until(page, 'three more polls of the list', async () => listReads.length >= readsBefore + 3);
    // Stopped rows have their status read every 15 s: wait for reads to come, then check whose they were.
    await until(page, 'status reads of shown rows', async () => asked.length > 0, 30_000);
    expect(asked.every((id) => shownIds.has(id))).toBe(true);
    expect(asked.length).toBeLessThanOrEqual(shownIds.size);
    expect(errors).toEqual([]);
  });

  it('filters dead letters, re-delivers a ticked selection and discards a whole filter through bulk jobs', async () => {
    const [a, b] = liveIds;
    // Each live subscription refuses three records (422: rejected) and cannot parse two (not_json).
    await t.client.produce(deadTopic, [
      { value: JSON.stringify({ n: 1 }) },
      { value: JSON.stringify({ n: 2, refuse: true }) },
      { value: 'not json 1' },
      { value: JSON.stringify({ n: 3, refuse: true }) },
      { value: JSON.stringify({ n: 4, refuse: true }) },
      { value: 'not json 2' },
    ]);
    const pending = async (id: number) =>
      (await t.proxy.api('GET', `/api/dead-letters?subscriptionId=${id}&state=pending&limit=100`)).body as Array<{ id: number; reason: string }>;
    for (const id of [a, b]) {
      const rows = await waitFor(
        async () => {
          const now = await pending(id);
          return now.length === 5 ? now : null;
        },
        `five dead letters of subscription ${id}`,
        { timeoutMs: 60_000 },
      );
      expect(rows.map((r) => r.reason).sort()).toEqual(['not_json', 'not_json', 'rejected', 'rejected', 'rejected']);
    }

    const page = await signIn();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.accept();
    });
    await page.click('nav >> text=Dead letters');
    await page.selectOption('select[name=subscription]', { label: liveNames[0] });
    await showsTotal(page, 'total', '5 match');
    await page.selectOption('select[name=reason]', 'rejected');
    await showsTotal(page, 'total', '3 match');
    const rowIds = () =>
      evaluate<number[]>(page, "[...document.querySelectorAll('[data-testid=dead-letters] tbody tr')].map((r) => Number(r.dataset.deadLetter))");
    await until(page, 'three rows', async () => (await rowIds()).length === 3);
    // Select all on the page ticks the three pending rows; a second click clears them.
    await page.click('input[name=tick-page]');
    await showsTotal(page, 'ticked', '3 selected');
    await page.click('input[name=tick-page]');
    await showsTotal(page, 'ticked', '0 selected');

    // Tick two and re-deliver them, now that the endpoint takes them.
    const ids = await rowIds();
    const chosen = ids.slice(0, 2);
    for (const id of chosen) await page.click(`tr[data-dead-letter="${id}"] input[name=tick]`);
    await showsTotal(page, 'ticked', '2 selected');
    await shot(page, 'lists-4-dead-letters-selected');
    acceptRefused = true;
    await page.click('button:text("Re-deliver selected")');
    await until(page, 'the re-delivery job to end', async () => (await textOf(page, 'job-state')) === 'done');
    expect(dialogs.pop()).toMatch(/^Re-deliver the 2 selected dead letters/);
    expect(await textOf(page, 'job-progress')).toMatch(/^2 of 2 done: 2 redelivered/);
    await shot(page, 'lists-5-selection-redelivered');
    for (const id of ids) {
      expect((await t.proxy.api('GET', `/api/dead-letters/${id}`)).body.state).toBe(chosen.includes(id) ? 'redelivered' : 'pending');
    }
    // The list follows: one pending row of that reason left.
    await showsTotal(page, 'total', '1 match');

    // The whole filter of the other subscription: its three refused records, discarded.
    await page.click('button:text("Dismiss")');
    await page.selectOption('select[name=subscription]', { label: liveNames[1] });
    await showsTotal(page, 'total', '3 match');
    await page.click('button:text("Discard all matching")');
    await until(page, 'the discard job to end', async () => (await textOf(page, 'job-state')) === 'done');
    expect(dialogs.pop()).toBe(
      `Discard the 3 pending dead letters matching subscription ${liveNames[1]}, reason rejected (in the background, you can cancel)?`,
    );
    expect(await textOf(page, 'job-progress')).toMatch(/^3 of 3 done: 0 redelivered, 0 failed, 3 discarded/);
    await showsTotal(page, 'total', '0 match');
    await shot(page, 'lists-6-filter-discarded');
    const byState = async (id: number) => {
      const rows = (await t.proxy.api('GET', `/api/dead-letters?subscriptionId=${id}&limit=100`)).body as Array<{ reason: string; state: string }>;
      return rows.map((r) => `${r.reason}:${r.state}`).sort();
    };
    expect(await byState(b)).toEqual(['not_json:pending', 'not_json:pending', 'rejected:discarded', 'rejected:discarded', 'rejected:discarded']);
    expect(await byState(a)).toEqual(['not_json:pending', 'not_json:pending', 'rejected:pending', 'rejected:redelivered', 'rejected:redelivered']);

    // The total the page shows is the API's X-Total-Count: every page of the filter, one row asked for.
    const counted = await t.proxy.request('GET', `/api/dead-letters?subscriptionId=${a}&limit=1`);
    expect([counted.body.length, counted.headers.get('x-total-count')]).toEqual([1, '5']);

    // A time range, from the URL: nothing became a dead letter in the next hour; all of them before it.
    const later = new Date(Date.now() + 3_600_000).toISOString();
    await page.goto(`${t.proxy.baseUrl}/#/dead-letters?subscriptionId=${a}&state=any&createdFrom=${later}`);
    await showsTotal(page, 'total', '0 match');
    expect(await page.inputValue('input[name=createdFrom]')).not.toBe('');
    await page.goto(`${t.proxy.baseUrl}/#/dead-letters?subscriptionId=${a}&state=any&createdTo=${later}`);
    await showsTotal(page, 'total', '5 match');
    expect(errors).toEqual([]);
  });
});

import type { Page } from 'playwright-core';
import { ConsoleBrowser } from './support/console-browser';
import { subscriptionBody, unique } from './support/fixtures';
import { useTestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

const OPERATOR = 'operator-token-preview-0123456789';
const REQUESTER = 'requester-token-preview-0123456789';
const SECRET = 'k-secret-console-4711';
const PATH = '/preview-orders';

/** One record row of a preview panel, as the page shows it. */
interface ShownRecord {
  partition: number;
  offset: number;
  outcome: string;
  verdict: string;
  problem: string | null;
  body: string | null;
  headers: Array<[string, string]> | null;
}

/**
 * The console's ETL preview and test delivery (issue 20, parts 2 and 3) in a real browser: a
 * requester previews a ticket's filter and fields against the topic's last records, the
 * operator previews it again in the approval view and approves, the subscription page previews
 * the stored config, and what the endpoint then receives equals, body for body and header for
 * header, what the page showed. An operator sends test deliveries and sees their verdicts.
 */
describe('web console: ETL preview and test delivery', () => {
  const t = useTestWorld({
    // A test delivery whose body says "refuse" is refused the way a business API refuses a record.
    responder: (q) =>
      q.headers['x-kproxy-test-delivery'] && q.body.includes('"refuse"') ? { status: 422, body: { error: 'unknown account' } } : { status: 200 },
    proxy: { adminToken: OPERATOR, env: { REQUESTER_TOKENS: `shop=${REQUESTER}` } },
  });
  const browser = ConsoleBrowser.use();
  const errors = browser.errors;
  const signIn = (token: string, role: string, actor = '') => browser.signIn(t.proxy.baseUrl, token, role, actor, { width: 1400, height: 1000 });
  const shot = ConsoleBrowser.shot;

  /**
   * The record rows the preview panel at `panel` (a CSS selector) shows, read from the DOM. A
   * string runs in the page, where document exists; a function would be compiled there, which
   * the console's CSP (no 'unsafe-eval') forbids.
   */
  const shownRecords = async (page: Page, panel: string): Promise<ShownRecord[]> =>
    JSON.parse(
      String(
        await page.evaluate(`JSON.stringify([...document.querySelectorAll(${JSON.stringify(`${panel} [data-testid=preview-records] > tbody > tr`)})].map((tr) => {
          const headers = tr.querySelector('[data-testid=preview-headers]');
          const text = (sel) => { const el = tr.querySelector(sel); return el ? el.textContent : null; };
          return {
            partition: Number(tr.dataset.partition),
            offset: Number(tr.dataset.offset),
            outcome: tr.dataset.outcome,
            verdict: text('[data-testid=preview-verdict]'),
            problem: text('[data-testid=preview-problem]'),
            body: text('[data-testid=preview-body]'),
            headers: headers ? [...headers.querySelectorAll('tr')].map((h) => [h.children[0].textContent, h.children[1].textContent]) : null,
          };
        }))`),
      ),
    ) as ShownRecord[];

  /** Runs the preview of the topic's last `n` records in the panel at `panel` (a CSS selector) and waits for its answer. */
  async function preview(page: Page, panel: string, n: string, summary: RegExp): Promise<ShownRecord[]> {
    await page.locator(`${panel} input[name=preview-count]`).fill(n);
    await page.locator(`${panel} [data-testid=preview-run]`).click();
    await page.locator(`${panel} [data-testid=preview-summary]`, { hasText: summary }).waitFor({ timeout: 30_000 });
    return shownRecords(page, panel);
  }

  it("previews a ticket's filter and fields on the topic, and the endpoint receives exactly what the page showed", async () => {
    const topic = unique('console-preview');
    const name = unique('console-preview-sub');
    await t.kafka.createTopic(topic, 2);
    // A requester may read the last records only of a cluster kproxy already consumes.
    const known = await t.proxy.api(
      'POST',
      '/api/subscriptions',
      subscriptionBody({ name: unique('known-cluster'), brokers: t.kafka.bootstrap, topic: unique('other'), url: `${t.sink.url}/other`, status: 'stopped' }),
    );
    expect(known.status).toBe(201);
    await t.client.produce(topic, [
      { partition: 0, key: 'o-1', value: '{"type":"order","id":9007199254740993,"total":12.50,"user":{"name":"ann"},"note":"x"}' },
      { partition: 0, key: 'r-2', value: '{"type":"refund","id":2,"user":{"name":"bo"}}' },
      { partition: 1, key: 'o-3', value: '{"type":"order","id":3,"user":{"name":"次郎"}}' },
      { partition: 1, value: 'not json' },
      { partition: 1, value: '{"type":"order","id":5,"user":{"name":"cy"}}' },
    ]);
    const dropped = new Set(['0:1', '1:1']);

    // The requester writes the ticket and previews it; the API's 400 shows beside the inputs it names.
    const requester = await signIn(REQUESTER, 'requester');
    await requester.click('nav >> text=Tickets');
    await requester.fill('input[name="name"]', name);
    await requester.fill('input[name="kafka.topic"]', topic);
    await requester.fill('input[name="kafka.brokers"]', t.kafka.bootstrap);
    await requester.fill('input[name="endpoint.url"]', `${t.sink.url}${PATH}`);
    await requester.fill('input[name=requester]', 'dana@shop');
    await requester.fill('textarea[name=reason]', 'billing needs the orders, two fields of each');
    await requester.uncheck('form[data-testid=ticket-form] input[type=checkbox]');
    // A filter rule and two fields, the second with a path the API refuses (recursive descent).
    await requester.click('[data-testid=filter-rules] button:text("Add rule")');
    await requester.fill('input[name="etl.filter.0.path"]', '$.type');
    await requester.selectOption('select[name="etl.filter.0.op"]', 'eq');
    await requester.fill('input[name="etl.filter.0.value"]', 'order');
    await requester.click('[data-testid=output-fields] button:text("Add field")');
    await requester.click('[data-testid=output-fields] button:text("Add field")');
    await requester.fill('input[name="etl.fields.0.name"]', 'id');
    await requester.fill('input[name="etl.fields.0.path"]', '$.id');
    await requester.fill('input[name="etl.fields.1.name"]', 'who');
    await requester.fill('input[name="etl.fields.1.path"]', '$..user..name');
    const form = '.card:has([data-testid=ticket-form]) [data-testid=etl-preview]';
    await requester.fill(`${form} input[name=preview-count]`, '500');
    await requester.click(`${form} [data-testid=preview-run]`);
    await requester.waitForSelector(`${form} [data-field=lastRecords] .err:text("must be at most 100")`);
    await requester.waitForSelector('[data-testid=output-fields] [data-row-error="1"] .err:has-text("recursive descents")');
    await shot(requester, 'preview-1-ticket-errors');
    await requester.fill('input[name="etl.fields.1.path"]', '$.user.name');

    // Pasted records: a header line the API cannot read is named beside the headers, by its line.
    await requester.selectOption(`${form} select[name=preview-source]`, 'paste');
    await requester.fill(`${form} [data-sample="0"] textarea[name=sample-value]`, '{"type":"order","id":7,"user":{"name":"eve"}}');
    await requester.fill(`${form} [data-sample="0"] input[name=sample-key]`, 'k-7');
    await requester.fill(`${form} [data-sample="0"] textarea[name=sample-headers]`, 'tenant: acme\nbroken');
    await requester.click(`${form} button:text("Add a record")`);
    await requester.fill(`${form} [data-sample="1"] textarea[name=sample-value]`, '{"type":"refund","id":8}');
    await requester.click(`${form} [data-testid=preview-run]`);
    await requester.waitForSelector(
      `${form} [data-sample="0"] [data-field="records.0.headers"] .err:text-is("line 2: give exactly one of value (text) and valueBase64 (bytes)")`,
    );
    await requester.fill(`${form} [data-sample="0"] textarea[name=sample-headers]`, 'tenant: acme');
    await requester.click(`${form} [data-testid=preview-run]`);
    await requester.locator(`${form} [data-testid=preview-summary]`, { hasText: /^2 records: 1 sent, 1 dropped by the filter$/ }).waitFor();
    const pasted = await shownRecords(requester, form);
    expect(pasted.map((r) => [r.outcome, r.body])).toEqual([
      ['deliver', '{"id":7,"who":"eve"}'],
      ['filtered', null],
    ]);
    expect(pasted[0].headers).toContainEqual(['x-kafka-key', 'k-7']);
    await shot(requester, 'preview-2-pasted-records');
    await requester.selectOption(`${form} select[name=preview-source]`, 'last');
    const fromTicket = await preview(requester, form, '20', /^5 records: 3 sent, 1 dropped by the filter, 1 dead-lettered$/);
    expect(await requester.locator('[data-testid=ticket-form] .err').count()).toBe(0);
    expect(fromTicket.map((r) => [`${r.partition}:${r.offset}`, r.outcome, r.verdict])).toEqual([
      ['0:0', 'deliver', 'sent'],
      ['0:1', 'filtered', 'dropped by the filter'],
      ['1:0', 'deliver', 'sent'],
      ['1:1', 'dead_letter', 'dead letter: not_json'],
      ['1:2', 'deliver', 'sent'],
    ]);
    expect(fromTicket[3].problem).toBeTruthy();
    expect(fromTicket.map((r) => r.body)).toEqual(['{"id":9007199254740993,"who":"ann"}', null, '{"id":3,"who":"次郎"}', null, '{"id":5,"who":"cy"}']);
    expect(fromTicket[0].headers).toContainEqual(['x-kafka-key', 'o-1']);
    expect(fromTicket[0].headers).toContainEqual(['idempotency-key', `${topic}-0-0`]);
    await shot(requester, 'preview-3-ticket-preview');
    await requester.click('button:text("Submit ticket")');
    await requester.locator('[role=status]', { hasText: /submitted; it waits for an operator/ }).waitFor();

    // The operator previews the ticket's whole spec in the approval view, and approves it.
    const operator = await signIn(OPERATOR, 'operator', 'olga@platform');
    await operator.click('nav >> text=Tickets');
    const ticket = (await t.proxy.api('GET', '/api/tickets?state=pending')).body.find((x: { name: string }) => x.name === name) as { id: number };
    const approval = `[data-testid=pending-tickets] tr[data-ticket-spec="${ticket.id}"] [data-testid=etl-preview]`;
    await operator.click(`[data-testid=pending-tickets] tr[data-ticket-spec="${ticket.id}"] [data-testid=ticket-preview] summary`);
    const fromApproval = await preview(operator, approval, '10', /^5 records: 3 sent, 1 dropped by the filter, 1 dead-lettered$/);
    expect(fromApproval).toEqual(fromTicket);
    await shot(operator, 'preview-4-approval-view');
    await operator.click(`[data-testid=pending-tickets] tr:has-text("${name}") >> button:text("Approve")`);
    const approved = await operator.locator('[role=status]', { hasText: /approved: subscription #\d+ created/ }).textContent();
    const id = Number(/subscription #(\d+)/.exec(approved ?? '')![1]);

    // A secret header is added (PATCH): the preview shows it masked, and the endpoint gets the value.
    const patched = await t.proxy.api('PATCH', `/api/subscriptions/${id}`, { endpoint: { headers: { 'X-Api-Key': SECRET, 'User-Agent': 'billing-kproxy' } } });
    expect(patched.status).toBe(200);

    // The subscription page previews the stored config, before it runs.
    await operator.goto(`${t.proxy.baseUrl}/#/subscriptions/${id}`);
    await operator.waitForSelector('h2 [data-testid=state]:text-is("stopped")');
    const shown = await preview(operator, '[data-testid=etl-preview]', '10', /^5 records: 3 sent, 1 dropped by the filter, 1 dead-lettered$/);
    expect(shown.map((r) => [r.outcome, r.body])).toEqual(fromTicket.map((r) => [r.outcome, r.body]));
    expect(shown[0].headers).toContainEqual(['x-api-key', '****']);
    expect(shown[0].headers).toContainEqual(['user-agent', 'billing-kproxy']);
    expect(String(await operator.evaluate('document.body.innerText'))).not.toContain(SECRET);
    await shot(operator, 'preview-5-subscription-page');

    // It runs: each record the page showed as sent arrives with that body and those headers, and nothing else arrives.
    await operator.click('button:text("Start")');
    await operator.waitForSelector('h2 [data-testid=state]:text-is("running")');
    const received = () => t.sink.requests.filter((q) => q.path === PATH);
    await waitFor(() => received().length >= 3, 'the three kept records at the endpoint');
    await operator.locator('text=/totals: 3 delivered, 1 dead-lettered, 1 filtered/').waitFor({ timeout: 30_000 });
    expect(received()).toHaveLength(3);
    for (const r of shown) {
      const where = `${r.partition}:${r.offset}`;
      const got = received().find((q) => q.headers['idempotency-key'] === `${topic}-${r.partition}-${r.offset}`);
      if (dropped.has(where)) {
        expect({ where, got }).toEqual({ where, got: undefined });
        continue;
      }
      expect({ where, body: got?.body }).toEqual({ where, body: r.body });
      for (const [header, value] of r.headers!) {
        expect({ where, header, value: got!.headers[header] }).toEqual({ where, header, value: value === '****' ? SECRET : value });
      }
    }

    // Test deliveries: the body starts as the preview's first kept body; a 200 succeeds, a 422 is a refusal.
    const test = operator.locator('[data-testid=test-delivery]');
    expect(await test.locator('textarea[name=test-body]').inputValue()).toBe(shown[0].body);
    await test.locator('button:text("Send test delivery")').click();
    await test.locator('[data-testid=test-verdict][data-outcome=success]').waitFor();
    expect(await test.locator('[data-testid=verdict-outcome]').textContent()).toBe('success: kproxy would commit the offset');
    expect(await test.locator('[data-testid=verdict-status]').textContent()).toBe('200');
    expect(await test.locator('[data-testid=verdict-latency]').textContent()).toMatch(/^\d+(\.\d)? ms$/);
    const tests = () => t.sink.requests.filter((q) => q.path === PATH && q.headers['x-kproxy-test-delivery'] === '1');
    expect(tests().map((q) => [q.body, q.headers['x-api-key']])).toEqual([[shown[0].body, SECRET]]);
    await shot(operator, 'preview-6-test-delivery-ok');
    await test.locator('textarea[name=test-body]').fill('{"id":7,"refuse":true}');
    await test.locator('button:text("Send test delivery")').click();
    await test.locator('[data-testid=test-verdict][data-outcome=dead_letter]').waitFor();
    expect(await test.locator('[data-testid=verdict-outcome]').textContent()).toBe('dead letter (rejected): kproxy would store the record and move on');
    expect(await test.locator('[data-testid=verdict-status]').textContent()).toBe('422');
    expect(await test.locator('[data-testid=verdict-problem]').textContent()).toContain('422');
    expect(tests()).toHaveLength(2);
    await shot(operator, 'preview-7-test-delivery-refused');
    // Neither test touched the dead letters: the only one is the record that was not JSON.
    const letters = await t.proxy.api('GET', `/api/dead-letters?subscriptionId=${id}`);
    expect((letters.body as Array<{ reason: string }>).map((d) => d.reason)).toEqual(['not_json']);

    // The requester owns it (team shop): the page previews it, without the test delivery.
    await requester.goto(`${t.proxy.baseUrl}/#/subscriptions/${id}`);
    await requester.waitForSelector('[data-testid=etl-preview]');
    expect(await preview(requester, '[data-testid=etl-preview]', '5', /^5 records: 3 sent/)).toEqual(shown);
    expect(await requester.isVisible('[data-testid=test-delivery]')).toBe(false);
    expect(errors).toEqual([]);
  });
});

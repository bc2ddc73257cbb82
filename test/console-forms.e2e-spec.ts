import type { Page } from 'playwright-core';
import { ConsoleBrowser } from './support/console-browser';
import { unique } from './support/fixtures';
import { useTestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

const OPERATOR = 'operator-token-0123456789';
const REQUESTER = 'requester-token-0123456789';

/**
 * The console's subscription form in a real browser (Debian's chromium through playwright-core)
 * against the real proxy, Kafka and an HTTP sink: a requester asks for a subscription with a
 * filter rule, two fields and a secret header; the API's 400 shows beside the rule and the field
 * it names; the operator reads the whole spec in the approval view and approves; the endpoint
 * gets the filtered, flattened records; the operator changes the rate live from the
 * subscription's page (a stale edit is refused with 412 and reloaded), and the change shows in
 * the page's audit entries and in the API.
 */
describe('console subscription forms', () => {
  const t = useTestWorld({ proxy: { instanceId: 'forms-1', adminToken: OPERATOR, env: { REQUESTER_TOKEN: REQUESTER } } });
  const browser = ConsoleBrowser.use();
  const errors = browser.errors;
  const signIn = (token: string, role: string, actor = '') => browser.signIn(t.proxy.baseUrl, token, role, actor);
  const text = ConsoleBrowser.text;
  const shot = ConsoleBrowser.shot;
  const inputValue = (page: Page, name: string) => page.inputValue(`[name="${name}"]`);

  it('takes a ticket with a filter, fields and a secret header to a subscription the operator edits live', async () => {
    const topic = unique('forms');
    const name = unique('forms-sub');
    const path = '/forms-orders';
    const received = () => t.sink.requests.filter((q) => q.path === path && q.status === 200);
    await t.kafka.createTopic(topic, 1);

    // The requester fills every part the test needs; the first try has a bad rule value and a bad field path.
    const requester = await signIn(REQUESTER, 'requester');
    await requester.click('nav >> text=Tickets');
    await requester.fill('input[name="name"]', name);
    await requester.fill('input[name="kafka.brokers"]', t.kafka.bootstrap);
    await requester.fill('input[name="kafka.topic"]', topic);
    await requester.fill('input[name="endpoint.url"]', `${t.sink.url}${path}`);
    expect(await requester.isVisible('[data-testid=kafka-security]')).toBe(false);
    await requester.click('[data-testid=filter-rules] button:text("Add rule")');
    await requester.fill('input[name="etl.filter.0.path"]', '$.type');
    await requester.selectOption('select[name="etl.filter.0.op"]', 'in');
    await requester.fill('input[name="etl.filter.0.value"]', 'order');
    await requester.click('[data-testid=output-fields] button:text("Add field")');
    await requester.click('[data-testid=output-fields] button:text("Add field")');
    await requester.fill('input[name="etl.fields.0.name"]', 'orderId');
    await requester.fill('input[name="etl.fields.0.path"]', '$.id');
    await requester.fill('input[name="etl.fields.1.name"]', 'user');
    await requester.fill('input[name="etl.fields.1.path"]', '$..user..name');
    await requester.click('[data-testid=endpoint-headers] button:text("Add header")');
    await requester.fill('input[name="endpoint.headers.0.name"]', 'X-Team-Key');
    await requester.fill('input[name="endpoint.headers.0.value"]', 'billing-key-123');
    expect(await requester.getAttribute('input[name="endpoint.headers.0.value"]', 'type')).toBe('password');
    await requester.fill('input[name=requester]', 'dana@shop');
    await requester.fill('textarea[name=reason]', 'billing needs order ids and user names');
    await requester.click('button:text("Submit ticket")');
    // Each problem of the API's 400 beside what it names: the rule's value input, the second field's row.
    await requester.waitForSelector('[data-field="etl.filter.0.value"] .err:text(\'op "in" needs a non-empty array value\')');
    await requester.waitForSelector('[data-testid=output-fields] [data-row-error="1"] .err:has-text("recursive descents")');
    expect(await requester.locator('.banner.bad').count()).toBe(0);
    await shot(requester, 'forms-1-ticket-400');
    await requester.selectOption('select[name="etl.filter.0.op"]', 'eq');
    await requester.fill('input[name="etl.fields.1.path"]', '$.user.name');
    await requester.click('button:text("Submit ticket")');
    await text(requester, /submitted; it waits for an operator/);
    expect(await requester.locator('[data-testid=ticket-form] .err').count()).toBe(0);

    // The operator sees the whole spec by section, the secret masked, and approves.
    const operator = await signIn(OPERATOR, 'operator', 'olga@platform');
    await operator.click('nav >> text=Tickets');
    const review = operator.locator(`[data-testid=pending-tickets] tr[data-ticket-spec]:has-text("${name}")`);
    await review.locator('[data-testid=spec-view]').waitFor();
    expect(await review.locator('[data-testid=spec-filter] tbody tr').allInnerTexts()).toEqual(['$.type\teq\t"order"']);
    expect(await review.locator('[data-testid=spec-fields] tbody tr').allInnerTexts()).toEqual(['orderId\t$.id', 'user\t$.user.name']);
    expect(await review.locator('[data-testid=spec-headers] tbody tr').allInnerTexts()).toEqual(['X-Team-Key\t****']);
    expect(await review.locator('dd[data-path="endpoint.url"]').innerText()).toBe(`POST ${t.sink.url}${path}`);
    expect(await review.locator('dd[data-path="delivery.ratePerSec"]').innerText()).toBe('0');
    expect(await review.innerText()).not.toContain('billing-key-123');
    await shot(operator, 'forms-2-approval-view');
    await operator.click(`[data-testid=pending-tickets] tr:has-text("${name}") >> button:text("Approve")`);
    await text(operator, /approved: subscription #\d+ created/);
    const list = await t.proxy.api<Array<{ id: number; name: string }>>('GET', '/api/subscriptions');
    const id = list.body.find((s) => s.name === name)!.id;

    // It delivers only the orders, flattened to the two fields, with the secret header.
    await t.client.produceJson(topic, [
      { type: 'order', id: 1, user: { name: 'ann' }, note: 'x' },
      { type: 'refund', id: 2, user: { name: 'bob' } },
      { type: 'order', id: 3, user: { name: 'cy' } },
    ]);
    await waitFor(() => received().length >= 2, 'the two orders at the endpoint');
    expect(received().map((q) => JSON.parse(q.body))).toEqual([
      { orderId: 1, user: 'ann' },
      { orderId: 3, user: 'cy' },
    ]);
    expect(received().map((q) => q.headers['x-team-key'])).toEqual(['billing-key-123', 'billing-key-123']);

    // The operator edits the rate from the subscription's page: the form is filled from GET.
    await operator.goto(`${t.proxy.baseUrl}/#/subscriptions/${id}`);
    await operator.click('button[data-testid=edit]');
    expect(await inputValue(operator, 'delivery.ratePerSec')).toBe('0');
    expect(await inputValue(operator, 'etl.fields.1.path')).toBe('$.user.name');
    expect(await inputValue(operator, 'endpoint.headers.0.value')).toBe('');
    expect(await operator.getAttribute('input[name="endpoint.headers.0.value"]', 'placeholder')).toContain('leave empty to keep');
    expect(await operator.getAttribute('input[name="kafka.groupId"]', 'readonly')).not.toBeNull();
    // Someone else changes it meanwhile: the save is refused (412), the form reloads with their change.
    const other = await t.proxy.api('PATCH', `/api/subscriptions/${id}`, { delivery: { maxRetries: 5 } });
    expect(other.status).toBe(200);
    await operator.fill('input[name="delivery.ratePerSec"]', '20');
    await operator.click('button:text("Save changes")');
    await operator.waitForSelector('[data-testid=form-error]:has-text("changed by someone else")');
    expect(await inputValue(operator, 'delivery.maxRetries')).toBe('5');
    expect(await inputValue(operator, 'delivery.ratePerSec')).toBe('0');
    await shot(operator, 'forms-3-edit-412');
    // A rate the API refuses shows beside the rate; the fixed one saves.
    await operator.fill('input[name="delivery.ratePerSec"]', '0.01');
    await operator.click('button:text("Save changes")');
    await operator.waitForSelector('[data-field="delivery.ratePerSec"] .err:has-text("must be 0 (unlimited) or at least 0.1")');
    await operator.fill('input[name="delivery.ratePerSec"]', '25');
    await operator.click('button:text("Save changes")');
    await text(operator, /Saved as version \d+: delivery\.ratePerSec 0 → 25\./);
    await operator.waitForSelector('[data-testid=spec-view] dd[data-path="delivery.ratePerSec"]:text-is("25")');
    const entry = operator.locator('[data-testid=recent-changes] tr:has-text("subscription.update"):has-text("olga@platform")').first();
    await entry.locator('li[data-path="delivery.ratePerSec"]').waitFor();
    expect(await entry.locator('li').allInnerTexts()).toEqual(['delivery.ratePerSec: 0 → 25']);
    await shot(operator, 'forms-4-edited-live');
    const after = await t.proxy.api<{ delivery: { ratePerSec: number; maxRetries: number }; endpoint: { headers: Record<string, string> } }>(
      'GET',
      `/api/subscriptions/${id}`,
    );
    expect({ rate: after.body.delivery.ratePerSec, retries: after.body.delivery.maxRetries, headers: after.body.endpoint.headers }).toEqual({
      rate: 25,
      retries: 5,
      headers: { 'X-Team-Key': '****' },
    });
    // The running consumer took it without losing the stored secret: the next order still carries it.
    await t.client.produceJson(topic, [{ type: 'order', id: 4, user: { name: 'dee' } }]);
    await waitFor(() => received().length >= 3, 'the order after the edit');
    expect({ body: JSON.parse(received()[2].body), key: received()[2].headers['x-team-key'] }).toEqual({
      body: { orderId: 4, user: 'dee' },
      key: 'billing-key-123',
    });

    // The requester reads the same config, structured and read-only.
    await requester.goto(`${t.proxy.baseUrl}/#/subscriptions/${id}`);
    await requester.waitForSelector('[data-testid=spec-view] dd[data-path="delivery.ratePerSec"]:text-is("25")');
    expect(await requester.isVisible('button[data-testid=edit]')).toBe(false);
    expect(await requester.isVisible('[data-testid=recent-changes]')).toBe(false);
    await shot(requester, 'forms-5-requester-view');
    expect(errors).toEqual([]);
  });
});

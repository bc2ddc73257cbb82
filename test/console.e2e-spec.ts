import type { Page } from 'playwright-core';
import { ConsoleBrowser } from './support/console-browser';
import { unique } from './support/fixtures';
import { useTestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

const OPERATOR = 'operator-token-0123456789';
const INSTANCE = 'console-1';
const REQUESTER = 'requester-token-0123456789';

/**
 * The web console in a real browser (Debian's chromium through playwright-core) against the
 * real proxy: a requester asks for a subscription, an operator approves it and watches it
 * deliver, stops and starts it, replays it from the start, re-delivers its dead letters and
 * sees the instance running it.
 */
describe('web console', () => {
  let acceptBad = false;
  const t = useTestWorld({
    responder: (q) => (q.body.includes('"bad":true') && !acceptBad ? { status: 422, body: { error: 'no such account' } } : { status: 200 }),
    proxy: { instanceId: INSTANCE, adminToken: OPERATOR, env: { REQUESTER_TOKEN: REQUESTER } },
  });
  const browser = ConsoleBrowser.use();
  const errors = browser.errors;
  const signIn = (token: string, role: string, actor = '') => browser.signIn(t.proxy.baseUrl, token, role, actor);
  const text = ConsoleBrowser.text;
  const shot = ConsoleBrowser.shot;

  it('takes a ticket from request to a delivering subscription, and operates it', async () => {
    const topic = unique('console');
    const name = unique('console-sub');
    const path = '/console-orders';
    await t.kafka.createTopic(topic, 1);

    // A requester asks; the API's 400 names the bad field beside its input, then the fixed ticket goes through.
    const requester = await signIn(REQUESTER, 'requester');
    await requester.click('nav >> text=Tickets');
    await requester.fill('input[name=name]', name);
    await requester.fill('input[name="kafka.topic"]', topic);
    await requester.fill('input[name="kafka.brokers"]', t.kafka.bootstrap);
    await requester.fill('input[name="endpoint.url"]', 'ftp://billing.internal/orders');
    await requester.fill('input[name=requester]', 'dana@shop');
    await requester.fill('textarea[name=reason]', 'billing needs order events');
    await requester.click('button:text("Submit ticket")');
    await requester.waitForSelector('[data-field="endpoint.url"] .err:text(\'scheme "ftp" is not allowed: use http or https\')');
    await requester.fill('input[name="endpoint.url"]', `${t.sink.url}${path}`);
    await requester.click('button:text("Submit ticket")');
    await text(requester, /submitted; it waits for an operator/);
    await shot(requester, '1-ticket-submitted');
    expect(await requester.isVisible('button:text("Approve")')).toBe(false);

    // The operator approves it from the queue.
    const operator = await signIn(OPERATOR, 'operator', 'olga@platform');
    await operator.click('nav >> text=Tickets');
    await operator.waitForSelector(`[data-testid=pending-tickets] tr:has-text("${name}")`);
    // The approval view shows the whole request and calls out what deserves a second look (issue 17).
    const review = operator.locator(`[data-testid=pending-tickets] tr[data-ticket-spec]:has-text("${name}")`);
    await review.locator('[data-testid=review-flags] li:has-text("endpoint.url")').waitFor();
    expect(await review.locator('[data-testid=review-flags]').textContent()).toContain('is a loopback or private address');
    expect(await review.locator('[data-testid=ticket-spec]').textContent()).toContain(`${t.sink.url}${path}`);
    await shot(operator, '2-ticket-review');
    await operator.click(`[data-testid=pending-tickets] tr:has-text("${name}") >> button:text("Approve")`);
    await text(operator, /approved: subscription #\d+ created/);
    await shot(operator, '2-ticket-approved');

    // It delivers: the subscription page shows the counts and partitions.
    await t.client.produceJson(topic, [{ n: 1 }, { n: 2 }, { n: 3, bad: true }, { n: 4 }]);
    await operator.click('nav >> text=Subscriptions');
    await operator.click(`a:text("${name}")`);
    // The whole line: a formatter once glued "dead-lettered," to the next count inside the template.
    await text(operator, /totals: 3 delivered, 1 dead-lettered, \d+ filtered/);
    await operator.waitForSelector('[data-testid=partitions] td');
    expect(await operator.textContent('[data-testid=config]')).toContain(topic);
    // Where it runs and why: the only instance, by rendezvous placement.
    expect(await operator.textContent('[data-testid=placement]')).toBe(`placement: rendezvous: 1 of 1 live instance: ${INSTANCE}`);
    await shot(operator, '3-subscription-delivering');

    // Stop and start.
    await operator.click('button:text("Stop")');
    await operator.waitForSelector('h2 [data-testid=state]:text-is("stopped")');
    await operator.click('button:text("Start")');
    await operator.waitForSelector('h2 [data-testid=state]:text-is("running")');

    // Replay from the start, through the confirmation. A bad offset line first comes back from
    // the API as a 400, shown beside the offsets as the line it came from.
    const delivered = () => t.sink.requests.filter((q) => q.path === path && q.status === 200).length;
    await waitFor(() => delivered() === 3, 'the first three deliveries');
    await operator.click('button:text("Reset offsets…")');
    await operator.selectOption('select[name=to]', 'offsets');
    await operator.fill('textarea[name=offsets]', '0:3\n\n0:x');
    await operator.click('button:text("Review")');
    await operator.click('button:text("Yes, reset")');
    await operator.waitForSelector('[data-field=offsets] .err:text("line 3, offset: must be an offset")');
    await operator.selectOption('select[name=to]', 'earliest');
    await operator.click('button:text("Review")');
    await operator.waitForSelector('[data-testid=confirm-text]');
    await shot(operator, '4-reset-confirm');
    await operator.click('button:text("Yes, reset")');
    await text(operator, /Offsets reset to the earliest offsets/, 60_000);
    await waitFor(() => delivered() === 6, 'the replayed deliveries', { timeoutMs: 60_000 });

    // The dead letter: see it, then re-deliver it once the endpoint accepts it.
    await operator.click('nav >> text=Dead letters');
    await operator.selectOption('select[name=subscription]', { label: name });
    await operator.click('[data-testid=dead-letters] tbody tr');
    await operator.waitForSelector('[data-testid=dead-letter-detail]');
    await text(operator, /422/);
    await shot(operator, '5-dead-letter');
    acceptBad = true;
    await operator.click('[data-testid=dead-letter-detail] >> button:text-is("Redeliver")');
    await text(operator, /Dead letter #\d+: redelivered/);
    await waitFor(() => t.sink.requests.some((q) => q.path === path && q.body.includes('"bad":true') && q.status === 200), 'the re-delivered record');
    await shot(operator, '6-dead-letter-redelivered');

    // The cluster view: this instance is live and runs the subscription's only partition.
    await operator.click('nav >> text=Instances');
    const self = `[data-testid=instances] tr[data-instance="${INSTANCE}"]`;
    await operator.waitForSelector(`${self} [data-testid=live]:text-is("live")`);
    await operator.waitForSelector(`${self} li:has-text("${name}"):has-text("partitions 0")`);
    await shot(operator, '7-instances');

    // The audit log names the operator behind each change and shows what changed.
    await operator.click('nav >> text=Audit');
    await operator.selectOption('select[name=resourceType]', 'subscription');
    for (const action of ['subscription.create', 'subscription.stop', 'subscription.start', 'subscription.reset_offsets']) {
      await operator.waitForSelector(`[data-testid=audit] tr:has-text("${action}"):has-text("olga@platform")`);
    }
    await operator.click('[data-testid=audit] tr:has-text("subscription.stop")');
    await operator.waitForSelector('[data-testid=audit-detail] pre:has-text("running")');
    await operator.selectOption('select[name=resourceType]', 'ticket');
    await operator.waitForSelector('[data-testid=audit] tr:has-text("ticket.approve"):has-text("olga@platform")');
    await operator.waitForSelector('[data-testid=audit] tr:has-text("ticket.submit"):has-text("requester")');
    await shot(operator, '8-audit');

    // The requester sees the subscription, read-only.
    await requester.click('nav >> text=Subscriptions');
    await requester.waitForSelector(`[data-testid=subscriptions] tr[data-name="${name}"]`);
    expect(await requester.isVisible(`[data-testid=subscriptions] tr[data-name="${name}"] button`)).toBe(false);
    expect(await requester.isVisible('nav >> text=Dead letters')).toBe(false);
    expect(await requester.isVisible('nav >> text=Instances')).toBe(false);
    expect(await requester.isVisible('nav >> text=Audit')).toBe(false);
    expect(errors).toEqual([]);
  });

  it('keeps the token for this tab only (sessionStorage), under a CSP with no unsafe-inline', async () => {
    const page = await signIn(OPERATOR, 'operator');
    const stored = async () =>
      JSON.parse(String(await page.evaluate('JSON.stringify([sessionStorage.getItem("kproxy.token"), localStorage.getItem("kproxy.token")])')));
    expect(await stored()).toEqual([OPERATOR, null]);
    // A reload keeps the session; a new tab (another context here) has to sign in again.
    await page.reload();
    await page.waitForSelector('[data-testid=role]:text-is("operator")');
    const other = await browser.page();
    await other.goto(t.proxy.baseUrl + '/');
    await other.waitForSelector('input[name=token]');
    // A name the API refuses (X-Kproxy-Actor is printable ASCII) shows its 400, and nothing is kept.
    await other.fill('input[name=token]', OPERATOR);
    await other.fill('input[name=actor]', 'Ölga');
    await other.click('button:text("Sign in")');
    await other.waitForSelector('form .err:has-text("x-kproxy-actor header: must be 1-128 printable characters")');
    expect(await other.evaluate('[sessionStorage.getItem("kproxy.token"), localStorage.getItem("kproxy.actor")]')).toEqual([null, null]);
    const csp = (await page.request.get(t.proxy.baseUrl + '/')).headers()['content-security-policy'];
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/]+=*'/);
    expect(csp).not.toContain('unsafe-inline');
    // The inline import map runs (by its hash), so the vendor modules resolved and the app rendered.
    expect(errors).toEqual([]);
  });
});

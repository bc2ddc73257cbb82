// @ts-check
/** @import { TestDeliveryResult } from '../api/types.js' */
import { useState } from 'preact/hooks';
import { placeErrors } from '../api/api-error.js';
import { Api } from '../api/endpoints.js';
import { field, withValue } from './form.js';
import { html } from './html.js';

/** What kproxy would do after this attempt, in words (the outcomes of TestDeliveryResult). @param {TestDeliveryResult} r */
function conclusion(r) {
  if (r.outcome === 'success') return 'success: kproxy would commit the offset';
  if (r.outcome === 'retry') return 'retry: kproxy would try again after the backoff';
  if (r.outcome === 'dead_letter') return `dead letter${r.reason ? ` (${r.reason})` : ''}: kproxy would store the record and move on`;
  return 'not sent: the filter drops it';
}

/** @param {TestDeliveryResult} r */
const verdictClass = (r) => (r.outcome === 'success' ? 'kept' : r.outcome === 'retry' ? 'dropped' : 'dead');

/**
 * The verdict of one test delivery: the conclusion, status, errcode, latency and why it is not
 * a success, with the response excerpt and the request as sent (secrets masked).
 * @param {{result: TestDeliveryResult}} props
 */
function Verdict({ result: r }) {
  return html`<div class="verdict-box" data-testid="test-verdict" data-outcome=${r.outcome}>
    <b class=${`verdict ${verdictClass(r)}`} data-testid="verdict-outcome">${conclusion(r)}</b>
    <div class="row">
      <span>status <b data-testid="verdict-status">${r.status ?? (r.sent ? 'no answer' : '–')}</b></span>
      <span>errcode <b data-testid="verdict-errcode">${r.errcode ?? '–'}</b></span>
      <span>latency <b data-testid="verdict-latency">${r.latencyMs === null ? '–' : `${r.latencyMs} ms`}</b></span>
    </div>
    ${r.problem && html`<div class="err" data-testid="verdict-problem">${r.problem}</div>`}
    ${r.responseExcerpt !== null && html`<details><summary>response (start)</summary><pre data-testid="verdict-response">${r.responseExcerpt}</pre></details>`}
    ${
      r.request &&
      html`<details><summary>request sent: ${r.request.method} ${r.request.url}</summary>
        <table class="headers"><tbody>${r.request.headers.map(([name, value]) => html`<tr><td>${name}</td><td>${value}</td></tr>`)}</tbody></table>
        <pre>${r.request.body}</pre></details>`
    }
  </div>`;
}

/**
 * Test delivery (operators: it makes an outbound call): sends one body, as typed, to the
 * subscription's endpoint with its configured headers (POST /api/subscriptions/:id/test-delivery)
 * and shows the verdict kproxy would reach. The body starts as `sample` (the last preview's
 * first kept body) and follows it until edited. The API's 400 shows beside the body.
 * @param {{subscriptionId: number, sample?: string | null}} props
 */
export function TestDelivery({ subscriptionId, sample }) {
  const [edited, setEdited] = useState(/** @type {string | null} */ (null));
  const [result, setResult] = useState(/** @type {TestDeliveryResult | null} */ (null));
  const [busy, setBusy] = useState(false);
  const [bodyError, setBodyError] = useState('');
  const [errors, setErrors] = useState(/** @type {string[]} */ ([]));
  const body = edited ?? sample ?? '';
  const send = async () => {
    setBusy(true);
    try {
      setResult(await Api.testDelivery(subscriptionId, body));
      setBodyError('');
      setErrors([]);
    } catch (err) {
      const { byKey, general } = placeErrors(err, (path, message) => (path === 'body' ? { key: 'body', text: message } : null));
      setResult(null);
      setBodyError(byKey.body || '');
      setErrors(general);
    } finally {
      setBusy(false);
    }
  };
  return html`<section class="card test-delivery" data-testid="test-delivery">
    <h3 style="margin-top:0">Test delivery</h3>
    <p class="muted">Sends this body once to the endpoint with the configured headers, marked <code>x-kproxy-test-delivery: 1</code> and with an
      idempotency key of its own, and shows what kproxy would conclude. Kafka, offsets and dead letters are left alone.</p>
    ${field('body', 'Body (sent as is)', html`<textarea name="test-body" rows="4" value=${body} onInput=${withValue(setEdited)}></textarea>`, bodyError)}
    ${errors.map((e) => html`<div class="err">${e}</div>`)}
    <div class="row" style="margin-bottom:.6rem">
      <button class="primary" type="button" disabled=${busy} onClick=${send}>${busy ? 'Sending…' : 'Send test delivery'}</button>
      ${edited !== null && sample && edited !== sample && html`<button type="button" onClick=${() => setEdited(null)}>Use the last kept body</button>`}
    </div>
    ${result && html`<${Verdict} result=${result} />`}
  </section>`;
}

// @ts-check
/** @import { Role, Ticket } from '../api/types.js' */
/** @import { PlaceProblem } from '../api/api-error.js' */
import { useState } from 'preact/hooks';
import { errorText, placeErrors } from '../api/api-error.js';
import { Api } from '../api/endpoints.js';
import { Banner } from '../components/banner.js';
import { EtlPreview } from '../components/etl-preview.js';
import { checkedOf, field, valueOf, withValue } from '../components/form.js';
import { html } from '../components/html.js';
import { usePoll } from '../hooks/use-poll.js';

/** The form's inputs by the API field each fills (POST /api/tickets). */
const TICKET_FIELDS = {
  name: 'name',
  'kafka.brokers': 'brokers',
  'kafka.topic': 'topic',
  etl: 'etl',
  'endpoint.url': 'url',
  'delivery.ordering': 'ordering',
  requester: 'requester',
  reason: 'reason',
};

/** A problem at an API field path goes beside the input that fills it (a deeper path keeps its tail). @type {PlaceProblem} */
const placeTicketProblem = (path, message) => {
  for (const [apiPath, key] of Object.entries(TICKET_FIELDS)) {
    if (path === apiPath) return { key, text: message };
    if (path.startsWith(`${apiPath}.`)) return { key, text: `${path.slice(apiPath.length + 1)}: ${message}` };
  }
  return null;
};

const EMPTY = { name: '', brokers: '', topic: '', url: '', ordering: 'partition', etl: '', requester: '', reason: '', start: true };

/** JSON text as its value; text that does not parse is sent as it is, for the API to name. @param {string} text */
const jsonOr = (text) => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/**
 * The subscription the form describes: the body of POST /api/tickets without requester and
 * reason, which the ETL preview shows too. The ETL box holds the API's `etl` as JSON.
 * @param {typeof EMPTY} form
 */
function ticketSpec(form) {
  return {
    name: form.name,
    kafka: { brokers: form.brokers, topic: form.topic },
    ...(form.etl.trim() ? { etl: jsonOr(form.etl) } : {}),
    endpoint: { url: form.url },
    delivery: { ordering: form.ordering },
    status: form.start ? 'running' : 'stopped',
  };
}

/**
 * Tickets: the form in which a requester asks for a subscription (the API checks it and each
 * problem shows beside its input), the queue operators approve or reject (with a reason) from,
 * and the decided ones. Polled every 3 s.
 * @param {{role: Role}} props
 */
export function Tickets({ role }) {
  const [form, setForm] = useState(EMPTY);
  const [fieldErrors, setFieldErrors] = useState(/** @type {Record<string, string>} */ ({}));
  const [error, setError] = useState('');
  const [ok, setOk] = useState('');
  const [tickets, setTickets] = useState(/** @type {Ticket[]} */ ([]));
  const [rejecting, setRejecting] = useState(/** @type {number | null} */ (null));
  const [rejectReason, setRejectReason] = useState('');
  const [rejectError, setRejectError] = useState('');
  const load = async () => setTickets(await Api.tickets());
  usePoll(load, 3000, [], (err) => setError(errorText(err)));
  /** @param {keyof typeof EMPTY} key */
  const set = (key) => (/** @type {Event} */ e) => setForm({ ...form, [key]: key === 'start' ? checkedOf(e) : valueOf(e) });
  /** @param {Event} e */
  const submit = async (e) => {
    e.preventDefault();
    setOk('');
    setFieldErrors({});
    try {
      const t = await Api.submitTicket({ ...ticketSpec(form), requester: form.requester, reason: form.reason });
      setOk(`Ticket #${t.id} submitted; it waits for an operator.`);
      setForm(EMPTY);
      setError('');
      await load();
    } catch (err) {
      const { byKey, general } = placeErrors(err, placeTicketProblem);
      setFieldErrors(byKey);
      setError(general.join('; '));
    }
  };
  /** @param {number} id */
  const approve = async (id) => {
    try {
      const t = await Api.approveTicket(id);
      setOk(`Ticket #${id} approved: subscription #${t.subscriptionId} created.`);
      setError('');
      await load();
    } catch (err) {
      setError(errorText(err));
    }
  };
  /** @param {number} id */
  const reject = async (id) => {
    try {
      await Api.rejectTicket(id, rejectReason);
      setOk(`Ticket #${id} rejected.`);
      setError('');
      setRejecting(null);
      setRejectReason('');
      setRejectError('');
      await load();
    } catch (err) {
      const { byKey, general } = placeErrors(err, (path, message) => (path === 'reason' ? { key: 'reason', text: message } : null));
      setRejectError([byKey.reason, ...general].filter(Boolean).join('; '));
    }
  };
  const pending = tickets.filter((t) => t.state === 'pending');
  const decided = tickets.filter((t) => t.state !== 'pending');
  return html`<h2>Tickets</h2><${Banner} error=${error} ok=${ok} />
    <div class="card">
      <h3 style="margin-top:0">Ask for a subscription</h3>
      <form onSubmit=${submit} noValidate data-testid="ticket-form">
        <div class="grid">
          ${field('name', 'Subscription name', html`<input name="name" value=${form.name} onInput=${set('name')} />`, fieldErrors.name)}
          ${field('topic', 'Kafka topic', html`<input name="topic" value=${form.topic} onInput=${set('topic')} />`, fieldErrors.topic)}
          ${field('brokers', 'Kafka brokers (host:port, …)', html`<input name="brokers" value=${form.brokers} onInput=${set('brokers')} />`, fieldErrors.brokers)}
          ${field('url', 'Your API endpoint URL', html`<input name="url" value=${form.url} onInput=${set('url')} />`, fieldErrors.url)}
          ${field('ordering', 'Ordering', html`<select name="ordering" value=${form.ordering} onChange=${set('ordering')}><option>partition</option><option>key</option><option>unordered</option></select>`, fieldErrors.ordering)}
          ${field('requester', 'Your name', html`<input name="requester" value=${form.requester} onInput=${set('requester')} />`, fieldErrors.requester)}
        </div>
        ${field('etl', 'ETL (JSON: {"filter": [{"path", "op", "value"}], "fields": {"name": "$.path"}}; optional)', html`<textarea name="etl" rows="3" value=${form.etl} onInput=${set('etl')}></textarea>`, fieldErrors.etl)}
        ${field('reason', 'Why', html`<textarea name="reason" rows="2" value=${form.reason} onInput=${set('reason')}></textarea>`, fieldErrors.reason)}
        <label class="row" style="width:auto"><input type="checkbox" style="width:auto" checked=${form.start} onChange=${set('start')} /> start consuming when approved</label>
        <button class="primary" type="submit">Submit ticket</button>
      </form>
      <${EtlPreview} spec=${() => ticketSpec(form)} placeSpecProblem=${placeTicketProblem} onSpecErrors=${setFieldErrors} />
    </div>
    <h3>Waiting for approval</h3>
    <table data-testid="pending-tickets"><thead><tr><th>#</th><th>name</th><th>topic</th><th>requester</th><th>reason</th><th></th></tr></thead>
      <tbody>${pending.map(
        (t) => html`<tr data-ticket=${t.id}>
          <td>${t.id}</td><td>${t.name}</td><td>${t.subscription.kafka && t.subscription.kafka.topic}</td><td>${t.requester}</td><td>${t.reason}</td>
          <td>${
            role === 'operator'
              ? rejecting === t.id
                ? html`<div class="row"><input name="reject-reason" placeholder="reason" value=${rejectReason} onInput=${withValue(setRejectReason)} />
                  <button class="danger" onClick=${() => reject(t.id)}>Reject</button>
                  <button onClick=${() => {
                    setRejecting(null);
                    setRejectError('');
                  }}>Cancel</button></div>
                  ${rejectError && html`<div class="err" data-testid="reject-error">${rejectError}</div>`}`
                : html`<div class="row"><button class="primary" onClick=${() => approve(t.id)}>Approve</button><button onClick=${() => setRejecting(t.id)}>Reject…</button></div>`
              : html`<span class="muted">pending</span>`
          }</td>
        </tr>
        <tr data-ticket-spec=${t.id}><td colspan="6">
          ${
            t.review && t.review.length
              ? html`<ul class="plain review" data-testid="review-flags">${t.review.map((f) => html`<li><b>${f.field}</b>: ${f.concern}</li>`)}</ul>`
              : ''
          }
          <details open=${role === 'operator'}><summary>${t.effective ? 'the subscription approval creates, defaults filled in' : 'the requested subscription'}${t.team ? ` (team ${t.team})` : ''}</summary>
            <pre data-testid="ticket-spec">${JSON.stringify(t.effective || t.subscription, null, 2)}</pre></details>
          ${t.effective && html`<details data-testid="ticket-preview"><summary>preview against the topic's last records</summary><${EtlPreview} key=${t.id} spec=${() => t.effective || {}} title=${`ETL preview of ticket #${t.id}`} /></details>`}
        </td></tr>`,
      )}</tbody></table>
    ${pending.length === 0 ? html`<p class="muted">Nothing waiting.</p>` : ''}
    <h3>Decided</h3>
    <table><thead><tr><th>#</th><th>name</th><th>state</th><th>by</th><th>when</th><th>note</th></tr></thead>
      <tbody>${decided.map(
        (t) => html`<tr><td>${t.id}</td><td>${t.subscriptionId ? html`<a href=${`#/subscriptions/${t.subscriptionId}`}>${t.name}</a>` : t.name}</td>
          <td>${t.state}</td><td>${t.decidedBy}</td><td>${t.decidedAt && new Date(t.decidedAt).toLocaleString()}</td><td>${t.rejectionReason || ''}</td></tr>`,
      )}</tbody></table>`;
}

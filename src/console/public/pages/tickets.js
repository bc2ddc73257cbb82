// @ts-check
/** @import { Role, Ticket } from '../api/types.js' */
/** @import { SpecDraft } from '../components/spec-draft.js' */
import { useState } from 'preact/hooks';
import { errorText, placeErrors } from '../api/api-error.js';
import { Api } from '../api/endpoints.js';
import { Banner } from '../components/banner.js';
import { EtlPreview } from '../components/etl-preview.js';
import { checkedOf, field, withValue } from '../components/form.js';
import { html } from '../components/html.js';
import { buildSpec, emptyDraft, placeProblem } from '../components/spec-draft.js';
import { SpecView } from '../components/spec-view.js';
import { SubscriptionForm } from '../components/subscription-form.js';
import { usePoll } from '../hooks/use-poll.js';

/**
 * Tickets: the form in which a requester asks for a subscription, every field of the API
 * (SubscriptionForm) plus who asks and why (the API checks it and each problem shows beside its
 * input), the queue operators approve or reject (with a reason) from, each ticket's whole spec
 * shown by section, and the decided ones. Polled every 3 s. The spec being composed is
 * buildSpec(draft) (SubscriptionForm's onChange hands it over too), for a preview beside the form.
 * @param {{role: Role}} props
 */
export function Tickets({ role }) {
  const [draft, setDraft] = useState(emptyDraft);
  const [requester, setRequester] = useState('');
  const [reason, setReason] = useState('');
  const [start, setStart] = useState(true);
  const [fieldErrors, setFieldErrors] = useState(/** @type {Record<string, string>} */ ({}));
  const [error, setError] = useState('');
  const [ok, setOk] = useState('');
  const [tickets, setTickets] = useState(/** @type {Ticket[]} */ ([]));
  const [rejecting, setRejecting] = useState(/** @type {number | null} */ (null));
  const [rejectReason, setRejectReason] = useState('');
  const [rejectError, setRejectError] = useState('');
  const load = async () => setTickets(await Api.tickets());
  usePoll(load, 3000, [], (err) => setError(errorText(err)));
  /** @param {Event} e */
  const submit = async (e) => {
    e.preventDefault();
    setOk('');
    setFieldErrors({});
    try {
      const t = await Api.submitTicket({ ...buildSpec(draft), status: start ? 'running' : 'stopped', requester, reason });
      setOk(`Ticket #${t.id} submitted; it waits for an operator.`);
      setDraft(emptyDraft());
      setRequester('');
      setReason('');
      setStart(true);
      setError('');
      await load();
    } catch (err) {
      const { byKey, general } = placeErrors(err, placeProblem(draft, ['requester', 'reason'], role === 'operator'));
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
        <${SubscriptionForm} draft=${draft} onChange=${(/** @type {SpecDraft} */ next) => setDraft(next)} errors=${fieldErrors} role=${role} />
        <fieldset><legend>The request</legend>
          <div class="grid">
            ${field('requester', 'Your name', html`<input name="requester" value=${requester} onInput=${withValue(setRequester)} />`, fieldErrors.requester)}
          </div>
          ${field('reason', 'Why', html`<textarea name="reason" rows="2" value=${reason} onInput=${withValue(setReason)}></textarea>`, fieldErrors.reason)}
          <label class="row" style="width:auto"><input type="checkbox" style="width:auto" checked=${start} onChange=${(/** @type {Event} */ e) => setStart(checkedOf(e))} /> start consuming when approved</label>
        </fieldset>
        <button class="primary" type="submit">Submit ticket</button>
      </form>
      <${EtlPreview} spec=${() => buildSpec(draft)} placeSpecProblem=${placeProblem(draft, [], role === 'operator')} onSpecErrors=${(
        /** @type {Record<string, string>} */ spec,
      ) =>
        setFieldErrors((prev) => ({ ...(prev.requester ? { requester: prev.requester } : {}), ...(prev.reason ? { reason: prev.reason } : {}), ...spec }))} />
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
            <${SpecView} spec=${t.effective || t.subscription} />
            <details><summary>as JSON</summary><pre data-testid="ticket-spec">${JSON.stringify(t.effective || t.subscription, null, 2)}</pre></details></details>
          ${t.effective && html`<details data-testid="ticket-preview"><summary>preview against the topic's last records</summary><${EtlPreview} key=${t.id} ticketId=${t.id} title=${`ETL preview of ticket #${t.id}`} /></details>`}
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

// @ts-check
/** @import { Role, Subscription, SubscriptionStatus } from '../api/types.js' */
import { useRef, useState } from 'preact/hooks';
import { errorText } from '../api/api-error.js';
import { Api } from '../api/endpoints.js';
import { Banner } from '../components/banner.js';
import { html } from '../components/html.js';
import { usePoll } from '../hooks/use-poll.js';

/** The worst circuit state any instance reports: open, then half-open, else closed ('–' when none runs). @param {SubscriptionStatus} status */
function circuitSummary(status) {
  const states = status.instances.flatMap((i) => (i.endpoint ? [i.endpoint.circuit.state] : []));
  if (!states.length) return '–';
  return states.includes('open') ? html`<span class="err">open</span>` : states.includes('half_open') ? html`<span class="err">half-open</span>` : 'closed';
}

/** Lag summed over the partitions that report one. @param {SubscriptionStatus} status */
const totalLag = (status) => status.partitions.reduce((sum, p) => sum + (typeof p.lag === 'number' ? p.lag : 0), 0);

/** @typedef {{status: SubscriptionStatus, rate: number | null}} RowStatus rate: delivered/s since the previous poll */

/**
 * Every subscription the token may see, polled every 2 s, with state, instances, circuit,
 * delivered/s, lag and dead letters, and start/stop for operators.
 * @param {{role: Role}} props
 */
export function Subscriptions({ role }) {
  const [subs, setSubs] = useState(/** @type {Subscription[] | null} */ (null));
  const [statuses, setStatuses] = useState(/** @type {Record<number, RowStatus>} */ ({}));
  const [error, setError] = useState('');
  const previous = useRef(/** @type {Map<number, {delivered: number, at: number}>} */ (new Map()));
  // The list shows at once; each status fills in when it answers, so one slow cluster holds up only its row.
  const load = async () => {
    const list = await Api.subscriptions();
    setSubs(list);
    setError('');
    for (const s of list) {
      // Another team's subscription: a requester sees only its summary, not its status.
      if (s.view === 'summary') continue;
      Api.status(s.id).then(
        (status) => {
          const now = Date.now();
          const before = previous.current.get(s.id);
          const rate = before && now > before.at ? Math.max(0, (status.counters.delivered - before.delivered) / ((now - before.at) / 1000)) : null;
          previous.current.set(s.id, { delivered: status.counters.delivered, at: now });
          setStatuses((all) => ({ ...all, [s.id]: { status, rate } }));
        },
        () => undefined,
      );
    }
  };
  usePoll(load, 2000, [], (err) => setError(errorText(err)));
  /** @param {number} id @param {'start' | 'stop'} verb */
  const act = async (id, verb) => {
    try {
      await Api.startOrStop(id, verb);
      await load();
    } catch (err) {
      setError(errorText(err));
    }
  };
  if (subs === null) return html`<h2>Subscriptions</h2><${Banner} error=${error} />Loading…`;
  return html`<h2>Subscriptions</h2><${Banner} error=${error} />
    <table data-testid="subscriptions">
      <thead><tr><th>name</th><th>topic</th><th>state</th><th>instances</th><th>endpoint</th><th>delivered/s</th><th>lag</th><th>dead-lettered</th><th></th></tr></thead>
      <tbody>${subs.map((s) => {
        const { status, rate } = statuses[s.id] || { status: null, rate: null };
        if (s.view === 'summary') {
          return html`<tr data-name=${s.name}><td>${s.name}</td><td>${s.kafka.topic}</td><td class=${`state-${s.status}`}>${s.status}</td>
            <td colspan="6" class="muted">team ${s.owner || 'operators'}: only its owner sees the details</td></tr>`;
        }
        return html`<tr data-name=${s.name}>
          <td><a href=${`#/subscriptions/${s.id}`}>${s.name}</a></td>
          <td>${s.kafka.topic}</td>
          <td class=${`state-${s.status}`} data-testid="state">${s.status}${s.configErrors ? html` <span class="err">invalid config</span>` : ''}</td>
          <td>${status ? status.instances.filter((i) => i.state === 'running').length : '…'}</td>
          <td data-testid="circuit">${status ? circuitSummary(status) : '…'}</td>
          <td>${rate === null ? '…' : rate.toFixed(1)}</td>
          <td>${status ? totalLag(status) : '…'}</td>
          <td>${status ? status.counters.deadLettered : '…'}</td>
          <td>${
            role === 'operator'
              ? s.status === 'running'
                ? html`<button onClick=${() => act(s.id, 'stop')}>Stop</button>`
                : html`<button onClick=${() => act(s.id, 'start')}>Start</button>`
              : ''
          }</td>
        </tr>`;
      })}</tbody>
    </table>
    ${subs.length === 0 ? html`<p class="muted">No subscriptions yet${role === 'requester' ? ': ask for one under Tickets' : ''}.</p>` : ''}`;
}

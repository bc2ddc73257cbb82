// @ts-check
/** @import { Instance } from '../api/types.js' */
import { useState } from 'preact/hooks';
import { errorText } from '../api/api-error.js';
import { Api } from '../api/endpoints.js';
import { Banner } from '../components/banner.js';
import { html } from '../components/html.js';
import { usePoll } from '../hooks/use-poll.js';

/** The cluster as its heartbeats show it (operators): every instance, whether it is live, and what it runs. Polled every 2 s. */
export function Instances() {
  const [instances, setInstances] = useState(/** @type {Instance[] | null} */ (null));
  const [names, setNames] = useState(/** @type {Record<number, string>} */ ({}));
  const [error, setError] = useState('');
  const load = async () => {
    const [list, subs] = await Promise.all([Api.instances(), Api.subscriptions()]);
    setInstances(list);
    setNames(Object.fromEntries(subs.map((s) => [s.id, s.name])));
    setError('');
  };
  usePoll(load, 2000, [], (err) => setError(errorText(err)));
  if (instances === null) return html`<h2>Instances</h2><${Banner} error=${error} />Loading…`;
  /** @param {Instance} i */
  const running = (i) =>
    i.running.length
      ? html`<ul class="plain">${i.running.map(
          (r) => html`<li data-subscription=${r.subscriptionId}>
            ${names[r.subscriptionId] ? html`<a href=${`#/subscriptions/${r.subscriptionId}`}>${names[r.subscriptionId]}</a>` : `#${r.subscriptionId}`} <span class=${`state-${r.state}`}>${r.state}</span> · partitions ${r.partitions.join(', ') || 'none'}</li>`,
        )}</ul>`
      : html`<span class="muted">nothing</span>`;
  return html`<h2>Instances</h2><${Banner} error=${error} />
    <table data-testid="instances">
      <thead><tr><th>instance</th><th>host</th><th>version</th><th>started</th><th>last seen</th><th>state</th><th>runs</th></tr></thead>
      <tbody>${instances.map(
        (i) => html`<tr data-instance=${i.instanceId}>
          <td>${i.instanceId}${i.self ? html` <span class="muted">(answering)</span>` : ''}</td><td>${i.host}</td><td>${i.version || '–'}</td>
          <td>${new Date(i.startedAt).toLocaleString()}</td><td>${new Date(i.lastSeenAt).toLocaleString()}</td>
          <td class=${i.live ? 'state-running' : i.state === 'stopped' ? 'state-stopped' : 'state-failed'} data-testid="live">${i.state ?? (i.live ? 'live' : 'dead')}</td>
          <td>${i.live || !i.running.length ? running(i) : html`<div class="muted stale">last reported (no longer counted):${running(i)}</div>`}</td>
        </tr>`,
      )}</tbody>
    </table>
    <p class="muted">Stopped: it shut down and said so. Dead: its heartbeat is older than INSTANCE_TIMEOUT_MS (a crash or a lost host). Either way it counts as running nothing.</p>`;
}

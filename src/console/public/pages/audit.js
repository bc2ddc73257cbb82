// @ts-check
/** @import { AuditEntry } from '../api/types.js' */
import { useState } from 'preact/hooks';
import { errorText } from '../api/api-error.js';
import { Api } from '../api/endpoints.js';
import { Banner } from '../components/banner.js';
import { withValue } from '../components/form.js';
import { html } from '../components/html.js';
import { usePoll } from '../hooks/use-poll.js';

/** A before/after state as indented JSON. @param {unknown} v */
const json = (v) => (v === null || v === undefined ? '(none)' : JSON.stringify(v, null, 2));

/**
 * Changes made through the API (operators): who, what, when, and the state before and after
 * (secrets masked), filtered by resource type and id. Polled every 5 s; the route's query
 * (#/audit?resourceType=subscription&resourceId=7) sets the first filter.
 * @param {{route: string}} props
 */
export function Audit({ route }) {
  const params = new URLSearchParams(route.split('?')[1] || '');
  const [resourceType, setResourceType] = useState(params.get('resourceType') || '');
  const [resourceId, setResourceId] = useState(params.get('resourceId') || '');
  const [rows, setRows] = useState(/** @type {AuditEntry[] | null} */ (null));
  const [selected, setSelected] = useState(/** @type {AuditEntry | null} */ (null));
  const [error, setError] = useState('');
  const load = async () => {
    const q = new URLSearchParams({ limit: '200' });
    if (resourceType) q.set('resourceType', resourceType);
    // The id box shows only with a type chosen; what is typed in it goes as it is, and the API names a bad one.
    if (resourceType && resourceId) q.set('resourceId', resourceId);
    setRows(await Api.audit(q));
    setError('');
  };
  usePoll(load, 5000, [resourceType, resourceId], (err) => setError(errorText(err)));
  return html`<h2>Audit log</h2><${Banner} error=${error} />
    <div class="row" style="margin-bottom:.8rem">
      <select name="resourceType" style="width:auto" value=${resourceType} onChange=${withValue(setResourceType)}>
        <option value="">everything</option><option value="subscription">subscriptions</option><option value="ticket">tickets</option><option value="dead_letter">dead letters</option>
      </select>
      ${resourceType && html`<input name="resourceId" style="width:8rem" placeholder="id" value=${resourceId} onInput=${withValue((v) => setResourceId(v.trim()))} />`}
    </div>
    ${
      rows === null
        ? 'Loading…'
        : html`<table data-testid="audit"><thead><tr><th>when</th><th>who</th><th>action</th><th>resource</th><th>from</th></tr></thead>
      <tbody>${rows.map(
        (r) => html`<tr class=${`clickable${selected && selected.id === r.id ? ' selected' : ''}`} onClick=${() => setSelected(r)} data-audit=${r.id}>
          <td>${new Date(r.at).toLocaleString()}</td><td>${r.actor || html`<span class="muted">${r.role}</span>`}${r.actor ? html` <span class="muted">(${r.role})</span>` : ''}</td>
          <td>${r.action}</td>
          <td>${r.resourceType === 'subscription' && r.resourceId ? html`<a href=${`#/subscriptions/${r.resourceId}`}>subscription #${r.resourceId}</a>` : `${r.resourceType.replace('_', ' ')} #${r.resourceId ?? '–'}`}</td>
          <td>${r.remote} <span class="muted">via ${r.instanceId}</span></td></tr>`,
      )}</tbody></table>
      ${rows.length === 0 ? html`<p class="muted">No changes recorded.</p>` : ''}`
    }
    ${
      selected &&
      html`<div class="card" style="margin-top:1rem" data-testid="audit-detail">
      <h3 style="margin-top:0">#${selected.id} ${selected.action}</h3>
      <div class="grid"><div><h3>Before</h3><pre>${json(selected.before)}</pre></div><div><h3>After</h3><pre>${json(selected.after)}</pre></div></div>
    </div>`
    }`;
}

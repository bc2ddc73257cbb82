// @ts-check
/** @import { AuditEntry } from '../api/types.js' */
import { useState } from 'preact/hooks';
import { errorText } from '../api/api-error.js';
import { Api } from '../api/endpoints.js';
import { usePoll } from '../hooks/use-poll.js';
import { html } from './html.js';
import { changedPaths } from './spec-draft.js';

/** A changed value, short enough for a table cell. @param {unknown} v */
const brief = (v) => {
  const text = v === undefined ? '–' : typeof v === 'string' ? v : JSON.stringify(v);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
};

/**
 * A subscription's latest changes from the audit log (GET /api/audit, operators), newest
 * first: when, who, the action, and each field it changed as "path: before → after" (secrets
 * arrive masked). Polled every 5 s, and again at once when `refresh` changes (after an edit).
 * @param {{id: number, refresh: number}} props
 */
export function RecentChanges({ id, refresh }) {
  const [rows, setRows] = useState(/** @type {AuditEntry[] | null} */ (null));
  const [error, setError] = useState('');
  usePoll(
    async () => {
      setRows(await Api.audit(new URLSearchParams({ resourceType: 'subscription', resourceId: String(id), limit: '10' })));
      setError('');
    },
    5000,
    [id, refresh],
    (err) => setError(errorText(err)),
  );
  return html`<h3>Recent changes <a class="muted" style="font-weight:normal" href=${`#/audit?resourceType=subscription&resourceId=${id}`}>(all in the audit log)</a></h3>
    ${error && html`<div class="err">${error}</div>`}
    ${
      rows === null
        ? 'Loading…'
        : rows.length === 0
          ? html`<p class="muted">No changes recorded.</p>`
          : html`<table data-testid="recent-changes"><thead><tr><th>when</th><th>who</th><th>action</th><th>what changed</th></tr></thead>
      <tbody>${rows.map((r) => {
        const changes = r.before === null || r.before === undefined ? [] : changedPaths(r.before, r.after);
        return html`<tr data-audit=${r.id}><td>${new Date(r.at).toLocaleString()}</td>
          <td>${r.actor || html`<span class="muted">${r.role}</span>`}</td><td>${r.action}</td>
          <td>${
            changes.length
              ? html`<ul class="plain">${changes.map((c) => html`<li data-path=${c.path}><code>${c.path}</code>: ${brief(c.before)} → ${brief(c.after)}</li>`)}</ul>`
              : html`<span class="muted">${r.before === null || r.before === undefined ? 'created' : 'no field changed'}</span>`
          }</td></tr>`;
      })}</tbody></table>`
    }`;
}

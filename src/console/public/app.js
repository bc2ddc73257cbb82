// @ts-check
// The kproxy console: a small single-page app over the documented admin API (see /docs).
// This module is the shell: who is signed in, the navigation, and which page the hash routes to.
// api/ talks to the API, hooks/ holds the polling and routing hooks, pages/ one file per page,
// components/ what pages share.
/** @import { Role } from './api/types.js' */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { errorText } from './api/api-error.js';
import { clearCredentials, detectRole, hasToken } from './api/client.js';
import { Banner } from './components/banner.js';
import { html } from './components/html.js';
import { useRoute } from './hooks/use-route.js';
import { Audit } from './pages/audit.js';
import { DeadLetters } from './pages/dead-letters.js';
import { Instances } from './pages/instances.js';
import { Login } from './pages/login.js';
import { SubscriptionDetail } from './pages/subscription-detail.js';
import { Subscriptions } from './pages/subscriptions.js';
import { Tickets } from './pages/tickets.js';

/**
 * The page for a route and role: #/subscriptions/:id, #/tickets, and for operators
 * #/dead-letters, #/instances and #/audit; anything else is the subscriptions list. List pages
 * read their filters and page from the route's query (#/?q=orders, #/dead-letters?reason=…).
 * @param {string} route the location hash
 * @param {Exclude<Role, 'anonymous'>} role
 */
function pageFor(route, role) {
  const detail = /^#\/subscriptions\/(\d+)/.exec(route);
  // Keyed by id: another subscription's page starts afresh (its edit draft and version, preview, samples).
  if (detail) return html`<${SubscriptionDetail} key=${detail[1]} id=${Number(detail[1])} role=${role} />`;
  if (route.startsWith('#/tickets')) return html`<${Tickets} role=${role} />`;
  if (route.startsWith('#/dead-letters') && role === 'operator') return html`<${DeadLetters} route=${route} />`;
  if (route.startsWith('#/instances') && role === 'operator') return html`<${Instances} />`;
  if (route.startsWith('#/audit') && role === 'operator') return html`<${Audit} route=${route} />`;
  return html`<${Subscriptions} role=${role} route=${route} />`;
}

/** Signs in when needed, then shows the navigation for the role and the routed page. */
function App() {
  const [role, setRole] = useState(/** @type {Role | null} */ (null));
  const [error, setError] = useState('');
  const route = useRoute();
  const refresh = async () => {
    try {
      setRole(await detectRole());
      setError('');
    } catch (err) {
      setError(errorText(err));
    }
  };
  useEffect(() => void refresh(), []);
  if (role === null) return html`<main>${error ? html`<${Banner} error=${error} />` : 'Loading…'}</main>`;
  if (role === 'anonymous') return html`<${Login} onDone=${refresh} />`;
  const nav = [
    ['#/', 'Subscriptions'],
    ['#/tickets', 'Tickets'],
    ...(role === 'operator'
      ? [
          ['#/dead-letters', 'Dead letters'],
          ['#/instances', 'Instances'],
          ['#/audit', 'Audit'],
        ]
      : []),
  ];
  /** @param {Event} e */
  const signOut = (e) => {
    e.preventDefault();
    clearCredentials();
    void refresh();
  };
  return html`<header>
      <b>kproxy</b>
      <nav>${nav.map(([href, label]) => html`<a href=${href} class=${(href === '#/' ? route.split('?')[0] === '#/' : route.startsWith(href)) ? 'on' : ''}>${label}</a>`)}</nav>
      <span class="who">signed in as <span data-testid="role">${role}</span>${hasToken() ? html` · <a href="#" onClick=${signOut}>sign out</a>` : ''}</span>
    </header>
    <main>${pageFor(route, role)}</main>`;
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(html`<${App} />`, root);
}

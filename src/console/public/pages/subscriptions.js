// @ts-check
/** @import { Role, Subscription, SubscriptionStatus } from '../api/types.js' */
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from '../api/api-error.js';
import { Api } from '../api/endpoints.js';
import { Banner } from '../components/banner.js';
import { FilterInput } from '../components/filter-input.js';
import { withValue } from '../components/form.js';
import { html } from '../components/html.js';
import { PAGE_SIZES, Pager } from '../components/pager.js';
import { goToQuery, routeQuery } from '../hooks/hash-query.js';
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

/** The list's filters as GET /api/subscriptions names them, kept in the route's query. */
const FILTERS = /** @type {const} */ (['q', 'topic', 'status', 'owner', 'lagOver', 'breakerOpen', 'pendingDeadLetters', 'sort']);
/** @typedef {Record<(typeof FILTERS)[number], string>} Filters */

const DEFAULT_SIZE = '50';
// A search is sent once typing pauses this long: one request per word, not per key.
const SEARCH_DEBOUNCE_MS = 300;
// A stopped subscription's status changes only as producers write (its lag): read it this seldom.
const STOPPED_STATUS_MS = 15_000;

/**
 * The subscriptions the token may see, searched, filtered and paged on the server (GET
 * /api/subscriptions: X-Total-Count, Link rel="next"), polled every 2 s. The filters and the page
 * live in the route's query (#/?q=orders&status=running&at=<cursor>,<cursor>: `at` holds the
 * cursors of the pages walked past the first, so Previous drops one). State comes from the list;
 * instances, circuit, delivered/s, lag and dead letters from each shown row's /status, at most one
 * call per row in flight (stopped rows every 15 s): a page of 50 costs at most 50 calls a poll,
 * whatever the total. Operators get start/stop.
 * @param {{role: Role, route: string}} props
 */
export function Subscriptions({ role, route }) {
  const params = routeQuery(route);
  const filters = /** @type {Filters} */ (Object.fromEntries(FILTERS.map((k) => [k, params.get(k) || ''])));
  const size = PAGE_SIZES.includes(params.get('limit') || '') ? /** @type {string} */ (params.get('limit')) : DEFAULT_SIZE;
  const trail = (params.get('at') || '').split(',').filter(Boolean);
  const query = new URLSearchParams(Object.entries(filters).filter(([, v]) => v));
  query.set('limit', size);
  if (trail.length) query.set('cursor', trail[trail.length - 1]);
  const queryText = query.toString();

  const [subs, setSubs] = useState(/** @type {Subscription[] | null} */ (null));
  const [total, setTotal] = useState(/** @type {number | null} */ (null));
  const [nextCursor, setNextCursor] = useState(/** @type {string | null} */ (null));
  const [statuses, setStatuses] = useState(/** @type {Record<number, RowStatus>} */ ({}));
  const [error, setError] = useState('');
  const previous = useRef(/** @type {Map<number, {delivered: number, at: number}>} */ (new Map()));
  const inFlight = useRef(/** @type {Set<number>} */ (new Set()));
  const readAt = useRef(/** @type {Map<number, number>} */ (new Map()));

  /**
   * Goes to the first page with `change` applied to the filters the route holds now (a debounced
   * search fires after other changes; a filtered list starts again: a cursor belongs to its
   * filters and sort).
   * @param {Partial<Filters & {limit: string}>} change
   */
  const refilter = (change) => {
    const now = routeQuery(location.hash);
    goToQuery('#/', { ...Object.fromEntries([...FILTERS, 'limit'].map((k) => [k, now.get(k) || ''])), ...change });
  };
  /** @param {string[]} at */
  const toPage = (at) => goToQuery('#/', { ...filters, limit: size === DEFAULT_SIZE ? '' : size, at: at.join(',') });

  // The search box types freely; its text goes to the route once typing pauses.
  const [text, setText] = useState(filters.q);
  const written = useRef(filters.q);
  useEffect(() => {
    // The route changed by Back or a link, not by this box: show what it says.
    if (filters.q !== written.current) {
      written.current = filters.q;
      setText(filters.q);
    }
  }, [filters.q]);
  useEffect(() => {
    if (text.trim() === filters.q) return;
    const timer = setTimeout(() => {
      written.current = text.trim();
      refilter({ q: text.trim() });
    }, SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text]);

  /** Reads the status of each shown row that has none in flight; each fills in its row when it answers. @param {Subscription[]} rows */
  const readStatuses = (rows) => {
    const now = Date.now();
    for (const s of rows) {
      // Another team's subscription: a requester sees only its summary, not its status.
      if (s.view === 'summary' || inFlight.current.has(s.id)) continue;
      if (s.status === 'stopped' && now - (readAt.current.get(s.id) || 0) < STOPPED_STATUS_MS) continue;
      inFlight.current.add(s.id);
      readAt.current.set(s.id, now);
      Api.status(s.id)
        .then(
          (status) => {
            const at = Date.now();
            const before = previous.current.get(s.id);
            const rate = before && at > before.at ? Math.max(0, (status.counters.delivered - before.delivered) / ((at - before.at) / 1000)) : null;
            previous.current.set(s.id, { delivered: status.counters.delivered, at });
            setStatuses((all) => ({ ...all, [s.id]: { status, rate } }));
          },
          () => undefined,
        )
        .finally(() => inFlight.current.delete(s.id));
    }
  };

  // The list shows at once; each status fills in when it answers, so one slow cluster holds up only its row.
  const latest = useRef(queryText);
  latest.current = queryText;
  const load = async () => {
    const page = await Api.subscriptionPage(query);
    // The filters or the page changed while this was read: the read for them shows instead.
    if (latest.current !== queryText) return;
    setSubs(page.rows);
    setTotal(page.total);
    setNextCursor(page.next ? page.next.get('cursor') : null);
    setError('');
    // Only the rows shown keep their statuses (and rates): the rest would only grow.
    const shown = new Set(page.rows.map((s) => s.id));
    setStatuses((all) => Object.fromEntries(Object.entries(all).filter(([id]) => shown.has(Number(id)))));
    for (const map of [previous.current, readAt.current]) for (const id of [...map.keys()]) if (!shown.has(id)) map.delete(id);
    readStatuses(page.rows);
  };
  usePoll(load, 2000, [queryText], (err) => setError(errorText(err)));
  /** @param {number} id @param {'start' | 'stop'} verb */
  const act = async (id, verb) => {
    try {
      await Api.startOrStop(id, verb);
      readAt.current.delete(id);
      await load();
    } catch (err) {
      setError(errorText(err));
    }
  };
  /** @param {keyof Filters} key */
  const onFilter = (key) => withValue((v) => refilter({ [key]: v.trim() }));
  const filtered = FILTERS.some((k) => k !== 'sort' && filters[k]);

  const controls = html`<div class="row filters" data-testid="subscription-filters">
      <input name="search" type="search" style="width:16rem" placeholder="search name or topic" value=${text} onInput=${withValue(setText)} />
      <${FilterInput} name="topic" style="width:11rem" placeholder="topic (exact)" value=${filters.topic} onCommit=${(/** @type {string} */ v) => refilter({ topic: v })} />
      <select name="status" style="width:auto" value=${filters.status} onChange=${onFilter('status')}>
        <option value="">any state</option><option value="running">running</option><option value="stopped">stopped</option>
      </select>
      <${FilterInput} name="owner" style="width:9rem" placeholder="owner team" value=${filters.owner} onCommit=${(/** @type {string} */ v) => refilter({ owner: v })} />
      <${FilterInput} name="lagOver" style="width:8rem" inputmode="numeric" placeholder="lag over N" value=${filters.lagOver} onCommit=${(/** @type {string} */ v) => refilter({ lagOver: v })} />
      <select name="breakerOpen" style="width:auto" value=${filters.breakerOpen} onChange=${onFilter('breakerOpen')}>
        <option value="">any breaker</option><option value="true">breaker open</option><option value="false">breaker closed</option>
      </select>
      <select name="pendingDeadLetters" style="width:auto" value=${filters.pendingDeadLetters} onChange=${onFilter('pendingDeadLetters')}>
        <option value="">dead letters: any</option><option value="true">dead letters pending</option><option value="false">no dead letters pending</option>
      </select>
      <select name="sort" style="width:auto" value=${filters.sort} onChange=${onFilter('sort')}>
        <option value="">oldest first</option><option value="-id">newest first</option><option value="name">name A–Z</option><option value="-name">name Z–A</option>
      </select>
      ${filtered && html`<button onClick=${() => (setText(''), (written.current = ''), goToQuery('#/', { sort: filters.sort }))}>Clear filters</button>`}
    </div>`;
  const pager = html`<${Pager}
    page=${trail.length + 1}
    total=${total}
    noun=${filtered ? 'match' : 'in all'}
    hasNext=${!!nextCursor}
    size=${size}
    onFirst=${() => toPage([])}
    onPrevious=${() => toPage(trail.slice(0, -1))}
    onNext=${() => nextCursor && toPage([...trail, nextCursor])}
    onSize=${(/** @type {string} */ s) => refilter({ limit: s === DEFAULT_SIZE ? '' : s })}
  />`;
  if (subs === null) return html`<h2>Subscriptions</h2><${Banner} error=${error} />${controls}Loading…`;
  return html`<h2>Subscriptions</h2><${Banner} error=${error} />
    ${controls}${pager}
    <table data-testid="subscriptions">
      <thead><tr><th>name</th><th>topic</th><th>owner</th><th>state</th><th>instances</th><th>endpoint</th><th>delivered/s</th><th>lag</th><th>dead-lettered</th><th></th></tr></thead>
      <tbody>${subs.map((s) => {
        const { status, rate } = statuses[s.id] || { status: null, rate: null };
        if (s.view === 'summary') {
          return html`<tr data-name=${s.name}><td>${s.name}</td><td>${s.kafka.topic}</td><td>${s.owner || 'operators'}</td><td class=${`state-${s.status}`} data-testid="state">${s.status}</td>
            <td colspan="6" class="muted">only its owner sees the details</td></tr>`;
        }
        return html`<tr data-name=${s.name}>
          <td><a href=${`#/subscriptions/${s.id}`}>${s.name}</a></td>
          <td>${s.kafka.topic}</td>
          <td>${s.owner || html`<span class="muted">operators</span>`}</td>
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
    ${
      subs.length === 0
        ? html`<p class="muted">${filtered ? 'None match these filters.' : trail.length ? 'No more.' : `No subscriptions yet${role === 'requester' ? ': ask for one under Tickets' : ''}.`}</p>`
        : ''
    }`;
}

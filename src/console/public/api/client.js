// @ts-check
/** @import { Role } from './types.js' */
import { ApiError } from './api-error.js';

const TOKEN_KEY = 'kproxy.token';
const ACTOR_KEY = 'kproxy.actor';
// The token lives in this tab's sessionStorage: it survives a reload but not closing the tab, and
// other tabs and later visits do not find it (README, "Web console"). Earlier versions kept it
// in localStorage, where it stayed for good: remove that copy.
localStorage.removeItem(TOKEN_KEY);
let token = sessionStorage.getItem(TOKEN_KEY) || '';
// Who is behind the token, recorded with every change in the audit log (X-Kproxy-Actor).
let actor = localStorage.getItem(ACTOR_KEY) || '';

/** Whether the tab holds a token (an open API needs none). */
export const hasToken = () => token !== '';

/**
 * Sends `newToken` and `newActor` (the name for the audit log; '' for none) with the next calls,
 * without keeping them: saveCredentials() keeps them once the API accepted them.
 * @param {string} newToken
 * @param {string} newActor
 */
export function setCredentials(newToken, newActor) {
  token = newToken;
  actor = newActor;
}

/** Keeps the current token for this tab (sessionStorage) and the name for later visits (localStorage). */
export function saveCredentials() {
  sessionStorage.setItem(TOKEN_KEY, token);
  localStorage.setItem(ACTOR_KEY, actor);
}

/** Forgets the token and the name, here and in storage. */
export function clearCredentials() {
  sessionStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(ACTOR_KEY);
  token = '';
  actor = '';
}

/**
 * One admin API call with the tab's token (Authorization: Bearer) and name (X-Kproxy-Actor);
 * `body`, when given, goes as JSON. Resolves to the parsed JSON answer (null for an empty one).
 * The console does not check what it sends: the API validates every field and its 400 names
 * each bad one, which the pages show.
 * @template T the answer's shape (see types.js)
 * @param {'GET' | 'POST' | 'PATCH'} method
 * @param {string} path e.g. /api/subscriptions
 * @param {unknown} [body]
 * @param {Record<string, string>} [extraHeaders] e.g. If-Match
 * @returns {Promise<T>}
 * @throws {ApiError} when the answer is not 2xx, or no answer came (status 0)
 */
export async function request(method, path, body, extraHeaders = {}) {
  return /** @type {T} */ ((await requestWithHeaders(method, path, body, extraHeaders)).data);
}

/**
 * request() that also gives the answer's headers, for the lists that page with them
 * (X-Total-Count, Link rel="next"). Same arguments, same errors.
 * @template T the answer's shape (see types.js)
 * @param {'GET' | 'POST' | 'PATCH'} method
 * @param {string} path
 * @param {unknown} [body]
 * @param {Record<string, string>} [extraHeaders]
 * @returns {Promise<{data: T, headers: Headers}>}
 * @throws {ApiError} when the answer is not 2xx, or no answer came (status 0)
 */
export async function requestWithHeaders(method, path, body, extraHeaders = {}) {
  /** @type {Record<string, string>} */
  const headers = { ...extraHeaders };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  if (actor) headers['x-kproxy-actor'] = actor;
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    // fetch rejects without an answer: the network, or a header it cannot send (a name outside ISO-8859-1).
    throw new ApiError(0, [`the request was not sent or not answered: ${err instanceof Error ? err.message : String(err)}`], null, null);
  }
  const text = await res.text();
  /** @type {unknown} */
  let data;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!res.ok) throw ApiError.fromBody(res.status, data);
  return { data: /** @type {T} */ (data), headers: res.headers };
}

/**
 * The query of a Link header's rel="next" target (RFC 8288), e.g. `</api/subscriptions?sort=name&cursor=x>; rel="next"`
 * gives its URLSearchParams; null when there is none.
 * @param {string | null} link the Link header
 */
export function nextLinkQuery(link) {
  if (!link) return null;
  for (const part of link.split(',')) {
    const m = /^\s*<([^>]*)>\s*;\s*rel="?next"?\s*$/.exec(part);
    if (m) return new URLSearchParams(m[1].split('?')[1] || '');
  }
  return null;
}

/**
 * A page of a list that pages by headers: its rows, how many match in all (X-Total-Count; null
 * when the server did not say) and the query of the next page (Link rel="next"; null at the end).
 * @template T
 * @param {string} path
 * @returns {Promise<import('./types.js').Page<T>>}
 * @throws {ApiError}
 */
export async function requestPage(path) {
  const { data, headers } = await requestWithHeaders('GET', path);
  const total = headers.get('x-total-count');
  return {
    rows: /** @type {T[]} */ (data) || [],
    total: total !== null && /^\d+$/.test(total) ? Number(total) : null,
    next: nextLinkQuery(headers.get('link')),
  };
}

/**
 * Which role the tab's token has, by the one call that tells them apart: GET /api/instances
 * answers operators, refuses requesters with 403 and anyone else with 401.
 * @returns {Promise<Role>}
 * @throws {ApiError} on any other failure (e.g. a 400 for the name given at sign-in)
 */
export async function detectRole() {
  try {
    await request('GET', '/api/instances');
    return 'operator';
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) return 'requester';
    if (err instanceof ApiError && err.status === 401) return 'anonymous';
    throw err;
  }
}

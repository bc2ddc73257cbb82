// @ts-check

/**
 * The query part of a route (`#/dead-letters?state=pending` gives state=pending): list pages
 * keep their filters and page there, so a reload or a copied link shows the same list.
 * @param {string} route the location hash
 */
export const routeQuery = (route) => new URLSearchParams(route.includes('?') ? route.slice(route.indexOf('?') + 1) : '');

/**
 * Goes to `base` with `params` as its query, leaving out empty values; the hashchange that
 * follows re-renders the page with them. Each change is a history entry, so Back undoes it.
 * @param {string} base e.g. "#/dead-letters"
 * @param {Record<string, string | undefined>} params
 */
export function goToQuery(base, params) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) query.set(k, v);
  const text = query.toString();
  const next = text ? `${base}?${text}` : base;
  if (location.hash !== next) location.hash = next;
}

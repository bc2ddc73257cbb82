// @ts-check
import { withValue } from './form.js';
import { html } from './html.js';

/** The page sizes a list offers. */
export const PAGE_SIZES = ['25', '50', '100'];

/**
 * Previous / next buttons for a keyset-paged list, with the page number, how many match in all
 * and the page size. Keyset pages have no numbers of their own: the page counts the pages walked
 * from the first one.
 * @param {{page: number, total: number | null, noun: string, hasNext: boolean, size: string,
 *   onPrevious: () => void, onNext: () => void, onFirst: () => void, onSize: (size: string) => void}} props
 */
export const Pager = ({ page, total, noun, hasNext, size, onPrevious, onNext, onFirst, onSize }) =>
  html`<div class="row pager" data-testid="pager">
    <span data-testid="total">${total === null ? '' : `${total} ${noun}`}</span>
    <span class="muted" data-testid="page">page ${page}</span>
    <button disabled=${page <= 1} onClick=${onFirst} title="the first page">«</button>
    <button disabled=${page <= 1} onClick=${onPrevious} data-testid="previous-page">← Previous</button>
    <button disabled=${!hasNext} onClick=${onNext} data-testid="next-page">Next →</button>
    <select name="pageSize" style="width:auto" value=${size} onChange=${withValue(onSize)} title="rows a page">
      ${PAGE_SIZES.map((s) => html`<option value=${s}>${s} a page</option>`)}
    </select>
  </div>`;

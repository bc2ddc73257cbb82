// @ts-check
import { html } from './html.js';

/**
 * An editable list of rows (filter rules, output fields, headers, …): one table row per entry
 * with a Remove button, an Add button under it, the problems the API named for a row beneath
 * that row, and those for the whole list (`fieldKey`, its API path) beneath the table.
 * @template Row
 * @param {{
 *   testid: string,
 *   fieldKey: string,
 *   rows: Row[],
 *   head: string[],
 *   blank: () => Row,
 *   addLabel: string,
 *   readOnly?: boolean,
 *   onChange: (rows: Row[]) => void,
 *   cells: (row: Row, i: number, set: (patch: Partial<Row>) => void) => unknown[],
 *   rowError: (i: number) => string | undefined,
 *   error?: string,
 * }} props
 */
export function RowsTable({ testid, fieldKey, rows, head, blank, addLabel, readOnly, onChange, cells, rowError, error }) {
  /** @param {number} i @param {Partial<Row>} patch */
  const set = (i, patch) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  /** @param {number} i */
  const remove = (i) => onChange(rows.filter((_, j) => j !== i));
  return html`<div class="rows" data-testid=${testid} data-field=${fieldKey}>
    ${
      rows.length > 0 &&
      html`<table class="rows"><thead><tr>${head.map((h) => html`<th>${h}</th>`)}<th></th></tr></thead>
      <tbody>${rows.map((row, i) => {
        const problem = rowError(i);
        return html`<tr data-row=${i}>${cells(row, i, (patch) => set(i, patch)).map((c) => html`<td>${c}</td>`)}
            <td>${!readOnly && html`<button type="button" class="link" aria-label=${`remove row ${i + 1}`} onClick=${() => remove(i)}>Remove</button>`}</td></tr>
          ${problem && html`<tr class="row-err" data-row-error=${i}><td colspan=${head.length + 1}><div class="err">${problem}</div></td></tr>`}`;
      })}</tbody></table>`
    }
    ${!readOnly && html`<button type="button" onClick=${() => onChange([...rows, blank()])}>${addLabel}</button>`}
    ${error && html`<div class="err">${error}</div>`}
  </div>`;
}

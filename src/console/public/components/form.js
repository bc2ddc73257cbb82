// @ts-check
import { html } from './html.js';

/**
 * A labelled input with the problem the API named for it, if any, beneath it.
 * @param {string} key the field's name in the form (data-field, for tests and styles)
 * @param {string} label
 * @param {unknown} input the input element
 * @param {string} [error]
 */
export const field = (key, label, input, error) =>
  html`<label data-field=${key}><span>${label}</span>${input}${error && html`<div class="err">${error}</div>`}</label>`;

/** The value of the input, select or textarea whose handler got `e`. @param {Event} e */
export const valueOf = (e) => /** @type {HTMLInputElement} */ (e.currentTarget).value;

/**
 * An input or change handler that passes the element's value to `set`.
 * @param {(value: string) => void} set
 * @returns {(e: Event) => void}
 */
export const withValue = (set) => (e) => set(valueOf(e));

/** Whether the checkbox whose handler got `e` is checked. @param {Event} e */
export const checkedOf = (e) => /** @type {HTMLInputElement} */ (e.currentTarget).checked;

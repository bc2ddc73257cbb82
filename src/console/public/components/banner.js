// @ts-check
import { html } from './html.js';

/**
 * A page's one-line outcome: the error when there is one, else the success note, else nothing.
 * @param {{error?: string, ok?: string}} props
 */
export const Banner = ({ error, ok }) =>
  error ? html`<div class="banner bad" role="alert">${error}</div>` : ok ? html`<div class="banner good" role="status">${ok}</div>` : null;

// @ts-check
import { h } from 'preact';
import htm from 'htm';

/** Preact elements from tagged templates (htm), in place of JSX: there is no build step. */
export const html = htm.bind(h);

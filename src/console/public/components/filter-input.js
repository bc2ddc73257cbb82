// @ts-check
import { useEffect, useState } from 'preact/hooks';
import { withValue } from './form.js';
import { html } from './html.js';

/**
 * A filter's text (or date) input that keeps what is being typed as its own draft, so a list's
 * poll re-rendering the page does not put the applied value back under the cursor; the draft is
 * handed to `onCommit` (trimmed) on change (Enter, or leaving the box), and follows `value` when
 * that changes from elsewhere (Back, a link, Clear filters).
 * @param {{name: string, value: string, onCommit: (value: string) => void, placeholder?: string, type?: string, style?: string, inputmode?: string}} props
 */
export function FilterInput({ name, value, onCommit, placeholder, type, style, inputmode }) {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  return html`<input
    name=${name}
    type=${type || 'text'}
    style=${style}
    inputmode=${inputmode}
    placeholder=${placeholder}
    value=${draft}
    onInput=${withValue(setDraft)}
    onChange=${withValue((v) => onCommit(v.trim()))}
  />`;
}

// @ts-check
import { useState } from 'preact/hooks';
import { errorText } from '../api/api-error.js';
import { clearCredentials, detectRole, saveCredentials, setCredentials } from '../api/client.js';
import { withValue } from '../components/form.js';
import { html } from '../components/html.js';

/**
 * Sign-in: a token and, optionally, the name the audit log records with this person's changes.
 * Both are kept only once the API accepted them (it checks the name too, and its 400 is shown).
 * @param {{onDone: () => void}} props called once signed in
 */
export function Login({ onDone }) {
  const [value, setValue] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState('');
  /** @param {Event} e */
  const submit = async (e) => {
    e.preventDefault();
    setCredentials(value.trim(), name.trim());
    try {
      if ((await detectRole()) === 'anonymous') {
        clearCredentials();
        setError('That token is not accepted.');
      } else {
        saveCredentials();
        onDone();
      }
    } catch (err) {
      clearCredentials();
      setError(errorText(err));
    }
  };
  return html`<main><div class="card" style="max-width:28rem">
    <h2>Sign in</h2>
    <p class="muted">Paste the operator token (ADMIN_TOKEN) or the requester token (REQUESTER_TOKEN).</p>
    <form onSubmit=${submit}>
      <label><span>Token</span><input name="token" type="password" autocomplete="off" value=${value} onInput=${withValue(setValue)} /></label>
      <label><span>Your name (optional, recorded with your changes in the audit log)</span><input name="actor" autocomplete="username" value=${name} onInput=${withValue(setName)} /></label>
      ${error && html`<div class="err">${error}</div>`}
      <button class="primary" type="submit">Sign in</button>
    </form></div></main>`;
}

// @ts-check
/** @import { OffsetResetRequest, Subscription, SubscriptionStatus } from '../api/types.js' */
import { useState } from 'preact/hooks';
import { placeErrors } from '../api/api-error.js';
import { Api } from '../api/endpoints.js';
import { field, withValue } from './form.js';
import { html } from './html.js';

/** Text that reads as a number becomes one; anything else is sent as written, for the API to name. @param {string} text */
const numberOr = (text) => {
  const t = text.trim();
  return t !== '' && Number.isFinite(Number(t)) ? Number(t) : t;
};

/**
 * The offsets textarea as the API body's `offsets`, one entry per non-blank line
 * ("partition:offset"), with the line each came from so the API's "offsets.2.offset" can be
 * shown as that line.
 * @param {string} text
 */
function offsetLines(text) {
  /** @type {NonNullable<OffsetResetRequest['offsets']>} */
  const offsets = [];
  /** @type {number[]} */
  const lineOf = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const colon = line.indexOf(':');
    offsets.push(colon < 0 ? { partition: numberOr(line) } : { partition: numberOr(line.slice(0, colon)), offset: numberOr(line.slice(colon + 1)) });
    lineOf.push(i + 1);
  });
  return { offsets, lineOf };
}

/**
 * Moves a subscription's consumer group (POST /api/subscriptions/:id/offsets/reset, with
 * restart): the operator picks the target, reviews what will happen, and confirms. What was
 * picked is checked by the API alone; its 400 brings the form back with each problem beside
 * its input.
 * @param {{sub: Subscription, partitions: SubscriptionStatus['partitions'], onClose: () => void, onDone: (text: string) => void}} props
 */
export function ResetOffsetsDialog({ sub, partitions, onClose, onDone }) {
  const [to, setTo] = useState('earliest');
  const [when, setWhen] = useState('');
  const [offsets, setOffsets] = useState(partitions.map((p) => `${p.partition}:${p.committedOffset ?? 0}`).join('\n'));
  const [confirming, setConfirming] = useState(false);
  const [fieldErrors, setFieldErrors] = useState(/** @type {Record<string, string>} */ ({}));
  const [errors, setErrors] = useState(/** @type {string[]} */ ([]));
  const lines = offsetLines(offsets);
  /** @returns {OffsetResetRequest} */
  const body = () => {
    if (to === 'timestamp') return { to, timestamp: when ? new Date(when).getTime() : undefined, restart: true };
    if (to === 'offsets') return { to, offsets: lines.offsets, restart: true };
    return { to, restart: true };
  };
  const describe = () =>
    to === 'timestamp'
      ? when
        ? `the first records at or after ${new Date(when).toLocaleString()}`
        : 'a point in time not yet picked'
      : to === 'offsets'
        ? 'the offsets listed'
        : `the ${to} offsets`;
  /** @type {import('../api/api-error.js').PlaceProblem} */
  const place = (path, message) => {
    if (path === 'timestamp') return { key: 'timestamp', text: message };
    if (path === 'offsets') return { key: 'offsets', text: message };
    const entry = /^offsets\.(\d+)(?:\.(.+))?$/.exec(path);
    if (!entry) return null;
    const line = lines.lineOf[Number(entry[1])];
    return { key: 'offsets', text: `line ${line ?? Number(entry[1]) + 1}${entry[2] ? `, ${entry[2]}` : ''}: ${message}` };
  };
  const review = () => {
    setFieldErrors({});
    setErrors([]);
    setConfirming(true);
  };
  const apply = async () => {
    try {
      await Api.resetOffsets(sub.id, body());
      onDone(`Offsets reset to ${describe()}.`);
    } catch (err) {
      const { byKey, general } = placeErrors(err, place);
      setFieldErrors(byKey);
      setErrors(general);
      setConfirming(false);
    }
  };
  return html`<div class="dialog" role="dialog" aria-label="Reset offsets"><div>
    <h3 style="margin-top:0">Reset offsets of ${sub.name}</h3>
    ${
      confirming
        ? html`<p data-testid="confirm-text">Consumption stops, the group moves to ${describe()}, and consumption starts again. Records after that point are delivered again. Continue?</p>
          <div class="row"><button class="danger" onClick=${apply}>Yes, reset</button><button onClick=${() => setConfirming(false)}>Back</button></div>`
        : html`<label><span>Move to</span>
            <select name="to" value=${to} onChange=${withValue(setTo)}>
              <option value="earliest">earliest (replay everything kept)</option>
              <option value="latest">latest (skip the backlog)</option>
              <option value="timestamp">a point in time</option>
              <option value="offsets">explicit offsets</option>
            </select></label>
          ${
            to === 'timestamp' &&
            field(
              'timestamp',
              'Time',
              html`<input name="timestamp" type="datetime-local" step="1" value=${when} onInput=${withValue(setWhen)} />`,
              fieldErrors.timestamp,
            )
          }
          ${
            to === 'offsets' &&
            field(
              'offsets',
              'One partition:offset per line',
              html`<textarea name="offsets" rows="5" value=${offsets} onInput=${withValue(setOffsets)}></textarea>`,
              fieldErrors.offsets,
            )
          }
          ${errors.map((e) => html`<div class="err">${e}</div>`)}
          <div class="row" style="margin-top:.6rem"><button class="primary" onClick=${review}>Review</button><button onClick=${onClose}>Cancel</button></div>`
    }
  </div></div>`;
}

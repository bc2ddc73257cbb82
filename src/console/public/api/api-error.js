// @ts-check
/** @import { ErrorBody, FieldProblem } from './types.js' */

/**
 * An admin API call that did not succeed: the error body's message lines, and the invalid
 * fields when the server named them (`fields`, see ErrorBody). status is 0 when no answer
 * came (the network, or a request the browser would not send).
 */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, or 0
   * @param {string[]} messages
   * @param {FieldProblem[] | null} fields
   * @param {string | null} code e.g. INVALID_INPUT, when the server sent one
   */
  constructor(status, messages, fields, code) {
    super(messages.join('; ') || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.messages = messages;
    this.fields = fields;
    this.code = code;
  }

  /**
   * The error an answer's body describes; a body that is not an ErrorBody (a proxy's HTML page)
   * gives only its status.
   * @param {number} status
   * @param {unknown} body the parsed JSON, the text when it was not JSON, or null
   */
  static fromBody(status, body) {
    const b = /** @type {Partial<ErrorBody> | null} */ (body !== null && typeof body === 'object' ? body : null);
    const message = b && b.message;
    const messages = Array.isArray(message) ? message.map(String) : message ? [String(message)] : [];
    const fields = b && Array.isArray(b.fields) ? b.fields.filter((f) => f && typeof f.path === 'string' && typeof f.message === 'string') : null;
    return new ApiError(status, messages, fields, b && typeof b.code === 'string' ? b.code : null);
  }
}

/** What an error says, for a banner. @param {unknown} err */
export const errorText = (err) => (err instanceof Error ? err.message : String(err));

/**
 * Where a form shows one problem: the key of the input it belongs beside, and the text to show
 * there; null leaves it for the form's general list.
 * @typedef {(path: string, message: string) => {key: string, text: string} | null} PlaceProblem
 */

const PATH_LINE = /^(\S+): ([\s\S]+)$/;

/**
 * Sorts an error's problems into those shown beside an input and the rest. The server's
 * `fields` are used when it sent them; otherwise each "path: problem" message line (the zod
 * issue format of src/common/validation/format-zod-issues.ts) is read as one. Message lines
 * that name no field, and problems `place` has no input for, go to `general`.
 * @param {unknown} err
 * @param {PlaceProblem} place
 * @returns {{byKey: Record<string, string>, general: string[]}}
 */
export function placeErrors(err, place) {
  /** @type {Record<string, string>} */
  const byKey = {};
  /** @type {string[]} */
  const general = [];
  if (!(err instanceof ApiError)) return { byKey, general: [errorText(err)] };
  /** @param {string} path @param {string} message @param {string} line */
  const put = (path, message, line) => {
    const spot = place(path, message);
    if (!spot) {
      general.push(line);
      return;
    }
    byKey[spot.key] = byKey[spot.key] ? `${byKey[spot.key]}; ${spot.text}` : spot.text;
  };
  if (err.fields && err.fields.length) {
    const fields = err.fields;
    for (const f of fields) put(f.path, f.message, `${f.path}: ${f.message}`);
    // Lines that repeat a field are shown with it; any other line still needs saying.
    for (const m of err.messages) if (!fields.some((f) => m.startsWith(`${f.path}:`))) general.push(m);
  } else {
    for (const m of err.messages) {
      const parsed = PATH_LINE.exec(m);
      if (parsed) put(parsed[1], parsed[2], m);
      else general.push(m);
    }
  }
  if (!general.length && !Object.keys(byKey).length) general.push(err.message);
  return { byKey, general };
}

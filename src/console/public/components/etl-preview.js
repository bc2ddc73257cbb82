// @ts-check
/** @import { HeaderPairs, PreviewAnswer, PreviewedRecord, PreviewSource, SampleRecord } from '../api/types.js' */
/** @import { PlaceProblem } from '../api/api-error.js' */
import { useState } from 'preact/hooks';
import { placeErrors } from '../api/api-error.js';
import { Api } from '../api/endpoints.js';
import { field, withValue } from './form.js';
import { html } from './html.js';

/** The parts of a subscription the preview reads (src/preview: kafka, etl, endpoint, delivery); name, status and the rest are not its business. */
const PREVIEWED = ['kafka', 'etl', 'endpoint', 'delivery'];

/** @typedef {{value: string, key: string, headers: string}} SampleInput One pasted record as typed; headers one "name: value" a line. */

const EMPTY_SAMPLE = { value: '', key: '', headers: '' };

/**
 * The body a test delivery of this preview's first kept record would send: the first array
 * request when batching (batchSize > 1), else the first kept record's body; null when none is kept.
 * @param {PreviewAnswer} answer
 * @returns {string | null}
 */
export function firstKeptBody(answer) {
  if (answer.batchSize > 1) return answer.batches.length ? answer.batches[0].body : null;
  const kept = answer.records.find((r) => r.kept);
  return kept ? kept.body : null;
}

/**
 * The headers box as the API's header list, one entry per non-blank line split at its first
 * ":" (a line without one is sent as a name alone, for the API to name), with the line each
 * came from so "records.0.headers.1.value" can be shown as that line.
 * @param {string} text
 */
function headerLines(text) {
  /** @type {NonNullable<SampleRecord['headers']>} */
  const headers = [];
  /** @type {number[]} */
  const lineOf = [];
  text.split('\n').forEach((raw, i) => {
    if (!raw.trim()) return;
    const colon = raw.indexOf(':');
    headers.push(colon < 0 ? { name: raw.trim() } : { name: raw.slice(0, colon).trim(), value: raw.slice(colon + 1).trimStart() });
    lineOf.push(i + 1);
  });
  return { headers, lineOf };
}

/** Text that reads as a whole number becomes one; anything else is sent as typed, for the API to name. @param {string} text */
const countOr = (text) => (/^\s*\d+\s*$/.test(text) ? Number(text) : text);

/** @param {PreviewedRecord} r @param {number} i @param {PreviewAnswer} answer */
const recordLabel = (r, i, answer) => (answer.source === 'topic' ? `${r.partition}:${r.offset}` : `#${i + 1}`);

/** @param {number | null} n */
const bytes = (n) => (n === null ? 'none' : `${n} B`);

/** @param {HeaderPairs} headers */
const headerTable = (headers) =>
  html`<table class="headers" data-testid="preview-headers"><tbody>${headers.map(([name, value]) => html`<tr><td>${name}</td><td>${value}</td></tr>`)}</tbody></table>`;

/** Whether it is sent, and if not, why (the filter says nothing more than that it drops it). @param {PreviewedRecord} r */
function verdict(r) {
  if (r.outcome === 'deliver') return html`<span class="verdict kept" data-testid="preview-verdict">sent</span>`;
  if (r.outcome === 'filtered') return html`<span class="verdict dropped" data-testid="preview-verdict">dropped by the filter</span>`;
  return html`<span class="verdict dead" data-testid="preview-verdict">dead letter${r.reason ? `: ${r.reason}` : ''}</span>
    ${r.problem && html`<div class="err" data-testid="preview-problem">${r.problem}</div>`}`;
}

/** @param {PreviewAnswer} answer */
function summary(answer) {
  const count = (/** @type {PreviewedRecord['outcome']} */ o) => answer.records.filter((r) => r.outcome === o).length;
  const dead = count('dead_letter');
  return `${answer.records.length} record${answer.records.length === 1 ? '' : 's'}: ${count('deliver')} sent, ${count('filtered')} dropped by the filter${dead ? `, ${dead} dead-lettered` : ''}`;
}

/**
 * What a preview answered: where the records came from, then per record whether it is sent
 * (or dropped by the filter, or dead-lettered and why) and the exact body and headers of its
 * request; with batchSize > 1 the array requests follow. Each record row carries
 * data-partition, data-offset and data-outcome.
 * @param {{answer: PreviewAnswer}} props
 */
function PreviewResult({ answer }) {
  const batching = answer.batchSize > 1;
  const read = answer.read;
  return html`<div data-testid="preview-result">
    <p><b data-testid="preview-summary">${summary(answer)}</b>
      <span class="muted"> · ${
        answer.source === 'topic' ? `the last records of ${answer.topic}` : 'pasted'
      } · kept ones go as ${answer.endpoint.method} ${answer.endpoint.url}${batching ? `, in arrays of up to ${answer.batchSize}` : ''}</span></p>
    ${
      read &&
      html`<p class="muted">read ${read.partitions.map((p) => `partition ${p.partition}: ${p.high > p.from ? `offsets ${p.from}–${p.high - 1}` : 'empty'}`).join(', ')}${
        read.complete ? '' : html` · <span class="err">the read stopped at its time or size bound: fewer records than asked</span>`
      }</p>`
    }
    ${answer.records.length === 0 && html`<p class="muted">No records${answer.source === 'topic' ? ': the topic holds none' : ''}.</p>`}
    ${
      answer.records.length > 0 &&
      html`<table class="preview" data-testid="preview-records"><thead><tr><th>record</th><th>verdict</th><th>body${batching ? ' (array element)' : ''}</th><th>headers</th></tr></thead>
      <tbody>${answer.records.map(
        (r, i) => html`<tr data-partition=${r.partition} data-offset=${r.offset} data-outcome=${r.outcome}>
          <td><b>${recordLabel(r, i, answer)}</b><div class="muted">key ${bytes(r.keyBytes)}, value ${bytes(r.valueBytes)}</div></td>
          <td>${verdict(r)}</td>
          <td>${r.body === null ? '–' : html`<pre data-testid="preview-body">${r.body}</pre>`}</td>
          <td>${r.headers ? headerTable(r.headers) : batching && r.kept ? html`<span class="muted">with its array, below</span>` : '–'}</td>
        </tr>`,
      )}</tbody></table>`
    }
    ${
      batching &&
      answer.batches.length > 0 &&
      html`<h4>Requests</h4>${answer.batches.map(
        (b, i) => html`<div class="card" data-testid="preview-batch">
          <div class="muted">request ${i + 1}: records ${b.records.map((r) => `${r.partition}:${r.offset}`).join(', ')}</div>
          <div class="grid"><pre data-testid="preview-body">${b.body}</pre>${headerTable(b.headers)}</div>
        </div>`,
      )}`
    }
  </div>`;
}

/**
 * The ETL preview: pasted sample records or the topic's last N (N ≤ 100, read without joining a
 * group or committing), and for each whether the filter keeps it and the exact body and headers
 * that would be sent (secret headers masked, as the API answers). It previews either the
 * subscription being composed (`spec`, POST /api/preview), a stored one (`subscriptionId`,
 * POST /api/subscriptions/:id/preview) or a ticket's (`ticketId`, POST /api/tickets/:id/preview,
 * operators: with the ticket's own credentials). Nothing is checked here: the API's 400 is shown beside
 * the input it names, and a problem in the spec itself beside the host form's input when the
 * host places it (`placeSpecProblem`, given the path inside the subscription, e.g.
 * "etl.filter.0.op"; `onSpecErrors` gets those after each preview, {} when there were none),
 * else in the panel's list.
 * @param {{
 *   spec?: () => Record<string, unknown>,
 *   subscriptionId?: number,
 *   ticketId?: number,
 *   placeSpecProblem?: PlaceProblem,
 *   onSpecErrors?: (byKey: Record<string, string>) => void,
 *   onResult?: (answer: PreviewAnswer) => void,
 *   title?: string,
 * }} props
 */
export function EtlPreview({ spec, subscriptionId, ticketId, placeSpecProblem, onSpecErrors, onResult, title = 'ETL preview' }) {
  const [mode, setMode] = useState(/** @type {'last' | 'paste'} */ ('last'));
  const [count, setCount] = useState('10');
  const [samples, setSamples] = useState(/** @type {SampleInput[]} */ ([EMPTY_SAMPLE]));
  const [answer, setAnswer] = useState(/** @type {PreviewAnswer | null} */ (null));
  const [busy, setBusy] = useState(false);
  const [fieldErrors, setFieldErrors] = useState(/** @type {Record<string, string>} */ ({}));
  const [errors, setErrors] = useState(/** @type {string[]} */ ([]));
  const parsedHeaders = samples.map((s) => headerLines(s.headers));

  /** @returns {PreviewSource} */
  const source = () =>
    mode === 'last'
      ? { lastRecords: countOr(count) }
      : {
          records: samples.map((s, i) => ({
            value: s.value,
            ...(s.key !== '' ? { key: s.key } : {}),
            ...(parsedHeaders[i].headers.length ? { headers: parsedHeaders[i].headers } : {}),
          })),
        };

  /** @type {PlaceProblem} */
  const place = (path, message) => {
    if (path === 'lastRecords' || path === 'records') return { key: path, text: message };
    const rec = /^records\.(\d+)(?:\.(.+))?$/.exec(path);
    if (rec) {
      const i = Number(rec[1]);
      const rest = rec[2] || '';
      const header = /^headers(?:\.(\d+)(?:\.(.+))?)?$/.exec(rest);
      if (header) {
        if (header[1] === undefined) return { key: `records.${i}.headers`, text: message };
        const line = parsedHeaders[i] ? parsedHeaders[i].lineOf[Number(header[1])] : undefined;
        return { key: `records.${i}.headers`, text: `line ${line ?? Number(header[1]) + 1}${header[2] ? `, ${header[2]}` : ''}: ${message}` };
      }
      if (rest === 'value' || rest === 'valueBase64') return { key: `records.${i}.value`, text: message };
      if (rest === 'key' || rest === 'keyBase64') return { key: `records.${i}.key`, text: message };
      return { key: `records.${i}`, text: rest ? `${rest}: ${message}` : message };
    }
    const inSpec = /^subscription(?:\.(.+))?$/.exec(path);
    if (inSpec && inSpec[1] && placeSpecProblem) {
      const spot = placeSpecProblem(inSpec[1], message);
      return spot && { key: `spec:${spot.key}`, text: spot.text };
    }
    return null;
  };

  const run = async () => {
    setBusy(true);
    /** @type {Record<string, string>} */
    const specErrors = {};
    try {
      let got;
      if (subscriptionId !== undefined) got = await Api.previewSubscription(subscriptionId, source());
      else if (ticketId !== undefined) got = await Api.previewTicket(ticketId, source());
      else {
        const whole = spec ? spec() : {};
        got = await Api.preview(Object.fromEntries(Object.entries(whole).filter(([k]) => PREVIEWED.includes(k))), source());
      }
      setAnswer(got);
      setFieldErrors({});
      setErrors([]);
      if (onResult) onResult(got);
    } catch (err) {
      const { byKey, general } = placeErrors(err, place);
      /** @type {Record<string, string>} */
      const mine = {};
      for (const [key, text] of Object.entries(byKey)) {
        if (key.startsWith('spec:')) specErrors[key.slice(5)] = text;
        else mine[key] = text;
      }
      if (Object.keys(specErrors).length) general.push('The subscription has problems: see the fields marked in the form.');
      setAnswer(null);
      setFieldErrors(mine);
      setErrors(general);
    } finally {
      setBusy(false);
      if (onSpecErrors) onSpecErrors(specErrors);
    }
  };

  /** @param {number} i @param {keyof SampleInput} key */
  const setSample = (i, key) => withValue((value) => setSamples(samples.map((s, j) => (j === i ? { ...s, [key]: value } : s))));

  // No "preview" in button labels: browser tests pick other panels' "Review" button by a case-insensitive substring.
  return html`<section class="etl-preview" data-testid="etl-preview">
    <h3>${title}</h3>
    <p class="muted">For each record: whether the filter keeps it, and the exact body and headers kproxy would send, computed by the code that delivers
      (secret headers masked). Reading the topic joins no consumer group and commits nothing.</p>
    <div class="row">
      <label style="width:auto"><span>Records</span>
        <select name="preview-source" value=${mode} onChange=${withValue((v) => setMode(v === 'paste' ? 'paste' : 'last'))}>
          <option value="last">the last N records of the topic</option>
          <option value="paste">records I paste</option>
        </select></label>
      ${mode === 'last' && field('lastRecords', 'N (at most 100)', html`<input name="preview-count" style="width:6rem" value=${count} onInput=${withValue(setCount)} />`, fieldErrors.lastRecords)}
    </div>
    ${
      mode === 'paste' &&
      html`${samples.map(
        (s, i) => html`<fieldset class="sample" data-sample=${i}>
          <legend>Record ${i + 1} ${samples.length > 1 && html`<button type="button" onClick=${() => setSamples(samples.filter((_, j) => j !== i))}>Remove</button>`}</legend>
          ${field(`records.${i}.value`, 'Value (as text: usually JSON)', html`<textarea name="sample-value" rows="3" value=${s.value} onInput=${setSample(i, 'value')}></textarea>`, fieldErrors[`records.${i}.value`])}
          <div class="grid">
            ${field(`records.${i}.key`, 'Key (optional)', html`<input name="sample-key" value=${s.key} onInput=${setSample(i, 'key')} />`, fieldErrors[`records.${i}.key`])}
            ${field(
              `records.${i}.headers`,
              'Kafka headers, one "name: value" a line',
              html`<textarea name="sample-headers" rows="2" value=${s.headers} onInput=${setSample(i, 'headers')}></textarea>`,
              fieldErrors[`records.${i}.headers`],
            )}
          </div>
          ${fieldErrors[`records.${i}`] && html`<div class="err">${fieldErrors[`records.${i}`]}</div>`}
        </fieldset>`,
      )}
      ${fieldErrors.records && html`<div class="err" data-field="records">${fieldErrors.records}</div>`}
      <button type="button" disabled=${samples.length >= 100} onClick=${() => setSamples([...samples, EMPTY_SAMPLE])}>Add a record</button>`
    }
    ${errors.map((e) => html`<div class="err" data-testid="preview-error">${e}</div>`)}
    <div class="row" style="margin:.6rem 0"><button type="button" data-testid="preview-run" disabled=${busy} onClick=${run}>${busy ? 'Reading…' : 'Show what would be sent'}</button></div>
    ${answer && html`<${PreviewResult} answer=${answer} />`}
  </section>`;
}

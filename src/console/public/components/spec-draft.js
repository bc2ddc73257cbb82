// @ts-check
// What the subscription form holds and the API body it stands for. Pure functions with no
// imports, so a Node unit suite can load this module as the page does (spec-draft.spec.ts).
// The form does not validate: text goes to the API as typed (numbers as numbers when the text
// reads as one), and the API's 400 names each problem, which placeProblem puts beside its input.

/**
 * The option lists of the API's enums (src/subscriptions/dto/subscription-spec.schema.ts,
 * kafka-security.schema.ts, src/model/etl-spec.ts and delivery-spec.ts).
 */
export const ENUMS = {
  'kafka.startFrom': ['earliest', 'latest'],
  'kafka.groupProtocol': ['classic', 'consumer'],
  'kafka.security.protocol': ['plaintext', 'ssl', 'sasl_plaintext', 'sasl_ssl'],
  'kafka.security.sasl.mechanism': ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'],
  'endpoint.method': ['POST', 'PUT', 'PATCH'],
  'delivery.ordering': ['partition', 'key', 'unordered'],
  'alerts.format': ['json', 'slack', 'wecom', 'dingtalk'],
  filterOp: ['eq', 'neq', 'in', 'exists', 'regex'],
};

/**
 * Endpoint headers whose values are not secret (PUBLIC_HEADERS in
 * src/subscriptions/subscription-secrets.ts); every other header's value is typed into a masked
 * input, as the API masks it in answers.
 */
const PUBLIC_HEADERS = new Set([
  'accept',
  'accept-charset',
  'accept-encoding',
  'accept-language',
  'cache-control',
  'content-encoding',
  'content-language',
  'content-type',
  'pragma',
  'prefer',
  'user-agent',
  'x-correlation-id',
  'x-request-id',
]);

/** Whether a header's value is typed into a masked input. @param {string} name */
export const isSecretHeader = (name) => !PUBLIC_HEADERS.has(name.trim().toLowerCase());

/** What the API answers in place of a secret; sent back, it keeps the stored value (README, "Secrets at rest"). */
export const MASK = '****';

/**
 * How a scalar input's text becomes a JSON value: `text` as typed; `number` a number when the
 * text reads as one; `bool` '' | 'true' | 'false'; `numbers`, `codes` and `strings` a
 * comma-separated list (codes stay strings when a double would not keep every digit).
 * @typedef {'text' | 'number' | 'bool' | 'numbers' | 'codes' | 'strings'} Kind
 */

/** Every single-valued input of the form by the API path it fills. @type {Record<string, Kind>} */
export const SCALARS = {
  name: 'text',
  owner: 'text',
  'kafka.brokers': 'text',
  'kafka.topic': 'text',
  'kafka.groupId': 'text',
  'kafka.startFrom': 'text',
  'kafka.groupProtocol': 'text',
  'endpoint.url': 'text',
  'endpoint.method': 'text',
  'endpoint.timeoutMs': 'number',
  'endpoint.successStatus': 'numbers',
  'endpoint.errcodePath': 'text',
  'endpoint.errcodeOk': 'codes',
  'endpoint.itemResultsPath': 'text',
  'endpoint.rateGroup': 'text',
  'delivery.ordering': 'text',
  'delivery.maxInFlight': 'number',
  'delivery.maxRetries': 'number',
  'delivery.backoffMs': 'number',
  'delivery.maxBackoffMs': 'number',
  'delivery.ratePerSec': 'number',
  'delivery.batchSize': 'number',
  'delivery.batchWaitMs': 'number',
  'delivery.maxBatchBytes': 'number',
  'delivery.adaptiveConcurrency': 'bool',
  'delivery.keyParking': 'bool',
  'delivery.circuitBreaker.enabled': 'bool',
  'delivery.circuitBreaker.failureRatio': 'number',
  'delivery.circuitBreaker.minFailures': 'number',
  'delivery.circuitBreaker.windowMs': 'number',
  'delivery.circuitBreaker.probeIntervalMs': 'number',
  'delivery.circuitBreaker.maxProbeIntervalMs': 'number',
  hosts: 'strings',
  replicas: 'number',
  'alerts.webhookUrl': 'text',
  'alerts.format': 'text',
  'alerts.deadLetters': 'bool',
  'alerts.consumerErrors': 'bool',
  'alerts.circuit': 'bool',
  'alerts.lagThreshold': 'number',
  'alerts.lagForSeconds': 'number',
  'alerts.windowSeconds': 'number',
  'alerts.cooldownSeconds': 'number',
};

/** `kafka.security` as inputs; the object is built whole (a PATCH replaces it whole). @type {Record<string, Kind>} */
export const SECURITY = {
  'kafka.security.protocol': 'text',
  'kafka.security.sasl.mechanism': 'text',
  'kafka.security.sasl.username': 'text',
  'kafka.security.sasl.password': 'text',
  'kafka.security.tls.ca': 'text',
  'kafka.security.tls.cert': 'text',
  'kafka.security.tls.key': 'text',
  'kafka.security.tls.keyPassword': 'text',
  'kafka.security.tls.verifyHostname': 'bool',
};

/** Secret inputs: the API answers them masked, and an input left empty keeps the stored value. */
export const SECRET_PATHS = ['kafka.security.sasl.password', 'kafka.security.tls.key', 'kafka.security.tls.keyPassword'];

/** Inputs only operators get (the owner, Kafka security and properties, placement). */
export const OPERATOR_ONLY = ['owner', 'kafka.security', 'kafka.properties', 'hosts', 'replicas'];

/** Objects inside a section that a PATCH replaces whole, so a change to one field sends them all. */
const WHOLE = ['delivery.circuitBreaker'];

/** @typedef {{path: string, op: string, value: string}} FilterRow a rule; value is JSON text, or plain text sent as a string */
/** @typedef {{name: string, path: string}} FieldRow an output name and its JSONPath */
/** @typedef {{name: string, value: string, stored: boolean}} HeaderRow stored: the API holds this header's secret value; left empty, it is kept */
/** @typedef {{from: string, to: string}} MapRow a Kafka record header and the HTTP header it is sent as */
/** @typedef {{name: string, value: string}} PropertyRow a librdkafka property */

/**
 * The form's state: every input's text. '' means "not set": the API's default applies.
 * @typedef {object} SpecDraft
 * @property {Record<string, string>} values scalar and security inputs by API path
 * @property {string[]} stored secret paths (SECRET_PATHS) the API holds a value for
 * @property {FilterRow[]} filter
 * @property {FieldRow[]} fields
 * @property {HeaderRow[]} headers
 * @property {MapRow[]} recordHeaders
 * @property {PropertyRow[]} properties
 */

/** A form with nothing set. @returns {SpecDraft} */
export const emptyDraft = () => ({ values: {}, stored: [], filter: [], fields: [], headers: [], recordHeaders: [], properties: [] });

/** @param {unknown} v @returns {v is Record<string, unknown>} */
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The value at a dotted path of an object, or undefined. @param {unknown} obj @param {string} path */
function getPath(obj, path) {
  /** @type {unknown} */
  let at = obj;
  for (const part of path.split('.')) {
    if (!isObject(at)) return undefined;
    at = at[part];
  }
  return at;
}

/** Sets a dotted path, creating the objects on the way. @param {Record<string, unknown>} obj @param {string} path @param {unknown} value */
function setPath(obj, path, value) {
  const parts = path.split('.');
  let at = obj;
  for (const part of parts.slice(0, -1)) {
    const next = at[part];
    if (!isObject(next)) at[part] = {};
    at = /** @type {Record<string, unknown>} */ (at[part]);
  }
  at[parts[parts.length - 1]] = value;
}

/** Text that reads as a number becomes one; anything else is sent as written, for the API to name. @param {string} text */
export const numberOr = (text) => {
  const t = text.trim();
  return t !== '' && Number.isFinite(Number(t)) ? Number(t) : t;
};

/** @param {string} text @returns {{ok: true, value: unknown} | {ok: false}} */
function parseJson(text) {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/**
 * A filter rule's value input: JSON when the text is JSON (42, true, "42", ["a","b"]), else the
 * text itself as a string (order reads as "order").
 * @param {string} text
 */
export const readValue = (text) => {
  const parsed = parseJson(text.trim());
  return parsed.ok ? parsed.value : text;
};

/**
 * The text readValue reads back as `value`: a string as it is unless it would read as JSON
 * (then quoted), anything else as JSON.
 * @param {unknown} value
 */
export const showValue = (value) => (typeof value === 'string' && !parseJson(value.trim()).ok ? value : JSON.stringify(value));

/** @param {string} text */
const listItems = (text) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

/**
 * One input's text as the JSON value the API takes, by its kind.
 * @param {Kind} kind
 * @param {string} text not ''
 */
export function readScalar(kind, text) {
  switch (kind) {
    case 'number':
      return numberOr(text);
    case 'bool':
      return text === 'true' ? true : text === 'false' ? false : text;
    case 'numbers':
      return listItems(text).map(numberOr);
    case 'codes':
      // Errcodes compare exactly ("0" equals 0): a code a double would round goes as text.
      return listItems(text).map((s) => (Number.isFinite(Number(s)) && String(Number(s)) === s ? Number(s) : s));
    case 'strings':
      return listItems(text);
    default:
      return text;
  }
}

/** A value from an answer as the text of its input. @param {Kind} kind @param {unknown} value */
function showScalar(kind, value) {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(String).join(', ');
  if (kind === 'text' && typeof value !== 'string') return JSON.stringify(value);
  return String(value);
}

/** A librdkafka property's text: numbers and booleans as such. @param {string} text */
const readProperty = (text) => (text === 'true' ? true : text === 'false' ? false : numberOr(text));

/**
 * The form filled from a subscription as the API answers it (GET /api/subscriptions/:id): every
 * field shown; masked secrets (SASL password, TLS key and its password, secret header values)
 * become empty inputs that keep the stored value unless retyped.
 * @param {Record<string, unknown>} spec
 * @returns {SpecDraft}
 */
export function draftFromSpec(spec) {
  const draft = emptyDraft();
  for (const [path, kind] of Object.entries({ ...SCALARS, ...SECURITY })) {
    const value = getPath(spec, path);
    if (SECRET_PATHS.includes(path) && typeof value === 'string') {
      draft.stored.push(path);
      draft.values[path] = value === MASK ? '' : value;
      continue;
    }
    draft.values[path] = showScalar(kind, value);
  }
  const filter = getPath(spec, 'etl.filter');
  if (Array.isArray(filter)) {
    draft.filter = filter.map((r) => ({
      path: isObject(r) && typeof r.path === 'string' ? r.path : '',
      op: isObject(r) && typeof r.op === 'string' ? r.op : 'eq',
      value: isObject(r) && r.value !== undefined ? showValue(r.value) : '',
    }));
  }
  const fields = getPath(spec, 'etl.fields');
  if (isObject(fields)) draft.fields = Object.entries(fields).map(([name, path]) => ({ name, path: String(path) }));
  const headers = getPath(spec, 'endpoint.headers');
  if (isObject(headers)) {
    draft.headers = Object.entries(headers).map(([name, value]) =>
      value === MASK ? { name, value: '', stored: true } : { name, value: String(value), stored: false },
    );
  }
  const recordHeaders = getPath(spec, 'endpoint.recordHeaders');
  if (isObject(recordHeaders)) draft.recordHeaders = Object.entries(recordHeaders).map(([from, to]) => ({ from, to: String(to) }));
  const properties = getPath(spec, 'kafka.properties');
  if (isObject(properties)) draft.properties = Object.entries(properties).map(([name, value]) => ({ name, value: String(value) }));
  return draft;
}

/** Rows with every input empty are not sent: "send only what the user set". */
const filterSent = (/** @type {FilterRow} */ r) => r.path.trim() !== '' || r.value.trim() !== '';
const fieldSent = (/** @type {FieldRow} */ r) => r.name.trim() !== '' || r.path.trim() !== '';
const headerSent = (/** @type {HeaderRow} */ r) => r.name.trim() !== '' || r.value !== '' || r.stored;
const mapSent = (/** @type {MapRow} */ r) => r.from.trim() !== '' || r.to.trim() !== '';
const propertySent = (/** @type {PropertyRow} */ r) => r.name.trim() !== '' || r.value.trim() !== '';

/** @param {SpecDraft} draft */
const filterBody = (draft) =>
  draft.filter.filter(filterSent).map((r) => {
    /** @type {Record<string, unknown>} */
    const rule = { path: r.path.trim(), op: r.op };
    if (r.value.trim() !== '') rule.value = readValue(r.value);
    return rule;
  });

/** @param {SpecDraft} draft */
const fieldsBody = (draft) => Object.fromEntries(draft.fields.filter(fieldSent).map((r) => [r.name.trim(), r.path.trim()]));

/** Secret header values left empty keep the stored one: the mask is sent back for them. @param {SpecDraft} draft */
const headersBody = (draft) => Object.fromEntries(draft.headers.filter(headerSent).map((r) => [r.name.trim(), r.stored && r.value === '' ? MASK : r.value]));

/** @param {SpecDraft} draft */
const recordHeadersBody = (draft) => Object.fromEntries(draft.recordHeaders.filter(mapSent).map((r) => [r.from, r.to.trim()]));

/** @param {SpecDraft} draft */
const propertiesBody = (draft) => Object.fromEntries(draft.properties.filter(propertySent).map((r) => [r.name.trim(), readProperty(r.value.trim())]));

/**
 * `kafka.security` from its inputs, or null when no protocol is chosen ("none": plaintext, the
 * other inputs unused). sasl goes with a sasl_* protocol or when any of its inputs is set (the
 * API names a mismatch), tls when any of its inputs is set; a stored secret left empty is sent
 * masked, which keeps it.
 * @param {SpecDraft} draft
 * @returns {Record<string, unknown> | null}
 */
export function securityBody(draft) {
  /** @param {string} path */
  const text = (path) => {
    const v = draft.values[path] ?? '';
    return v === '' && draft.stored.includes(path) ? MASK : v;
  };
  const protocol = text('kafka.security.protocol');
  /** @param {string} prefix */
  const part = (prefix) => {
    /** @type {Record<string, unknown>} */
    const out = {};
    for (const [path, kind] of Object.entries(SECURITY)) {
      if (!path.startsWith(prefix)) continue;
      const v = text(path);
      if (v !== '') out[path.slice(prefix.length)] = readScalar(kind, v);
    }
    return Object.keys(out).length ? out : null;
  };
  if (protocol === '') return null;
  const sasl = part('kafka.security.sasl.');
  const tls = part('kafka.security.tls.');
  /** @type {Record<string, unknown>} */
  const security = { protocol };
  if (sasl || protocol.startsWith('sasl_')) security.sasl = sasl ?? {};
  if (tls) security.tls = tls;
  return security;
}

/**
 * The body the form stands for, for POST (a ticket, a new subscription) and for a preview: only
 * what was set, so the API's defaults apply to the rest.
 * @param {SpecDraft} draft
 * @returns {Record<string, unknown>}
 */
export function buildSpec(draft) {
  /** @type {Record<string, unknown>} */
  const spec = {};
  for (const [path, kind] of Object.entries(SCALARS)) {
    const text = draft.values[path] ?? '';
    if (text !== '') setPath(spec, path, readScalar(kind, text));
  }
  const security = securityBody(draft);
  if (security) setPath(spec, 'kafka.security', security);
  const properties = propertiesBody(draft);
  if (Object.keys(properties).length) setPath(spec, 'kafka.properties', properties);
  const filter = filterBody(draft);
  const fields = fieldsBody(draft);
  if (filter.length) setPath(spec, 'etl.filter', filter);
  if (Object.keys(fields).length) setPath(spec, 'etl.fields', fields);
  const headers = headersBody(draft);
  if (Object.keys(headers).length) setPath(spec, 'endpoint.headers', headers);
  const recordHeaders = recordHeadersBody(draft);
  if (Object.keys(recordHeaders).length) setPath(spec, 'endpoint.recordHeaders', recordHeaders);
  return spec;
}

/** @param {unknown} a @param {unknown} b */
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The PATCH body that turns `initial` (the form as filled from the subscription) into `draft`:
 * only what changed. A cleared input sends null (the field's "none", or a 400 naming it where
 * the field has no "none"). Lists and maps (filter, fields, headers, record headers, properties,
 * security, the circuit breaker) go whole when any part changed, as a PATCH replaces them whole
 * (README, "PATCH merges each section…").
 * @param {SpecDraft} initial
 * @param {SpecDraft} draft
 * @returns {Record<string, unknown>} {} when nothing changed
 */
export function patchBody(initial, draft) {
  /** @type {Record<string, unknown>} */
  const body = {};
  const wholes = new Set();
  for (const [path, kind] of Object.entries(SCALARS)) {
    const before = initial.values[path] ?? '';
    const after = draft.values[path] ?? '';
    if (before === after) continue;
    const whole = WHOLE.find((w) => path.startsWith(`${w}.`));
    if (whole) wholes.add(whole);
    else setPath(body, path, after === '' ? null : readScalar(kind, after));
  }
  for (const whole of wholes) {
    /** @type {Record<string, unknown>} */
    const object = {};
    for (const [path, kind] of Object.entries(SCALARS)) {
      const text = draft.values[path] ?? '';
      if (path.startsWith(`${whole}.`) && text !== '') object[path.slice(whole.length + 1)] = readScalar(kind, text);
    }
    setPath(body, whole, object);
  }
  const security = securityBody(draft);
  if (!same(securityBody(initial), security)) setPath(body, 'kafka.security', security);
  const properties = propertiesBody(draft);
  if (!same(propertiesBody(initial), properties)) setPath(body, 'kafka.properties', properties);
  const filter = filterBody(draft);
  if (!same(filterBody(initial), filter)) setPath(body, 'etl.filter', filter);
  const fields = fieldsBody(draft);
  if (!same(fieldsBody(initial), fields)) setPath(body, 'etl.fields', Object.keys(fields).length ? fields : null);
  const headers = headersBody(draft);
  if (!same(headersBody(initial), headers)) setPath(body, 'endpoint.headers', headers);
  const recordHeaders = recordHeadersBody(draft);
  if (!same(recordHeadersBody(initial), recordHeaders)) setPath(body, 'endpoint.recordHeaders', recordHeaders);
  return body;
}

/**
 * Where the form shows each problem of the API's 400, by its path: the input of that field; a
 * rule's or row's problem beside that row (etl.filter.1.value beside the second rule's value;
 * endpoint.headers.X-Key beside the row naming X-Key); a list item's beside the list
 * ("item 3: …"). Otherwise the nearest enclosing key the form shows, with the rest of the path
 * in front of the message; null when there is none (the form's general list). Row indices are
 * those of the rows sent (empty rows are not).
 * @param {SpecDraft} draft
 * @param {string[]} [extraKeys] other inputs the page shows beside the form (requester, reason)
 * @param {boolean} [operator] whether the form shows the operators' inputs (OPERATOR_ONLY); without them, their problems go to the general list
 * @returns {(path: string, message: string) => {key: string, text: string} | null}
 */
export function placeProblem(draft, extraKeys = [], operator = true) {
  /** @template T @param {T[]} rows @param {(row: T) => boolean} sent */
  const sentIndices = (rows, sent) => rows.flatMap((r, i) => (sent(r) ? [i] : []));
  const filterRows = sentIndices(draft.filter, filterSent);
  /** @type {Array<[string, Array<{i: number, name: string}>]>} */
  const maps = [
    ['etl.fields', draft.fields.flatMap((r, i) => (fieldSent(r) ? [{ i, name: r.name.trim() }] : []))],
    ['endpoint.headers', draft.headers.flatMap((r, i) => (headerSent(r) ? [{ i, name: r.name.trim() }] : []))],
    ['endpoint.recordHeaders', draft.recordHeaders.flatMap((r, i) => (mapSent(r) ? [{ i, name: r.from }] : []))],
    ['kafka.properties', draft.properties.flatMap((r, i) => (propertySent(r) ? [{ i, name: r.name.trim() }] : []))],
  ];
  const shown = (/** @type {string} */ key) => operator || !OPERATOR_ONLY.some((o) => key === o || key.startsWith(`${o}.`));
  const known = new Set(
    [
      ...Object.keys(SCALARS),
      ...Object.keys(SECURITY),
      ...maps.map(([p]) => p),
      'etl',
      'etl.filter',
      'kafka.security',
      'kafka.security.sasl',
      'kafka.security.tls',
      'delivery.circuitBreaker',
      ...extraKeys,
    ].filter(shown),
  );
  return (path, message) => {
    if (!shown(path)) return null;
    const rule = /^etl\.filter\.(\d+)(?:\.(path|op|value))?(?:\.(.+))?$/.exec(path);
    if (rule && filterRows[Number(rule[1])] !== undefined) {
      const key = `etl.filter.${filterRows[Number(rule[1])]}${rule[2] ? `.${rule[2]}` : ''}`;
      return { key, text: rule[3] ? `${rule[3]}: ${message}` : message };
    }
    for (const [prefix, rows] of maps) {
      if (!path.startsWith(`${prefix}.`)) continue;
      const rest = path.slice(prefix.length + 1);
      // A header name may hold dots, and the API names a long one by its first 64 characters.
      const row = rows.find((r) => r.name === rest) ?? rows.find((r) => r.name.length > 0 && (rest.startsWith(`${r.name}.`) || r.name.startsWith(rest)));
      if (row) return { key: `${prefix}.${row.i}`, text: message };
    }
    const parts = path.split('.');
    for (let n = parts.length; n > 0; n--) {
      const key = parts.slice(0, n).join('.');
      if (!known.has(key)) continue;
      const tail = parts.slice(n);
      if (!tail.length) return { key, text: message };
      const item = /^\d+$/.test(tail[0]) && tail.length === 1 ? `item ${Number(tail[0]) + 1}` : tail.join('.');
      return { key, text: `${item}: ${message}` };
    }
    return null;
  };
}

/**
 * What an audit entry changed: each leaf path whose value differs between `before` and `after`
 * (arrays compared whole), leaving out the bookkeeping fields (version, updatedAt).
 * @param {unknown} before
 * @param {unknown} after
 * @returns {Array<{path: string, before: unknown, after: unknown}>}
 */
export function changedPaths(before, after) {
  /** @type {Array<{path: string, before: unknown, after: unknown}>} */
  const out = [];
  /** @param {string} prefix @param {unknown} a @param {unknown} b */
  const walk = (prefix, a, b) => {
    if (isObject(a) && isObject(b)) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
        if (!prefix && (key === 'version' || key === 'updatedAt' || key === 'createdAt')) continue;
        walk(prefix ? `${prefix}.${key}` : key, a[key], b[key]);
      }
    } else if (!same(a, b)) out.push({ path: prefix, before: a, after: b });
  };
  walk('', before, after);
  return out;
}

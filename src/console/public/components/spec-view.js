// @ts-check
import { html } from './html.js';

/** @param {unknown} v @returns {v is Record<string, unknown>} */
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** @param {unknown} obj @param {string} key */
const at = (obj, key) => (isObject(obj) ? obj[key] : undefined);

/** A value as text: absent is the server's default, null is "none". @param {unknown} v */
function show(v) {
  if (v === undefined) return html`<span class="muted">default</span>`;
  if (v === null) return html`<span class="muted">none</span>`;
  if (Array.isArray(v)) return v.length ? v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', ') : html`<span class="muted">none</span>`;
  if (isObject(v) && !Object.keys(v).length) return html`<span class="muted">none</span>`;
  if (isObject(v))
    return Object.entries(v)
      .map(([k, x]) => `${k} ${typeof x === 'string' ? x : JSON.stringify(x)}`)
      .join(', ');
  return String(v);
}

/** A value inside a sentence. @param {unknown} v */
const str = (v) => (v === undefined ? 'default' : v === null ? 'none' : typeof v === 'string' ? v : JSON.stringify(v));

/** A PEM field: not shown (long), only whether and how much is set; secrets arrive masked. @param {unknown} v */
const pem = (v) => (typeof v !== 'string' ? str(v) : v === '****' ? '****' : `PEM, ${(v.match(/-----BEGIN [A-Z ]+-----/g) || []).length || 'no'} block(s)`);

/** Labelled values, in rows; `path` names each for tests (data-path). @param {Array<[string, string, unknown]>} rows path, label, shown value */
const list = (rows) => html`<dl class="spec">${rows.map(([path, label, value]) => html`<dt>${label}</dt><dd data-path=${path}>${value}</dd>`)}</dl>`;

/** @param {string} path @param {string} label @param {unknown} obj @param {string} key */
const item = (path, label, obj, key) => /** @type {[string, string, unknown]} */ ([path, label, show(at(obj, key))]);

/** A name → value map as a two-column table; `empty` when it has no entries. @param {string} testid @param {string[]} head @param {unknown} map @param {string} empty */
const mapTable = (testid, head, map, empty) => {
  const entries = isObject(map) ? Object.entries(map) : [];
  return entries.length
    ? html`<table class="spec" data-testid=${testid}><thead><tr>${head.map((h) => html`<th>${h}</th>`)}</tr></thead>
        <tbody>${entries.map(([k, v]) => html`<tr><td>${k}</td><td>${typeof v === 'string' ? v : JSON.stringify(v)}</td></tr>`)}</tbody></table>`
    : html`<p class="muted" data-testid=${testid}>${empty}</p>`;
};

/**
 * A subscription body read-only, by section: what a ticket asks for (fields it leaves out show
 * as "default"), what its approval creates, or a stored subscription. Secrets arrive masked by
 * the API and are shown so.
 * @param {{spec: Record<string, unknown>}} props
 */
export function SpecView({ spec }) {
  const kafka = at(spec, 'kafka');
  const security = at(kafka, 'security');
  const sasl = at(security, 'sasl');
  const tls = at(security, 'tls');
  const etl = at(spec, 'etl');
  const filter = at(etl, 'filter');
  const endpoint = at(spec, 'endpoint');
  const delivery = at(spec, 'delivery');
  const alerts = at(spec, 'alerts');
  const rules = Array.isArray(filter) ? filter : [];
  return html`<div class="spec-view" data-testid="spec-view">
    <section><h4>Subscription</h4>${list([
      item('name', 'name', spec, 'name'),
      item('owner', 'owner', spec, 'owner'),
      item('status', 'status', spec, 'status'),
    ])}</section>
    <section><h4>Kafka</h4>${list([
      item('kafka.brokers', 'brokers', kafka, 'brokers'),
      item('kafka.topic', 'topic', kafka, 'topic'),
      // A group left unset is kproxy.<name>, fixed at creation (README, "Semantics worth knowing").
      ['kafka.groupId', 'consumer group', at(kafka, 'groupId') ?? `kproxy.${str(at(spec, 'name'))} (default)`],
      item('kafka.startFrom', 'start position', kafka, 'startFrom'),
      item('kafka.groupProtocol', 'group protocol', kafka, 'groupProtocol'),
      [
        'kafka.security',
        'security',
        isObject(security)
          ? [
              str(at(security, 'protocol')),
              isObject(sasl) && `SASL ${str(at(sasl, 'mechanism'))} as ${str(at(sasl, 'username'))}, password ${str(at(sasl, 'password'))}`,
              isObject(tls) &&
                `TLS: CA ${pem(at(tls, 'ca'))}, cert ${pem(at(tls, 'cert'))}, key ${pem(at(tls, 'key'))}, verify host name ${str(at(tls, 'verifyHostname'))}`,
            ]
              .filter(Boolean)
              .join('; ')
          : show(security),
      ],
      item('kafka.properties', 'librdkafka properties', kafka, 'properties'),
    ])}</section>
    <section><h4>ETL</h4>
      ${
        rules.length
          ? html`<table class="spec" data-testid="spec-filter"><thead><tr><th>filter: JSONPath</th><th>op</th><th>value</th></tr></thead>
          <tbody>${rules.map((r) => html`<tr><td>${at(r, 'path')}</td><td>${at(r, 'op')}</td><td>${at(r, 'value') === undefined ? '' : JSON.stringify(at(r, 'value'))}</td></tr>`)}</tbody></table>`
          : html`<p class="muted" data-testid="spec-filter">No filter: every record is sent.</p>`
      }
      ${mapTable('spec-fields', ['field', 'JSONPath'], at(etl, 'fields'), 'No fields: each record is sent as it is.')}
    </section>
    <section><h4>Endpoint</h4>${list([
      ['endpoint.url', 'request', html`${show(at(endpoint, 'method'))} ${show(at(endpoint, 'url'))}`],
      item('endpoint.timeoutMs', 'timeout (ms)', endpoint, 'timeoutMs'),
      [
        'endpoint.successStatus',
        'success statuses',
        Array.isArray(at(endpoint, 'successStatus')) && /** @type {unknown[]} */ (at(endpoint, 'successStatus')).length === 0
          ? 'any 2xx'
          : show(at(endpoint, 'successStatus')),
      ],
      item('endpoint.errcodePath', 'errcode path', endpoint, 'errcodePath'),
      item('endpoint.errcodeOk', 'accepted errcodes', endpoint, 'errcodeOk'),
      item('endpoint.itemResultsPath', 'per-item results path', endpoint, 'itemResultsPath'),
      item('endpoint.rateGroup', 'rate group', endpoint, 'rateGroup'),
    ])}
      ${mapTable('spec-headers', ['header', 'value'], at(endpoint, 'headers'), 'No headers of its own.')}
      ${mapTable('spec-record-headers', ['record header', 'sent as'], at(endpoint, 'recordHeaders'), 'No record headers mapped.')}
    </section>
    <section><h4>Delivery</h4>${list([
      item('delivery.ordering', 'ordering', delivery, 'ordering'),
      item('delivery.maxInFlight', 'in flight at most', delivery, 'maxInFlight'),
      item('delivery.maxRetries', 'retries', delivery, 'maxRetries'),
      ['delivery.backoffMs', 'backoff (ms)', html`${show(at(delivery, 'backoffMs'))} to ${show(at(delivery, 'maxBackoffMs'))}`],
      item('delivery.ratePerSec', 'rate (records/s)', delivery, 'ratePerSec'),
      [
        'delivery.batchSize',
        'batches',
        html`${show(at(delivery, 'batchSize'))} records, wait ${show(at(delivery, 'batchWaitMs'))} ms, at most ${show(at(delivery, 'maxBatchBytes'))} bytes`,
      ],
      item('delivery.adaptiveConcurrency', 'adaptive in-flight limit', delivery, 'adaptiveConcurrency'),
      item('delivery.keyParking', 'key parking', delivery, 'keyParking'),
      item('delivery.circuitBreaker', 'circuit breaker', delivery, 'circuitBreaker'),
    ])}</section>
    <section><h4>Placement and alerts</h4>${list([
      item('hosts', 'pinned hosts', spec, 'hosts'),
      item('replicas', 'replicas', spec, 'replicas'),
      ['alerts', 'alerts', show(alerts)],
    ])}</section>
  </div>`;
}

// @ts-check
/** @import { Role } from '../api/types.js' */
/** @import { FieldRow, FilterRow, HeaderRow, MapRow, PropertyRow, SpecDraft } from './spec-draft.js' */
import { field, valueOf } from './form.js';
import { RowsTable } from './form-rows.js';
import { html } from './html.js';
import { buildSpec, ENUMS, isSecretHeader } from './spec-draft.js';

/** An input inside a table cell, with the API's problem for it beneath. @param {string} key @param {unknown} input @param {string} [error] */
const cell = (key, input, error) => html`<div data-field=${key}>${input}${error && html`<div class="err">${error}</div>`}</div>`;

const KEPT = 'stored; leave empty to keep it';

/**
 * The whole subscription body as the API takes it (README "Admin API"; subscription-spec.schema.ts),
 * section by section: name, Kafka side, ETL (filter rules and output fields), endpoint,
 * delivery, placement and alerts. Controlled: `draft` holds every input's text (spec-draft.js)
 * and each change calls `onChange(draft, spec)` with the body it now stands for, so a page can
 * send it, or hand the spec being composed to a preview. Nothing is checked here: `errors`
 * holds the API's 400 by input key (placeProblem), each shown beside its input.
 * Operators also get the owner, Kafka security (SASL/TLS, secrets in masked inputs that keep the
 * stored value when left empty), librdkafka properties and placement. `editing`: the form is
 * filled from a stored subscription; the consumer group is shown read-only, and selects offer
 * no "server default" choice (every field has a value).
 * @param {{draft: SpecDraft, onChange: (draft: SpecDraft, spec: Record<string, unknown>) => void, errors: Record<string, string>, role: Role, editing?: boolean}} props
 */
export function SubscriptionForm({ draft, onChange, errors, role, editing = false }) {
  const operator = role === 'operator';
  /** @param {SpecDraft} next */
  const update = (next) => onChange(next, buildSpec(next));
  /** @param {string} path @returns {(e: Event) => void} */
  const put = (path) => (e) => update({ ...draft, values: { ...draft.values, [path]: valueOf(e) } });
  const v = (/** @type {string} */ path) => draft.values[path] ?? '';
  const inside = (/** @type {string} */ prefix) => Object.keys(errors).some((k) => k === prefix || k.startsWith(`${prefix}.`));

  /** @param {string} path @param {string} label @param {{placeholder?: string, type?: string, rows?: number}} [opts] */
  const text = (path, label, opts = {}) => {
    const stored = draft.stored.includes(path);
    const placeholder = stored ? KEPT : opts.placeholder || '';
    const input = opts.rows
      ? html`<textarea name=${path} rows=${opts.rows} class=${opts.type === 'password' ? 'secret' : ''} placeholder=${placeholder} value=${v(path)} onInput=${put(path)}></textarea>`
      : html`<input name=${path} type=${opts.type || 'text'} autocomplete=${opts.type === 'password' ? 'new-password' : 'off'} placeholder=${placeholder} value=${v(path)} onInput=${put(path)} />`;
    return field(path, label, input, errors[path]);
  };
  /**
   * @param {string} path @param {string} label @param {string[]} options
   * @param {string} fallback what the API does when it is not set
   * @param {boolean} [unset] offer "not set" while editing too (a choice that can be taken back, as "no security")
   */
  const select = (path, label, options, fallback, unset = false) =>
    field(
      path,
      label,
      html`<select name=${path} value=${v(path)} onChange=${put(path)}>
        ${(!editing || unset || v(path) === '') && html`<option value="">${fallback}</option>`}
        ${options.map((o) => html`<option value=${o}>${o}</option>`)}
      </select>`,
      errors[path],
    );
  /** @param {string} path @param {string} label @param {string} fallback */
  const bool = (path, label, fallback) => select(path, label, ['true', 'false'], fallback);

  /** @type {(i: number, prefix: string) => string | undefined} */
  const rowErr = (i, prefix) => errors[`${prefix}.${i}`];

  const security = v('kafka.security.protocol');
  return html`<div class="spec-form" data-testid="subscription-form">
    <fieldset><legend>Subscription</legend><div class="grid">
      ${text('name', 'Name')}
      ${operator && text('owner', 'Owner team (empty: the operators’)')}
    </div></fieldset>

    <fieldset><legend>Kafka</legend><div class="grid">
      ${text('kafka.brokers', 'Brokers (host:port, …)')}
      ${text('kafka.topic', 'Topic')}
      ${
        editing
          ? field(
              'kafka.groupId',
              'Consumer group',
              html`<input name="kafka.groupId" value=${v('kafka.groupId')} readOnly class="readonly" />`,
              errors['kafka.groupId'],
            )
          : text('kafka.groupId', 'Consumer group', { placeholder: 'default: kproxy.<name>' })
      }
      ${select('kafka.startFrom', 'Start position (first start)', ENUMS['kafka.startFrom'], 'default: earliest')}
      ${select('kafka.groupProtocol', 'Group protocol', ENUMS['kafka.groupProtocol'], 'default: classic')}
    </div>
    ${
      operator &&
      html`<details open=${inside('kafka.security') || security !== ''} data-testid="kafka-security"><summary>Security (SASL / TLS)</summary>
        ${errors['kafka.security'] && html`<div class="err" data-field="kafka.security">${errors['kafka.security']}</div>`}
        <div class="grid">
          ${select('kafka.security.protocol', 'Protocol', ENUMS['kafka.security.protocol'], 'none (plaintext)', true)}
          ${select('kafka.security.sasl.mechanism', 'SASL mechanism', ENUMS['kafka.security.sasl.mechanism'], '–')}
          ${text('kafka.security.sasl.username', 'SASL user name')}
          ${text('kafka.security.sasl.password', 'SASL password', { type: 'password' })}
          ${bool('kafka.security.tls.verifyHostname', 'TLS: verify the broker host name', 'default: yes')}
          ${text('kafka.security.tls.keyPassword', 'TLS key password', { type: 'password' })}
        </div>
        ${errors['kafka.security.sasl'] && html`<div class="err" data-field="kafka.security.sasl">${errors['kafka.security.sasl']}</div>`}
        ${errors['kafka.security.tls'] && html`<div class="err" data-field="kafka.security.tls">${errors['kafka.security.tls']}</div>`}
        ${text('kafka.security.tls.ca', 'TLS CA certificates (PEM; empty: the system CAs)', { rows: 3 })}
        <div class="grid">
          ${text('kafka.security.tls.cert', 'TLS client certificate (PEM)', { rows: 3 })}
          ${text('kafka.security.tls.key', 'TLS client key (PEM)', { rows: 3, type: 'password' })}
        </div>
      </details>
      <details open=${inside('kafka.properties')}><summary>librdkafka properties</summary>
        <${RowsTable}
          testid="kafka-properties"
          fieldKey="kafka.properties"
          rows=${draft.properties}
          head=${['property', 'value']}
          blank=${() => ({ name: '', value: '' })}
          addLabel="Add property"
          onChange=${(/** @type {PropertyRow[]} */ properties) => update({ ...draft, properties })}
          rowError=${(/** @type {number} */ i) => rowErr(i, 'kafka.properties')}
          error=${errors['kafka.properties']}
          cells=${(/** @type {PropertyRow} */ r, /** @type {number} */ i, /** @type {(p: Partial<PropertyRow>) => void} */ set) => [
            html`<input name=${`kafka.properties.${i}.name`} placeholder="fetch.min.bytes" value=${r.name} onInput=${(/** @type {Event} */ e) => set({ name: valueOf(e) })} />`,
            html`<input name=${`kafka.properties.${i}.value`} value=${r.value} onInput=${(/** @type {Event} */ e) => set({ value: valueOf(e) })} />`,
          ]}
        />
      </details>`
    }
    </fieldset>

    <fieldset><legend>ETL</legend>
      ${errors.etl && html`<div class="err" data-field="etl">${errors.etl}</div>`}
      <h4>Filter: records are sent only when every rule holds</h4>
      <${RowsTable}
        testid="filter-rules"
        fieldKey="etl.filter"
        rows=${draft.filter}
        head=${['JSONPath', 'op', 'value (JSON, or text)']}
        blank=${() => ({ path: '', op: 'eq', value: '' })}
        addLabel="Add rule"
        onChange=${(/** @type {FilterRow[]} */ filter) => update({ ...draft, filter })}
        rowError=${(/** @type {number} */ i) => rowErr(i, 'etl.filter')}
        error=${errors['etl.filter']}
        cells=${(/** @type {FilterRow} */ r, /** @type {number} */ i, /** @type {(p: Partial<FilterRow>) => void} */ set) => [
          cell(
            `etl.filter.${i}.path`,
            html`<input name=${`etl.filter.${i}.path`} placeholder="$.type" value=${r.path} onInput=${(/** @type {Event} */ e) => set({ path: valueOf(e) })} />`,
            errors[`etl.filter.${i}.path`],
          ),
          cell(
            `etl.filter.${i}.op`,
            html`<select name=${`etl.filter.${i}.op`} value=${r.op} onChange=${(/** @type {Event} */ e) => set({ op: valueOf(e) })}>
              ${ENUMS.filterOp.map((o) => html`<option value=${o}>${o}</option>`)}</select>`,
            errors[`etl.filter.${i}.op`],
          ),
          cell(
            `etl.filter.${i}.value`,
            html`<input name=${`etl.filter.${i}.value`} placeholder=${r.op === 'in' ? '["a", "b"]' : r.op === 'exists' ? 'true (default) or false' : 'order, 42, "42", true'}
              value=${r.value} onInput=${(/** @type {Event} */ e) => set({ value: valueOf(e) })} />`,
            errors[`etl.filter.${i}.value`],
          ),
        ]}
      />
      <h4>Fields: the body sent is these names with the values at their JSONPaths (none: the record as it is)</h4>
      <${RowsTable}
        testid="output-fields"
        fieldKey="etl.fields"
        rows=${draft.fields}
        head=${['output name', 'JSONPath']}
        blank=${() => ({ name: '', path: '' })}
        addLabel="Add field"
        onChange=${(/** @type {FieldRow[]} */ fields) => update({ ...draft, fields })}
        rowError=${(/** @type {number} */ i) => rowErr(i, 'etl.fields')}
        error=${errors['etl.fields']}
        cells=${(/** @type {FieldRow} */ r, /** @type {number} */ i, /** @type {(p: Partial<FieldRow>) => void} */ set) => [
          html`<input name=${`etl.fields.${i}.name`} placeholder="orderId" value=${r.name} onInput=${(/** @type {Event} */ e) => set({ name: valueOf(e) })} />`,
          html`<input name=${`etl.fields.${i}.path`} placeholder="$.id" value=${r.path} onInput=${(/** @type {Event} */ e) => set({ path: valueOf(e) })} />`,
        ]}
      />
    </fieldset>

    <fieldset><legend>Endpoint</legend><div class="grid">
      ${text('endpoint.url', 'URL (http or https)')}
      ${select('endpoint.method', 'Method', ENUMS['endpoint.method'], 'default: POST')}
      ${text('endpoint.timeoutMs', 'Timeout (ms)', { placeholder: 'default: 5000' })}
      ${text('endpoint.successStatus', 'Success statuses (comma-separated)', { placeholder: 'default: any 2xx' })}
      ${text('endpoint.errcodePath', 'Errcode JSONPath in the answer', { placeholder: 'none: the status decides' })}
      ${text('endpoint.errcodeOk', 'Accepted errcodes (comma-separated)', { placeholder: 'default: 0' })}
      ${text('endpoint.itemResultsPath', 'Per-item results JSONPath (batches)', { placeholder: 'none' })}
      ${text('endpoint.rateGroup', 'Rate group', { placeholder: 'none' })}
    </div>
      <h4>Headers <span class="muted">(values are secret unless the name is a known public one; masked)</span></h4>
      <${RowsTable}
        testid="endpoint-headers"
        fieldKey="endpoint.headers"
        rows=${draft.headers}
        head=${['name', 'value']}
        blank=${() => ({ name: '', value: '', stored: false })}
        addLabel="Add header"
        onChange=${(/** @type {HeaderRow[]} */ headers) => update({ ...draft, headers })}
        rowError=${(/** @type {number} */ i) => rowErr(i, 'endpoint.headers')}
        error=${errors['endpoint.headers']}
        cells=${(/** @type {HeaderRow} */ r, /** @type {number} */ i, /** @type {(p: Partial<HeaderRow>) => void} */ set) => [
          html`<input name=${`endpoint.headers.${i}.name`} placeholder="X-Api-Key" value=${r.name} onInput=${(/** @type {Event} */ e) => set({ name: valueOf(e) })} />`,
          html`<input name=${`endpoint.headers.${i}.value`} type=${isSecretHeader(r.name) ? 'password' : 'text'} autocomplete="new-password"
            placeholder=${r.stored ? KEPT : ''} value=${r.value} onInput=${(/** @type {Event} */ e) => set({ value: valueOf(e) })} />`,
        ]}
      />
      <h4>Record headers sent as HTTP headers</h4>
      <${RowsTable}
        testid="record-headers"
        fieldKey="endpoint.recordHeaders"
        rows=${draft.recordHeaders}
        head=${['Kafka record header', 'HTTP header']}
        blank=${() => ({ from: '', to: '' })}
        addLabel="Add mapping"
        onChange=${(/** @type {MapRow[]} */ recordHeaders) => update({ ...draft, recordHeaders })}
        rowError=${(/** @type {number} */ i) => rowErr(i, 'endpoint.recordHeaders')}
        error=${errors['endpoint.recordHeaders']}
        cells=${(/** @type {MapRow} */ r, /** @type {number} */ i, /** @type {(p: Partial<MapRow>) => void} */ set) => [
          html`<input name=${`endpoint.recordHeaders.${i}.from`} placeholder="tenant" value=${r.from} onInput=${(/** @type {Event} */ e) => set({ from: valueOf(e) })} />`,
          html`<input name=${`endpoint.recordHeaders.${i}.to`} placeholder="X-Tenant-Id" value=${r.to} onInput=${(/** @type {Event} */ e) => set({ to: valueOf(e) })} />`,
        ]}
      />
    </fieldset>

    <fieldset><legend>Delivery</legend><div class="grid">
      ${select('delivery.ordering', 'Ordering', ENUMS['delivery.ordering'], 'default: partition')}
      ${text('delivery.maxInFlight', 'Deliveries in flight at most', { placeholder: 'default: 1' })}
      ${text('delivery.maxRetries', 'Retries', { placeholder: 'default: 3' })}
      ${text('delivery.backoffMs', 'First backoff (ms)', { placeholder: 'default: 200' })}
      ${text('delivery.maxBackoffMs', 'Longest backoff (ms)', { placeholder: 'default: 30000' })}
      ${text('delivery.ratePerSec', 'Rate (records/s, cluster-wide; 0: no limit)', { placeholder: 'default: 0' })}
      ${text('delivery.batchSize', 'Batch size (records)', { placeholder: 'default: 1 (no batching)' })}
      ${text('delivery.batchWaitMs', 'Batch wait (ms)', { placeholder: 'default: 50' })}
      ${text('delivery.maxBatchBytes', 'Batch bytes at most', { placeholder: 'default: 1048576' })}
      ${bool('delivery.adaptiveConcurrency', 'Adaptive in-flight limit', 'default: yes')}
      ${bool('delivery.keyParking', 'Park a key behind its dead letter (ordering key)', 'default: no')}
    </div>
      <details open=${inside('delivery.circuitBreaker')}><summary>Circuit breaker</summary><div class="grid">
        ${errors['delivery.circuitBreaker'] && html`<div class="err" data-field="delivery.circuitBreaker">${errors['delivery.circuitBreaker']}</div>`}
        ${bool('delivery.circuitBreaker.enabled', 'Enabled', 'default: yes')}
        ${text('delivery.circuitBreaker.failureRatio', 'Failure ratio to open', { placeholder: 'default: 0.5' })}
        ${text('delivery.circuitBreaker.minFailures', 'Failures to open at least', { placeholder: 'default: 3' })}
        ${text('delivery.circuitBreaker.windowMs', 'Window (ms)', { placeholder: 'default: 10000' })}
        ${text('delivery.circuitBreaker.probeIntervalMs', 'First probe after (ms)', { placeholder: 'default: 500' })}
        ${text('delivery.circuitBreaker.maxProbeIntervalMs', 'Longest probe interval (ms)', { placeholder: 'default: 10000' })}
      </div></details>
    </fieldset>

    ${
      operator &&
      html`<fieldset><legend>Placement</legend><div class="grid">
      ${text('hosts', 'Pinned instance ids (comma-separated)', { placeholder: 'none: placed by rendezvous' })}
      ${text('replicas', 'Replicas', { placeholder: 'default: SUBSCRIPTION_REPLICAS' })}
    </div></fieldset>`
    }

    <fieldset><legend>Alerts</legend>
      ${errors.alerts && html`<div class="err" data-field="alerts">${errors.alerts}</div>`}
      <details open=${inside('alerts') || v('alerts.webhookUrl') !== ''}><summary>Where and when alerts go</summary><div class="grid">
        ${text('alerts.webhookUrl', 'Webhook URL', { placeholder: 'default: ALERT_WEBHOOK_URL' })}
        ${select('alerts.format', 'Format', ENUMS['alerts.format'], 'default: json')}
        ${bool('alerts.deadLetters', 'On dead letters', 'default: yes')}
        ${bool('alerts.consumerErrors', 'On consumer errors', 'default: yes')}
        ${bool('alerts.circuit', 'On the breaker opening and closing', 'default: yes')}
        ${text('alerts.lagThreshold', 'Lag threshold (records; 0: off)', { placeholder: 'default: 0' })}
        ${text('alerts.lagForSeconds', 'Lag held for (s)', { placeholder: 'default: 60' })}
        ${text('alerts.windowSeconds', 'Dead-letter window (s)', { placeholder: 'default: 60' })}
        ${text('alerts.cooldownSeconds', 'Cool-down (s)', { placeholder: 'default: 300' })}
      </div></details>
    </fieldset>
  </div>`;
}

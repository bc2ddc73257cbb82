import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

interface SpecDraft {
  values: Record<string, string>;
  stored: string[];
  filter: Array<{ path: string; op: string; value: string }>;
  fields: Array<{ name: string; path: string }>;
  headers: Array<{ name: string; value: string; stored: boolean }>;
  recordHeaders: Array<{ from: string; to: string }>;
  properties: Array<{ name: string; value: string }>;
}
interface SpecDraftModule {
  emptyDraft(): SpecDraft;
  draftFromSpec(spec: Record<string, unknown>): SpecDraft;
  buildSpec(draft: SpecDraft): Record<string, unknown>;
  patchBody(initial: SpecDraft, draft: SpecDraft): Record<string, unknown>;
  placeProblem(draft: SpecDraft, extraKeys?: string[], operator?: boolean): (path: string, message: string) => { key: string; text: string } | null;
  readValue(text: string): unknown;
  showValue(value: unknown): string;
  changedPaths(before: unknown, after: unknown): Array<{ path: string; before: unknown; after: unknown }>;
}

/** The console's components/spec-draft.js (no imports at run time), compiled to CommonJS so this suite calls it as the page does. */
function loadSpecDraft(): SpecDraftModule {
  const source = readFileSync(join(__dirname, 'public', 'components', 'spec-draft.js'), 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
  const module = { exports: {} as SpecDraftModule };
  new Function('module', 'exports', outputText)(module, module.exports);
  return module.exports;
}

/** A subscription as GET /api/subscriptions/:id answers it: defaults filled, secrets masked. */
const STORED = {
  view: 'full',
  id: 7,
  name: 'orders',
  owner: null,
  kafka: {
    brokers: 'k1:9092',
    topic: 'orders',
    groupId: 'kproxy.orders',
    startFrom: 'earliest',
    groupProtocol: 'classic',
    security: { protocol: 'sasl_plaintext', sasl: { mechanism: 'PLAIN', username: 'svc', password: '****' }, tls: null },
    properties: { 'fetch.min.bytes': 65536 },
  },
  etl: { filter: [{ path: '$.type', op: 'eq', value: 'order' }], fields: { id: '$.id', user: '$.user.name' } },
  endpoint: {
    url: 'http://sink:8080/orders',
    method: 'POST',
    headers: { 'X-Api-Key': '****', Accept: 'application/json' },
    timeoutMs: 5000,
    successStatus: [],
    errcodePath: '$.errcode',
    errcodeOk: [0],
    itemResultsPath: null,
    rateGroup: null,
    recordHeaders: {},
  },
  delivery: {
    maxRetries: 3,
    backoffMs: 200,
    maxBackoffMs: 30000,
    ratePerSec: 0,
    ordering: 'partition',
    maxInFlight: 1,
    batchSize: 1,
    batchWaitMs: 50,
    maxBatchBytes: 1048576,
    circuitBreaker: { enabled: true, failureRatio: 0.5, minFailures: 3, windowMs: 10000, probeIntervalMs: 500, maxProbeIntervalMs: 10000 },
    adaptiveConcurrency: true,
    keyParking: false,
  },
  hosts: [],
  replicas: null,
  status: 'running',
  version: 4,
  alerts: null,
};

describe('console spec-draft.js', () => {
  const m = loadSpecDraft();

  it('builds a ticket body of only what was set; rows left empty are not sent', () => {
    const draft = m.emptyDraft();
    draft.values = {
      name: 'orders',
      'kafka.brokers': 'k1:9092',
      'kafka.topic': 'orders',
      'endpoint.url': 'http://x/y',
      'delivery.ratePerSec': '2.5',
      'endpoint.timeoutMs': 'soon',
    };
    draft.filter = [
      { path: '$.type', op: 'eq', value: 'order' },
      { path: '', op: 'eq', value: '' },
      { path: '$.n', op: 'in', value: '[1, "2"]' },
    ];
    draft.fields = [
      { name: 'id', path: '$.id' },
      { name: 'user', path: '$.user.name' },
    ];
    draft.headers = [{ name: 'X-Api-Key', value: 's3cret', stored: false }];
    draft.values['endpoint.errcodeOk'] = '0, 9007199254740993, ok';
    expect(m.buildSpec(draft)).toEqual({
      name: 'orders',
      kafka: { brokers: 'k1:9092', topic: 'orders' },
      etl: {
        filter: [
          { path: '$.type', op: 'eq', value: 'order' },
          { path: '$.n', op: 'in', value: [1, '2'] },
        ],
        fields: { id: '$.id', user: '$.user.name' },
      },
      // Text that is not a number goes as typed, for the API to name ("timeoutMs: must be a number").
      endpoint: { url: 'http://x/y', timeoutMs: 'soon', errcodeOk: [0, '9007199254740993', 'ok'], headers: { 'X-Api-Key': 's3cret' } },
      delivery: { ratePerSec: 2.5 },
    });
    expect(m.buildSpec(m.emptyDraft())).toEqual({});
  });

  it('reads a filter value as JSON when it is JSON, else as text, and shows it back the same way', () => {
    expect(['order', '42', '"42"', 'true', '[1,"a"]', 'a b'].map(m.readValue)).toEqual(['order', 42, '42', true, [1, 'a'], 'a b']);
    for (const value of ['order', '42', 42, true, [1, 'a'], null, 'null', { a: 1 }]) expect(m.readValue(m.showValue(value))).toEqual(value);
  });

  it('fills the form from a stored subscription and sends back nothing when nothing changed', () => {
    const initial = m.draftFromSpec(STORED);
    expect(initial.values['delivery.ratePerSec']).toBe('0');
    expect(initial.values['kafka.security.sasl.password']).toBe('');
    expect(initial.stored).toEqual(['kafka.security.sasl.password']);
    expect(initial.headers).toEqual([
      { name: 'X-Api-Key', value: '', stored: true },
      { name: 'Accept', value: 'application/json', stored: false },
    ]);
    expect(initial.filter).toEqual([{ path: '$.type', op: 'eq', value: 'order' }]);
    expect(m.patchBody(initial, m.draftFromSpec(STORED))).toEqual({});
  });

  it('patches only what changed; maps, lists, security and the breaker go whole, kept secrets as the mask', () => {
    const initial = m.draftFromSpec(STORED);
    const edit = (change: (d: SpecDraft) => void) => {
      const d = m.draftFromSpec(STORED);
      change(d);
      return m.patchBody(initial, d);
    };
    expect(edit((d) => (d.values['delivery.ratePerSec'] = '25'))).toEqual({ delivery: { ratePerSec: 25 } });
    expect(edit((d) => (d.values['endpoint.errcodePath'] = ''))).toEqual({ endpoint: { errcodePath: null } });
    expect(edit((d) => (d.values['delivery.circuitBreaker.minFailures'] = '5'))).toEqual({
      delivery: { circuitBreaker: { enabled: true, failureRatio: 0.5, minFailures: 5, windowMs: 10000, probeIntervalMs: 500, maxProbeIntervalMs: 10000 } },
    });
    expect(edit((d) => (d.values['kafka.security.sasl.username'] = 'svc2'))).toEqual({
      kafka: { security: { protocol: 'sasl_plaintext', sasl: { mechanism: 'PLAIN', username: 'svc2', password: '****' } } },
    });
    expect(edit((d) => (d.values['kafka.security.sasl.password'] = 'new'))).toEqual({
      kafka: { security: { protocol: 'sasl_plaintext', sasl: { mechanism: 'PLAIN', username: 'svc', password: 'new' } } },
    });
    expect(edit((d) => (d.headers = d.headers.filter((h) => h.name !== 'Accept')))).toEqual({ endpoint: { headers: { 'X-Api-Key': '****' } } });
    expect(edit((d) => (d.fields = []))).toEqual({ etl: { fields: null } });
    expect(edit((d) => d.filter.push({ path: '$.n', op: 'exists', value: '' }))).toEqual({
      etl: {
        filter: [
          { path: '$.type', op: 'eq', value: 'order' },
          { path: '$.n', op: 'exists' },
        ],
      },
    });
    expect(edit((d) => (d.values['kafka.security.protocol'] = ''))).toEqual({ kafka: { security: null } });
  });

  it("puts each of the API's problems beside the input or row its path names", () => {
    const draft = m.emptyDraft();
    draft.filter = [
      { path: '$.a', op: 'eq', value: '1' },
      { path: '', op: 'eq', value: '' },
      { path: '$.b', op: 'regex', value: '(a)\\1' },
    ];
    draft.fields = [{ name: 'user name', path: '$.u' }];
    draft.headers = [
      { name: '', value: '', stored: false },
      { name: 'X.Key', value: 'v', stored: false },
    ];
    const place = m.placeProblem(draft, ['requester']);
    // The API's index 1 is the third row: the empty second row was not sent.
    expect(place('etl.filter.1.value', 'backreferences are not supported')).toEqual({ key: 'etl.filter.2.value', text: 'backreferences are not supported' });
    expect(place('etl.filter.0', 'bad rule')).toEqual({ key: 'etl.filter.0', text: 'bad rule' });
    expect(place('etl.fields.user name', 'output names must be 1-128 characters without spaces')).toEqual({
      key: 'etl.fields.0',
      text: 'output names must be 1-128 characters without spaces',
    });
    expect(place('endpoint.headers.X.Key', 'is set by kproxy')).toEqual({ key: 'endpoint.headers.1', text: 'is set by kproxy' });
    expect(place('endpoint.headers', 'may set at most 50 headers')).toEqual({ key: 'endpoint.headers', text: 'may set at most 50 headers' });
    expect(place('endpoint.successStatus.2', 'must be at most 599')).toEqual({ key: 'endpoint.successStatus', text: 'item 3: must be at most 599' });
    expect(place('kafka.security.tls.key', 'does not belong to cert')).toEqual({ key: 'kafka.security.tls.key', text: 'does not belong to cert' });
    expect(place('delivery.ratePerSec', 'must be 0 (unlimited) or more')).toEqual({ key: 'delivery.ratePerSec', text: 'must be 0 (unlimited) or more' });
    expect(place('requester', 'is required')).toEqual({ key: 'requester', text: 'is required' });
    expect(place('colour', 'is not a known field')).toBeNull();
    // A requester's form has no security inputs: such a problem goes to the general list.
    expect(m.placeProblem(draft, [], false)('kafka.security.sasl.password', 'is required')).toBeNull();
  });

  it('lists what an audit entry changed, leaving out the version bookkeeping', () => {
    expect(m.changedPaths({ ...STORED, version: 4 }, { ...STORED, version: 5, delivery: { ...STORED.delivery, ratePerSec: 25 } })).toEqual([
      { path: 'delivery.ratePerSec', before: 0, after: 25 },
    ]);
    expect(m.changedPaths({ status: 'running' }, { status: 'stopped' })).toEqual([{ path: 'status', before: 'running', after: 'stopped' }]);
  });
});

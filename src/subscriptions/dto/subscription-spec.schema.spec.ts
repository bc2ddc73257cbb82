import { formatZodIssues } from '../../common/validation/format-zod-issues';
import { parseSubscriptionSpec } from './subscription-spec.schema';

const valid = {
  name: 'orders-to-billing',
  kafka: { brokers: '127.0.0.1:9092', topic: 'orders' },
  endpoint: { url: 'http://127.0.0.1:18080/orders' },
};

const problems = (input: unknown) => {
  const parsed = parseSubscriptionSpec(input);
  return parsed.success ? [] : formatZodIssues(parsed.error.issues);
};

describe('subscription spec schema', () => {
  it('fills the documented defaults', () => {
    const parsed = parseSubscriptionSpec(valid);
    expect(parsed.success).toBe(true);
    expect(parsed.data).toEqual({
      ...valid,
      kafka: { brokers: '127.0.0.1:9092', topic: 'orders', groupId: null, startFrom: 'earliest' },
      etl: null,
      endpoint: {
        url: 'http://127.0.0.1:18080/orders',
        method: 'POST',
        headers: {},
        timeoutMs: 5000,
        successStatus: [],
        errcodePath: null,
        errcodeOk: [0],
        recordHeaders: {},
        rateGroup: null,
      },
      delivery: { maxRetries: 3, backoffMs: 200, maxBackoffMs: 30000, ratePerSec: 0, ordering: 'partition', maxInFlight: 1, batchSize: 1, batchWaitMs: 50 },
      hosts: [],
      status: 'stopped',
      alerts: null,
    });
  });

  it('names every bad field at once', () => {
    const lines = problems({
      name: 'x',
      kafka: { brokers: 'nohost', topic: '' },
      etl: { filter: [{ path: '$.a', op: 'like', value: 1 }, { path: 'a.b', op: 'eq', value: 1 }], fields: { a: '$[' } },
      endpoint: { url: 'ftp://example.com/x', timeoutMs: -1, headers: { 'X-Kafka-Topic': 'x' } },
      delivery: { ratePerSec: -5, ordering: 'random', backoffMs: -1 },
      surprise: true,
    });
    const expected = [
      'kafka.brokers: "nohost" is not a host:port pair',
      'kafka.topic: must be 1-249 characters',
      'etl.filter.0.op: must be one of eq, neq, in, exists, regex',
      'etl.filter.1.path: "a.b" is not a JSONPath',
      'etl.fields.a: "$[" is not a valid JSONPath',
      'endpoint.url: scheme "ftp" is not allowed',
      'endpoint.timeoutMs: must be at least 1',
      'endpoint.headers.X-Kafka-Topic: is set by kproxy',
      'delivery.ratePerSec: must be 0 (unlimited) or more',
      'delivery.ordering: must be one of partition, key, unordered',
      'delivery.backoffMs: must be at least 1',
      'surprise: is not a known field',
    ];
    for (const e of expected) expect(lines.some((l) => l.startsWith(e))).toBe(true);
  });

  it('says that missing sections are required', () => {
    expect(problems({ name: 'a' })).toEqual(['kafka: is required', 'endpoint: is required']);
    expect(problems({ ...valid, kafka: { topic: 'x' } })).toEqual(['kafka.brokers: is required: a comma-separated list of host:port']);
  });

  it('checks values against their op', () => {
    const lines = problems({
      ...valid,
      etl: {
        filter: [
          { path: '$.a', op: 'in', value: 'x' },
          { path: '$.a', op: 'regex', value: '(' },
          { path: '$.a', op: 'eq' },
        ],
      },
    });
    expect(lines).toEqual([
      'etl.filter.0.value: op "in" needs a non-empty array value',
      expect.stringMatching(/^etl\.filter\.1\.value: value is not a valid regular expression/),
      'etl.filter.2.value: op "eq" needs a value',
    ]);
  });

  it('requires maxBackoffMs to be at least backoffMs', () => {
    expect(problems({ ...valid, delivery: { backoffMs: 5000, maxBackoffMs: 100 } })).toEqual([
      'delivery.maxBackoffMs: must be at least backoffMs',
    ]);
  });

  it('maps record headers only to HTTP header names kproxy does not set itself', () => {
    const ok = parseSubscriptionSpec({ ...valid, endpoint: { ...valid.endpoint, recordHeaders: { tenant: 'X-Tenant-Id', 'correlation.id': 'X-Correlation-Id' } } });
    expect(ok.success && ok.data.endpoint.recordHeaders).toEqual({ tenant: 'X-Tenant-Id', 'correlation.id': 'X-Correlation-Id' });
    expect(
      problems({ ...valid, endpoint: { ...valid.endpoint, recordHeaders: { a: 'X-Kafka-Offset', b: 'traceparent', c: 'bad header', d: 'X-Same', e: 'x-same', '': 'X-Empty' } } }),
    ).toEqual([
      'endpoint.recordHeaders.a: "X-Kafka-Offset" is set by kproxy and cannot be mapped to',
      'endpoint.recordHeaders.b: "traceparent" is set by kproxy and cannot be mapped to',
      'endpoint.recordHeaders.c: "bad header" is not a valid HTTP header name',
      'endpoint.recordHeaders.e: "x-same" is already the target of another record header',
      'endpoint.recordHeaders: an empty record header name cannot be mapped',
    ]);
  });
});

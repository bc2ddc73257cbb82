import { formatZodIssues } from '../../common/validation/format-zod-issues';
import { TLS_FIXTURES as PKI } from '../../../test/support/tls-fixtures';
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
  it('takes replicas as a whole number from 1 to 1000, or null for SUBSCRIPTION_REPLICAS', () => {
    expect(parseSubscriptionSpec({ ...valid, replicas: 3 }).data?.replicas).toBe(3);
    expect(parseSubscriptionSpec({ ...valid, replicas: null }).data?.replicas).toBeNull();
    const errors = (replicas: unknown) => parseSubscriptionSpec({ ...valid, replicas }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(errors(0)).toEqual(['replicas: must be at least 1']);
    expect(errors(1.5)).toEqual(['replicas: must be a whole number']);
    expect(errors(1001)).toEqual(['replicas: must be at most 1000']);
    expect(errors('2')).toEqual(['replicas: must be a whole number from 1 to 1000, or null for SUBSCRIPTION_REPLICAS']);
  });

  it('fills the documented defaults', () => {
    const parsed = parseSubscriptionSpec(valid);
    expect(parsed.success).toBe(true);
    expect(parsed.data).toEqual({
      ...valid,
      owner: null,
      kafka: { brokers: '127.0.0.1:9092', topic: 'orders', groupId: null, startFrom: 'earliest', groupProtocol: 'classic', security: null, properties: {} },
      etl: null,
      endpoint: {
        url: 'http://127.0.0.1:18080/orders',
        method: 'POST',
        headers: {},
        timeoutMs: 5000,
        successStatus: [],
        errcodePath: null,
        errcodeOk: [0],
        itemResultsPath: null,
        recordHeaders: {},
        rateGroup: null,
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
      status: 'stopped',
      alerts: null,
    });
  });

  it('refuses breaker settings out of range, naming each', () => {
    const lines = problems({
      ...valid,
      delivery: { circuitBreaker: { failureRatio: 0, minFailures: 0, probeIntervalMs: 5000, maxProbeIntervalMs: 1000, colour: 1 }, adaptiveConcurrency: 'yes' },
    });
    expect(lines).toEqual(
      expect.arrayContaining([
        'delivery.circuitBreaker.failureRatio: must be more than 0',
        'delivery.circuitBreaker.minFailures: must be at least 1',
        'delivery.adaptiveConcurrency: must be true or false',
      ]),
    );
    expect(lines.some((l) => l.startsWith('delivery.circuitBreaker.colour'))).toBe(true);
    expect(problems({ ...valid, delivery: { circuitBreaker: { probeIntervalMs: 5000, maxProbeIntervalMs: 1000 } } })).toEqual([
      'delivery.circuitBreaker.maxProbeIntervalMs: must be at least probeIntervalMs',
    ]);
  });

  it('accepts key parking only in key order with single records', () => {
    expect(problems({ ...valid, delivery: { ordering: 'key', keyParking: true } })).toEqual([]);
    expect(problems({ ...valid, delivery: { ordering: 'partition', keyParking: true } })).toEqual([
      'delivery.keyParking: needs ordering "key": records are parked behind an earlier record with the same key',
    ]);
    expect(problems({ ...valid, delivery: { ordering: 'key', keyParking: true, batchSize: 10 } })).toEqual([
      'delivery.keyParking: needs batchSize 1: a batch can hold later records of a key that one of its records is refused for',
    ]);
  });

  it('names every bad field at once', () => {
    const lines = problems({
      name: 'x',
      kafka: { brokers: 'nohost', topic: '' },
      etl: {
        filter: [
          { path: '$.a', op: 'like', value: 1 },
          { path: 'a.b', op: 'eq', value: 1 },
        ],
        fields: { a: '$[' },
      },
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

  it('names the field of a regex needing backtracking and of a path over the caps', () => {
    const long = '$.' + 'a'.repeat(2000);
    const lines = problems({
      ...valid,
      etl: {
        filter: [
          { path: '$.a', op: 'regex', value: 'a(?=b)' },
          { path: long, op: 'exists' },
        ],
        fields: { x: '$..a..b' },
      },
      endpoint: { ...valid.endpoint, errcodePath: long },
    });
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^etl\.filter\.0\.value: value uses a lookahead/),
        'etl.filter.1.path: JSONPath is 2002 characters long; at most 1024 are allowed',
        expect.stringMatching(/^etl\.fields\.x: .*recursive descents/),
        'endpoint.errcodePath: JSONPath is 2002 characters long; at most 1024 are allowed',
      ]),
    );
  });

  it('refuses an output field named __proto__ instead of dropping it', () => {
    const fields: Record<string, string> = { id: '$.id' };
    Object.defineProperty(fields, '__proto__', { value: '$.x', enumerable: true });
    expect(problems({ ...valid, etl: { fields } })).toEqual([expect.stringMatching(/^etl\.fields\.__proto__: .*output name "__proto__" cannot be used/)]);
  });

  it('caps the JSONPath characters of one etl in all, before validating any of them', () => {
    const script =
      '$.items[?(' +
      Array.from({ length: 60 }, (_, i) => `@.n${i} > ${i}`)
        .join(' && ')
        .slice(0, 900) +
      ')]';
    const fields = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`f${i}`, script]));
    const started = process.hrtime.bigint();
    const lines = problems({ ...valid, etl: { fields, filter: [{ path: script, op: 'exists' }] } });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const total = script.length * 501;
    expect(lines).toEqual([`etl: the JSONPaths of fields and filter add up to ${total} characters; at most 65536 are allowed per subscription`]);
    expect(ms).toBeLessThan(100);
    const fit = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`f${i}`, script]));
    expect(problems({ ...valid, etl: { fields: fit } })).toEqual([]);
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
    expect(problems({ ...valid, delivery: { backoffMs: 5000, maxBackoffMs: 100 } })).toEqual(['delivery.maxBackoffMs: must be at least backoffMs']);
  });

  it('bounds maxBatchBytes between 1 KiB and 64 MiB, naming the field', () => {
    expect(problems({ ...valid, delivery: { maxBatchBytes: 1023 } })).toEqual(['delivery.maxBatchBytes: must be at least 1024']);
    expect(problems({ ...valid, delivery: { maxBatchBytes: 64 * 1024 * 1024 + 1 } })).toEqual(['delivery.maxBatchBytes: must be at most 67108864']);
    expect(problems({ ...valid, delivery: { maxBatchBytes: 1.5e4 + 0.5 } })).toEqual(['delivery.maxBatchBytes: must be a whole number']);
    const ok = parseSubscriptionSpec({ ...valid, delivery: { batchSize: 100, maxBatchBytes: 100 * 1024 } });
    expect(ok.success && ok.data.delivery.maxBatchBytes).toBe(102400);
  });

  it('maps record headers only to HTTP header names kproxy does not set itself', () => {
    const ok = parseSubscriptionSpec({
      ...valid,
      endpoint: { ...valid.endpoint, recordHeaders: { tenant: 'X-Tenant-Id', 'correlation.id': 'X-Correlation-Id' } },
    });
    expect(ok.success && ok.data.endpoint.recordHeaders).toEqual({ tenant: 'X-Tenant-Id', 'correlation.id': 'X-Correlation-Id' });
    expect(
      problems({
        ...valid,
        endpoint: { ...valid.endpoint, recordHeaders: { a: 'X-Kafka-Offset', b: 'traceparent', c: 'bad header', d: 'X-Same', e: 'x-same', '': 'X-Empty' } },
      }),
    ).toEqual([
      'endpoint.recordHeaders.a: "X-Kafka-Offset" is set by kproxy and cannot be mapped to',
      'endpoint.recordHeaders.b: "traceparent" is set by kproxy and cannot be mapped to',
      'endpoint.recordHeaders.c: "bad header" is not a valid HTTP header name',
      'endpoint.recordHeaders.e: "x-same" is already the target of another record header',
      'endpoint.recordHeaders: an empty record header name cannot be mapped',
    ]);
  });

  describe('kafka security and properties', () => {
    const withKafka = (kafka: Record<string, unknown>) => ({ ...valid, kafka: { ...valid.kafka, ...kafka } });

    it('takes SASL over TLS with a CA and a client certificate whose encrypted key opens', () => {
      const security = {
        protocol: 'sasl_ssl',
        sasl: { mechanism: 'SCRAM-SHA-512', username: 'svc', password: 'pw' },
        tls: { ca: PKI.ca, cert: PKI.clientCert, key: PKI.clientKeyEncrypted, keyPassword: PKI.clientKeyPassword },
      };
      const parsed = parseSubscriptionSpec(withKafka({ security, properties: { 'fetch.min.bytes': 1024, 'isolation.level': 'read_committed' } }));
      expect(parsed.success).toBe(true);
      expect(parsed.data!.kafka.security).toEqual({ ...security, tls: { ...security.tls, verifyHostname: true } });
    });

    it('names mismatched protocol sections, bad PEM, a key without its password and a foreign key', () => {
      expect(problems(withKafka({ security: { protocol: 'sasl_plaintext' } }))).toEqual(['kafka.security.sasl: is required with protocol sasl_plaintext']);
      expect(problems(withKafka({ security: { protocol: 'ssl', sasl: { mechanism: 'GSSAPI', username: '', password: 'x' } } }))).toEqual([
        'kafka.security.sasl.mechanism: must be one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512',
        'kafka.security.sasl.username: is required',
      ]);
      expect(problems(withKafka({ security: { protocol: 'plaintext', tls: { ca: PKI.ca } } }))).toEqual([
        'kafka.security.tls: is only used with ssl or sasl_ssl, not plaintext',
      ]);
      expect(problems(withKafka({ security: { protocol: 'ssl', tls: { ca: 'not pem', cert: PKI.clientCert } } }))).toEqual([
        'kafka.security.tls.ca: holds no PEM certificate (-----BEGIN CERTIFICATE-----)',
        'kafka.security.tls.key: cert and key go together: set both for mutual TLS, or neither',
      ]);
      expect(problems(withKafka({ security: { protocol: 'ssl', tls: { cert: PKI.clientCert, key: PKI.clientKeyEncrypted } } }))).toEqual([
        'kafka.security.tls.key: is encrypted: set keyPassword',
      ]);
      expect(problems(withKafka({ security: { protocol: 'ssl', tls: { cert: PKI.clientCert, key: PKI.clientKeyEncrypted, keyPassword: 'wrong' } } }))).toEqual([
        'kafka.security.tls.keyPassword: does not open with keyPassword',
      ]);
      expect(problems(withKafka({ security: { protocol: 'ssl', tls: { cert: PKI.clientCert, key: PKI.serverKey } } }))).toEqual([
        'kafka.security.tls.key: does not belong to cert',
      ]);
    });

    it('allows only allow-listed librdkafka properties, each checked against its rule', () => {
      expect(
        problems(
          withKafka({
            properties: {
              'enable.auto.commit': true,
              'sasl.password': 'x',
              'fetch.min.bytes': -1,
              'isolation.level': 'dirty',
              'check.crcs': 'yes',
              'client.rack': 'eu-west-1a',
            },
          }),
        ),
      ).toEqual([
        'kafka.properties.enable.auto.commit: is not on the allow-list of librdkafka properties (see the README)',
        'kafka.properties.sasl.password: is not settable here: use kafka.security for SASL and TLS',
        'kafka.properties.fetch.min.bytes: must be a whole number from 1 to 100000000',
        'kafka.properties.isolation.level: must be one of read_committed | read_uncommitted',
        'kafka.properties.check.crcs: must be true or false',
      ]);
      expect(
        problems(
          withKafka({
            properties: { 'heartbeat.interval.ms': 5000, 'session.timeout.ms': 5000, 'reconnect.backoff.ms': 900, 'reconnect.backoff.max.ms': 100 },
          }),
        ),
      ).toEqual([
        'kafka.properties.heartbeat.interval.ms: must be less than session.timeout.ms (5000)',
        'kafka.properties.reconnect.backoff.ms: must be at most reconnect.backoff.max.ms (100)',
      ]);
      expect(problems(withKafka({ properties: { 'fetch.max.bytes': 1024, 'max.poll.interval.ms': 10_000 } }))).toEqual([
        'kafka.properties.fetch.max.bytes: must be a whole number from 1000000 to 67108864',
        'kafka.properties.max.poll.interval.ms: must be a whole number from 300000 to 86400000',
      ]);
    });

    it('takes the KIP-848 group protocol only without the properties the broker owns under it', () => {
      expect(parseSubscriptionSpec(withKafka({ groupProtocol: 'consumer', properties: { 'fetch.min.bytes': 1 } })).data?.kafka.groupProtocol).toBe('consumer');
      expect(problems(withKafka({ groupProtocol: 'cooperative' }))).toEqual(['kafka.groupProtocol: must be one of classic, consumer']);
      expect(
        problems(
          withKafka({
            groupProtocol: 'consumer',
            properties: { 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 1000, 'partition.assignment.strategy': 'range' },
          }),
        ),
      ).toEqual(
        ['session.timeout.ms', 'heartbeat.interval.ms', 'partition.assignment.strategy'].map(
          (p) => `kafka.properties.${p}: cannot be set with groupProtocol "consumer": under KIP-848 the broker decides it (group.consumer.* broker settings)`,
        ),
      );
    });
  });
  it('bounds endpoint headers by count and bytes, and rates to none or at least 0.1/s', () => {
    const issues = (patch: Record<string, unknown>) => {
      const r = parseSubscriptionSpec({ ...valid, ...patch });
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`x-h${i}`, 'v']));
    expect(issues({ endpoint: { ...valid.endpoint, headers: many } })).toEqual(['endpoint.headers: may set at most 50 headers; 51 given']);
    expect(issues({ endpoint: { ...valid.endpoint, headers: { 'x-big': 'v'.repeat(8193) } } })).toEqual([
      'endpoint.headers.x-big: the value is longer than 8192 bytes',
    ]);
    const wide = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`x-h${i}`, 'v'.repeat(8000)]));
    expect(issues({ endpoint: { ...valid.endpoint, headers: wide } })).toEqual([
      'endpoint.headers: names and values add up to 40020 bytes; at most 32768 are allowed',
    ]);
    expect(issues({ delivery: { ratePerSec: 0.000001 } })).toEqual(['delivery.ratePerSec: must be 0 (unlimited) or at least 0.1 (one record in 10 s)']);
    expect(issues({ delivery: { ratePerSec: 0.1 } })).toEqual([]);
    expect(issues({ owner: 'Payments' })).toEqual(['owner: must be a team name: 1-64 lower-case letters, digits, ".", "_" or "-"']);
  });
});

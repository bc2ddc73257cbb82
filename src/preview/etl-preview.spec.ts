import { DeliveryTarget } from '../delivery/delivery-target';
import { endpointSpec } from '../delivery/endpoint-spec.fixture';
import { EtlPipeline } from '../etl/etl-pipeline';
import { DeadLetterReason } from '../model/dead-letter-reason.enum';
import { EtlPreview, type PreviewConfig } from './etl-preview';
import { PreviewRecords } from './preview-record';
import { sampleRecordSchema } from './dto/preview-request.schema';

function config(over: Partial<PreviewConfig> = {}): PreviewConfig {
  const url = 'https://user:pw@api.example/orders?key=k';
  return {
    topic: 'orders',
    etl: EtlPipeline.compile({ filter: [{ path: '$.type', op: 'eq', value: 'order' }], fields: { id: '$.id' } }),
    target: new DeliveryTarget(endpointSpec(url, { headers: { Authorization: 'Bearer s3cret', 'User-Agent': 'kp' } })),
    url,
    batchSize: 1,
    maxBatchBytes: 1_048_576,
    ordering: 'partition',
    maxMessageBytes: 1_048_576,
    ...over,
  };
}

const sample = (input: unknown) => PreviewRecords.fromSample(sampleRecordSchema.parse(input), 'orders');

describe('EtlPreview', () => {
  it('shows per record whether it is sent, with the exact body and headers, secrets masked', () => {
    const result = EtlPreview.run(config(), [
      sample({ value: '{"type":"order","id":12345678901234567890}', key: 'k1', offset: 5 }),
      sample({ value: '{"type":"refund","id":2}', offset: 6 }),
      sample({ valueBase64: Buffer.from([0xc3, 0x28]).toString('base64'), offset: 7 }),
      sample({ offset: 8 }),
    ]);
    expect(result.endpoint).toEqual({ method: 'POST', url: 'https://****:****@api.example/orders?key=****' });
    expect(result.records.map((r) => [r.offset, r.kept, r.outcome, r.reason, r.body])).toEqual([
      [5, true, 'deliver', null, '{"id":12345678901234567890}'],
      [6, false, 'filtered', null, null],
      [7, false, 'dead_letter', DeadLetterReason.NotJson, null],
      [8, false, 'dead_letter', DeadLetterReason.NoValue, null],
    ]);
    expect(result.records[0].headers).toEqual([
      ['content-type', 'application/json'],
      ['authorization', '****'],
      ['user-agent', 'kp'],
      ['x-kafka-topic', 'orders'],
      ['x-kafka-partition', '0'],
      ['x-kafka-offset', '5'],
      ['idempotency-key', 'orders-0-5'],
      ['x-kafka-key', 'k1'],
    ]);
    expect(JSON.stringify(result)).not.toContain('s3cret');
    expect(result.batches).toEqual([]);
  });

  it('masks the Basic credentials a URL with user info turns into', () => {
    const url = 'https://user:pw@api.example/x';
    const result = EtlPreview.run(config({ url, target: new DeliveryTarget(endpointSpec(url)), etl: EtlPipeline.compile(null) }), [sample({ value: '{}' })]);
    expect(result.records[0].headers).toContainEqual(['authorization', '****']);
  });

  it('with batching, shows each kept record as its array element and the batch requests per partition', () => {
    const result = EtlPreview.run(config({ batchSize: 2 }), [
      sample({ value: '{"type":"order","id":1}', partition: 0, offset: 1 }),
      sample({ value: '{"type":"refund","id":2}', partition: 0, offset: 2 }),
      sample({ value: '{"type":"order","id":3}', partition: 0, offset: 3 }),
      sample({ value: '{"type":"order","id":4}', partition: 1, offset: 9 }),
    ]);
    expect(result.records.map((r) => [r.body, r.headers])).toEqual([
      ['{"id":1}', null],
      [null, null],
      ['{"id":3}', null],
      ['{"id":4}', null],
    ]);
    expect(result.batches.map((b) => [b.records, b.body])).toEqual([
      [[{ partition: 0, offset: 1 }], '[{"id":1}]'],
      [[{ partition: 0, offset: 3 }], '[{"id":3}]'],
      [[{ partition: 1, offset: 9 }], '[{"id":4}]'],
    ]);
    expect(result.batches[0].headers).toContainEqual(['x-kafka-records', '0:1']);
    expect(result.batches[0].headers).toContainEqual(['authorization', '****']);
  });

  it('fills a batch across partitions under key and unordered ordering, as the dispatcher does', () => {
    const records = [
      sample({ value: '{"type":"order","id":1}', partition: 0, offset: 1 }),
      sample({ value: '{"type":"order","id":4}', partition: 1, offset: 9 }),
      sample({ value: '{"type":"order","id":5}', partition: 1, offset: 10 }),
    ];
    for (const ordering of ['key', 'unordered'] as const) {
      const result = EtlPreview.run(config({ batchSize: 2, ordering }), records);
      expect(result.batches.map((b) => [b.records, b.body])).toEqual([
        [
          [
            { partition: 0, offset: 1 },
            { partition: 1, offset: 9 },
          ],
          '[{"id":1},{"id":4}]',
        ],
        [[{ partition: 1, offset: 10 }], '[{"id":5}]'],
      ]);
      expect(result.batches[0].headers).toContainEqual(['x-kafka-records', '0:1,1:9']);
    }
    expect(EtlPreview.run(config({ batchSize: 2 }), records).batches.map((b) => b.body)).toEqual(['[{"id":1}]', '[{"id":4},{"id":5}]']);
  });
});

describe('sampleRecordSchema', () => {
  it('refuses a value given both as text and as base64, naming the field', () => {
    const parsed = sampleRecordSchema.safeParse({ value: '{}', valueBase64: 'e30=' });
    expect(parsed.success ? [] : parsed.error.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['valueBase64', 'give value or valueBase64, not both'],
    ]);
  });

  it('turns text, base64 and headers into the bytes a consumer hands over', () => {
    const r = sample({
      valueBase64: 'AAE=',
      keyBase64: '/w==',
      headers: [
        { name: 'h', value: 'v' },
        { name: 'b', valueBase64: 'AP8=' },
      ],
      partition: 3,
      offset: 9,
    });
    expect(r).toEqual({
      topic: 'orders',
      partition: 3,
      offset: 9,
      timestamp: null,
      key: Buffer.from([0xff]),
      value: Buffer.from([0, 1]),
      headers: [{ h: Buffer.from('v') }, { b: Buffer.from([0, 255]) }],
    });
  });
});

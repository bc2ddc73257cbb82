import { DeliveryTarget } from '../delivery/delivery-target';
import { endpointSpec } from '../delivery/endpoint-spec.fixture';
import { headerValue } from '../delivery/kafka-headers';
import { EtlPipeline } from '../etl/etl-pipeline';
import { DeadLetterReason } from '../model/dead-letter-reason.enum';
import { RecordShaper } from './record-shaper';

const LIMIT = 1_048_576;
const etl = EtlPipeline.compile({ filter: [{ path: '$.type', op: 'eq', value: 'order' }], fields: { id: '$.id', amount: '$.amount', who: '$.user.name' } });
const text = (b: Buffer | string) => (typeof b === 'string' ? b : b.toString('utf8'));

describe('RecordShaper', () => {
  it('keeps a record the filter passes and projects its fields as the body', () => {
    const out = RecordShaper.prepare(Buffer.from('{"type":"order","id":7,"amount":12.5,"user":{"name":"ann"},"extra":true}'), etl, LIMIT);
    expect(out.kind).toBe('deliver');
    if (out.kind === 'deliver') expect(text(out.body)).toBe('{"id":7,"amount":12.5,"who":"ann"}');
  });

  it('drops a record the filter does not keep', () => {
    expect(RecordShaper.prepare(Buffer.from('{"type":"refund","id":8,"amount":1,"user":{"name":"bo"}}'), etl, LIMIT)).toEqual({ kind: 'filtered' });
  });

  it('keeps numbers exactly as the value wrote them', () => {
    const out = RecordShaper.prepare(Buffer.from('{"type":"order","id":9007199254740993,"amount":1.50,"user":{"name":"次郎"}}'), etl, LIMIT);
    expect(out.kind === 'deliver' && text(out.body)).toBe('{"id":9007199254740993,"amount":1.50,"who":"次郎"}');
  });

  it('sends the value bytes untouched without rules or fields (the same Buffer)', () => {
    const value = Buffer.from('{ "spaced" : 1.0 }');
    const out = RecordShaper.prepare(value, EtlPipeline.compile(null), LIMIT);
    expect(out.kind === 'deliver' && out.body).toBe(value);
  });

  it.each([
    ['a tombstone', null, DeadLetterReason.NoValue],
    ['a value over the size limit', Buffer.from(`{"type":"order","pad":"${'x'.repeat(64)}"}`), DeadLetterReason.TooLarge],
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), DeadLetterReason.NotJson],
    ['text that is not JSON', Buffer.from('order 7'), DeadLetterReason.NotJson],
    ['a field path that matches nothing', Buffer.from('{"type":"order","id":1,"amount":2}'), DeadLetterReason.PathNotMatched],
  ])('dead-letters %s, as the data path does', (_what, value, reason) => {
    const out = RecordShaper.prepare(value, etl, 64);
    expect(out.kind === 'reject' && out.reason).toBe(reason);
  });

  it('builds single-record headers: configured ones, coordinates, key and mapped record headers', () => {
    const target = new DeliveryTarget(endpointSpec('http://127.0.0.1:1/x', { headers: { 'X-App': 'billing' }, recordHeaders: { tenant: 'X-Tenant' } }));
    const headers = RecordShaper.headers(target, {
      topic: 't',
      partition: 2,
      offset: 41,
      key: Buffer.from('k-1'),
      headers: [{ tenant: Buffer.from('acme') }, { other: 'x' }],
    });
    expect(headers).toEqual([
      'content-type',
      'application/json',
      'x-app',
      'billing',
      'x-kafka-topic',
      't',
      'x-kafka-partition',
      '2',
      'x-kafka-offset',
      '41',
      'idempotency-key',
      't-2-41',
      'x-kafka-key',
      'k-1',
      'x-tenant',
      'acme',
    ]);
    // A key that is not sendable as is travels as base64 of its bytes.
    const binary = RecordShaper.headers(target, { topic: 't', partition: 0, offset: 0, key: Buffer.from([0, 255]) });
    expect([headerValue(binary, 'x-kafka-key'), headerValue(binary, 'x-kafka-key-encoding')]).toEqual(['AP8=', 'base64']);
  });

  it('builds a batch: the bodies joined as one array, and the batch headers naming the records', () => {
    const target = new DeliveryTarget(endpointSpec('http://127.0.0.1:1/x'));
    expect(RecordShaper.batchBody(['{"a":1}', Buffer.from('{"b":2.50}')]).toString()).toBe('[{"a":1},{"b":2.50}]');
    const headers = RecordShaper.batchHeaders(target, 't', [
      { topic: 't', partition: 0, offset: 4 },
      { topic: 't', partition: 0, offset: 5 },
    ]);
    expect([headerValue(headers, 'x-kafka-batch-size'), headerValue(headers, 'x-kafka-records')]).toEqual(['2', '0:4-5']);
  });
});

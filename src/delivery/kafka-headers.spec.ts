import { kafkaRequestHeaders } from './kafka-headers';

describe('kafkaRequestHeaders', () => {
  it('adds where the record came from and an idempotency key, keeping configured headers', () => {
    expect(kafkaRequestHeaders({ 'x-app': 'billing' }, { topic: 'orders', partition: 3, offset: 42, key: 'k-1' })).toEqual({
      'x-app': 'billing',
      'x-kafka-topic': 'orders',
      'x-kafka-partition': '3',
      'x-kafka-offset': '42',
      'x-kafka-key': 'k-1',
      'idempotency-key': 'orders-3-42',
    });
  });

  it('sends a binary key as base64 and says so', () => {
    const h = kafkaRequestHeaders({}, { topic: 't', partition: 0, offset: 1, key: Buffer.from([0, 255, 10]) });
    expect(h['x-kafka-key']).toBe('AP8K');
    expect(h['x-kafka-key-encoding']).toBe('base64');
  });

  it('omits the key header when the record has none', () => {
    expect(kafkaRequestHeaders({}, { topic: 't', partition: 0, offset: 1, key: null })).not.toHaveProperty('x-kafka-key');
  });
});

import { continueTrace, headerValue, kafkaRequestHeaders } from './kafka-headers';

const pairs = (list: string[]) => Object.fromEntries(Array.from({ length: list.length / 2 }, (_, i) => [list[2 * i], list[2 * i + 1]]));

describe('kafkaRequestHeaders', () => {
  it('adds where the record came from and an idempotency key, keeping configured headers', () => {
    expect(pairs(kafkaRequestHeaders(['x-app', 'billing'], { topic: 'orders', partition: 3, offset: 42, key: 'k-1' }))).toEqual({
      'x-app': 'billing',
      'x-kafka-topic': 'orders',
      'x-kafka-partition': '3',
      'x-kafka-offset': '42',
      'x-kafka-key': 'k-1',
      'idempotency-key': 'orders-3-42',
    });
  });

  it('sends a printable Buffer key as text', () => {
    expect(headerValue(kafkaRequestHeaders([], { topic: 't', partition: 0, offset: 1, key: Buffer.from('user-7') }), 'x-kafka-key')).toBe('user-7');
  });

  it('sends a binary key as base64 and says so', () => {
    const h = kafkaRequestHeaders([], { topic: 't', partition: 0, offset: 1, key: Buffer.from([0, 255, 10]) });
    expect(headerValue(h, 'x-kafka-key')).toBe('AP8K');
    expect(headerValue(h, 'x-kafka-key-encoding')).toBe('base64');
  });

  it('base64-encodes a string key with non-printable characters', () => {
    const h = kafkaRequestHeaders([], { topic: 't', partition: 0, offset: 1, key: 'é\n' });
    expect(headerValue(h, 'x-kafka-key')).toBe(Buffer.from('é\n').toString('base64'));
    expect(headerValue(h, 'x-kafka-key-encoding')).toBe('base64');
  });

  it('omits the key header when the record has none', () => {
    expect(headerValue(kafkaRequestHeaders([], { topic: 't', partition: 0, offset: 1, key: null }), 'x-kafka-key')).toBeUndefined();
  });

  it('does not change the shared base list', () => {
    const base = ['content-type', 'application/json'];
    kafkaRequestHeaders(base, { topic: 't', partition: 0, offset: 1 });
    expect(base).toEqual(['content-type', 'application/json']);
  });

  describe('trace context and forwarded record headers', () => {
    const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const coords = (headers: Array<Record<string, Buffer | string>>) => ({ topic: 't', partition: 0, offset: 1, headers });

    it('continues a traceparent with the same trace id and flags and a new span id, with its tracestate', () => {
      const list = kafkaRequestHeaders([], coords([{ traceparent: Buffer.from(parent) }, { tracestate: Buffer.from('vendor=abc') }]));
      const next = headerValue(list, 'traceparent')!;
      expect(next).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
      expect(next).not.toContain('00f067aa0ba902b7');
      expect(headerValue(list, 'tracestate')).toBe('vendor=abc');
    });

    it('drops an invalid traceparent and the tracestate that came with it', () => {
      for (const bad of ['garbage', '00-00000000000000000000000000000000-00f067aa0ba902b7-01', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', parent.toUpperCase()]) {
        const list = kafkaRequestHeaders([], coords([{ traceparent: bad }, { tracestate: 'vendor=abc' }]));
        expect(headerValue(list, 'traceparent')).toBeUndefined();
        expect(headerValue(list, 'tracestate')).toBeUndefined();
      }
      expect(continueTrace(undefined)).toBeUndefined();
    });

    it('forwards mapped record headers under their HTTP names, skipping values that are not printable text', () => {
      const forward = [
        ['tenant', 'x-tenant-id'],
        ['blob', 'x-blob'],
      ] as const;
      const list = kafkaRequestHeaders([], coords([{ tenant: Buffer.from('acme') }, { blob: Buffer.from([0, 1, 2]) }, { unmapped: 'x' }]), forward);
      expect(headerValue(list, 'x-tenant-id')).toBe('acme');
      expect(headerValue(list, 'x-blob')).toBeUndefined();
      expect(list).not.toContain('unmapped');
    });
  });
});

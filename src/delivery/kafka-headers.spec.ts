import { continueTrace, headerValue, kafkaRequestHeaders, MAX_FORWARDED_VALUE, sendsAsIs } from './kafka-headers';

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

  /** What an endpoint that follows the documented rule recovers from the request. */
  const receivedKey = (h: string[]) => {
    const v = headerValue(h, 'x-kafka-key');
    if (v === undefined) return undefined;
    return headerValue(h, 'x-kafka-key-encoding') === 'base64' ? Buffer.from(v, 'base64') : Buffer.from(v, 'latin1');
  };

  it('marks every key an HTTP hop would alter and sends it as base64 of its exact bytes', () => {
    const altered = [
      Buffer.from('order-1 '), // trailing space: trimmed as OWS (RFC 9110 §5.5)
      Buffer.from(' order-1'),
      Buffer.from('\torder-1'),
      Buffer.from('a\r\nb'),
      Buffer.from([0x61, 0x00, 0x62]),
      Buffer.from([0xc3, 0x28]), // not UTF-8
      Buffer.from([0xe9]), // latin1 é: undici would send the byte, Node would read it back as U+00E9
      Buffer.from('名前'),
      Buffer.from([0x7f]),
    ];
    for (const key of altered) {
      const h = kafkaRequestHeaders([], { topic: 't', partition: 0, offset: 1, key });
      expect(headerValue(h, 'x-kafka-key-encoding')).toBe('base64');
      expect(receivedKey(h)).toEqual(key);
    }
  });

  it('sends an empty key as the empty base64 string, so it differs from no key', () => {
    const h = kafkaRequestHeaders([], { topic: 't', partition: 0, offset: 1, key: Buffer.alloc(0) });
    expect(headerValue(h, 'x-kafka-key')).toBe('');
    expect(headerValue(h, 'x-kafka-key-encoding')).toBe('base64');
  });

  it('keeps printable keys with spaces or tabs inside as they are', () => {
    for (const key of ['a b', 'a\tb', '~!', 'x']) {
      const h = kafkaRequestHeaders([], { topic: 't', partition: 0, offset: 1, key: Buffer.from(key) });
      expect(headerValue(h, 'x-kafka-key')).toBe(key);
      expect(headerValue(h, 'x-kafka-key-encoding')).toBeUndefined();
    }
  });

  it('round-trips any key bytes', () => {
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256;
    for (let n = 0; n < 2000; n++) {
      const key = Buffer.from(Array.from({ length: n % 12 }, () => (n % 3 === 0 ? 0x20 + (next() % 95) : next())));
      expect(receivedKey(kafkaRequestHeaders([], { topic: 't', partition: 0, offset: 1, key }))).toEqual(key);
    }
  });

  it('judges strings by their characters', () => {
    expect(sendsAsIs('abc')).toBe(true);
    expect(sendsAsIs('abc ')).toBe(false);
    expect(sendsAsIs('é')).toBe(false);
    expect(sendsAsIs('')).toBe(false);
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
      for (const bad of [
        'garbage',
        '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
        'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        parent.toUpperCase(),
      ]) {
        const list = kafkaRequestHeaders([], coords([{ traceparent: bad }, { tracestate: 'vendor=abc' }]));
        expect(headerValue(list, 'traceparent')).toBeUndefined();
        expect(headerValue(list, 'tracestate')).toBeUndefined();
      }
      expect(continueTrace(undefined)).toBeUndefined();
    });

    const forward = [
      ['tenant', 'x-tenant-id'],
      ['blob', 'x-blob'],
      ['pad', 'x-pad'],
      ['empty', 'x-empty'],
    ] as const;

    it('forwards mapped record headers under their HTTP names, as is when safe and as marked base64 otherwise', () => {
      const blob = Buffer.from([0, 1, 2, 0xff, 0x0d, 0x0a]);
      const list = kafkaRequestHeaders(
        [],
        coords([{ tenant: Buffer.from('acme') }, { blob }, { pad: Buffer.from(' x ') }, { empty: Buffer.alloc(0) }, { unmapped: 'x' }]),
        forward,
      );
      expect(headerValue(list, 'x-tenant-id')).toBe('acme');
      expect(Buffer.from(headerValue(list, 'x-blob')!, 'base64')).toEqual(blob);
      expect(Buffer.from(headerValue(list, 'x-pad')!, 'base64').toString()).toBe(' x ');
      expect(headerValue(list, 'x-empty')).toBe('');
      expect(headerValue(list, 'x-kafka-base64-headers')).toBe('x-blob, x-pad, x-empty');
      expect(headerValue(list, 'x-kafka-omitted-headers')).toBeUndefined();
      expect(list).not.toContain('unmapped');
    });

    it('sends every occurrence of a repeated header in base64, so the joined list splits back exactly', () => {
      const list = kafkaRequestHeaders([], coords([{ tenant: 'a, b' }, { tenant: 'a' }, { tenant: 'a' }]), forward);
      const values = list.flatMap((v, i) => (i % 2 === 0 && v === 'x-tenant-id' ? [list[i + 1]] : []));
      expect(
        values
          .join(', ')
          .split(', ')
          .map((v) => Buffer.from(v, 'base64').toString()),
      ).toEqual(['a, b', 'a', 'a']);
      expect(headerValue(list, 'x-kafka-base64-headers')).toBe('x-tenant-id');
    });

    it('leaves out an over-long value and says so', () => {
      const list = kafkaRequestHeaders([], coords([{ blob: Buffer.alloc(MAX_FORWARDED_VALUE, 1) }, { tenant: 'x'.repeat(MAX_FORWARDED_VALUE) }]), forward);
      expect(headerValue(list, 'x-blob')).toBeUndefined();
      expect(headerValue(list, 'x-tenant-id')).toBe('x'.repeat(MAX_FORWARDED_VALUE));
      expect(headerValue(list, 'x-kafka-omitted-headers')).toBe('x-blob');
      expect(headerValue(list, 'x-kafka-base64-headers')).toBeUndefined();
    });

    it('adds no marker headers to a record without mapped headers', () => {
      const list = kafkaRequestHeaders([], coords([{ other: Buffer.from([0]) }]), forward);
      expect(list).toEqual(kafkaRequestHeaders([], coords([]), forward));
    });

    it('drops a tracestate an HTTP hop would alter', () => {
      const list = kafkaRequestHeaders([], coords([{ traceparent: parent }, { tracestate: 'a=1\r\nx: y' }]));
      expect(headerValue(list, 'traceparent')).toBeDefined();
      expect(headerValue(list, 'tracestate')).toBeUndefined();
    });
  });
});

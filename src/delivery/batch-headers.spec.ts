import { batchBody, batchRequestHeaders, recordRuns } from './batch-headers';
import { headerValue } from './kafka-headers';

const r = (partition: number, offset: number) => ({ topic: 't', partition, offset });

describe('batch headers', () => {
  it('lists records in array order, collapsing consecutive offsets of a partition', () => {
    expect(recordRuns([r(0, 10), r(0, 11), r(0, 12), r(1, 7), r(0, 14), r(0, 15)])).toBe('0:10-12,1:7,0:14-15');
    expect(recordRuns([r(2, 5)])).toBe('2:5');
  });

  it('gives the same batch the same idempotency key and a different batch another', () => {
    const a = batchRequestHeaders(['content-type', 'application/json'], 'orders', [r(0, 1), r(0, 2)]);
    const again = batchRequestHeaders([], 'orders', [r(0, 1), r(0, 2)]);
    const other = batchRequestHeaders([], 'orders', [r(0, 1), r(0, 3)]);
    expect(headerValue(a, 'idempotency-key')).toBe(headerValue(again, 'idempotency-key'));
    expect(headerValue(a, 'idempotency-key')).not.toBe(headerValue(other, 'idempotency-key'));
    expect(headerValue(a, 'x-kafka-batch-size')).toBe('2');
    expect(headerValue(a, 'x-kafka-records')).toBe('0:1-2');
    expect(headerValue(a, 'content-type')).toBe('application/json');
  });

  it('joins JSON bodies into an array without re-encoding them', () => {
    expect(batchBody(['{"id":9007199254740993}', Buffer.from('{"n":2}')]).toString()).toBe('[{"id":9007199254740993},{"n":2}]');
    expect(batchBody(['{}']).toString()).toBe('[{}]');
  });
});

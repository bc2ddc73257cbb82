import { BoundedConcurrency } from '../../common/concurrency/bounded-concurrency';
import { ConsumerOffsetSource } from './consumer-offset-source';
import type { RdKafkaConsumer } from './rdkafka-consumer';

/** A consumer whose committed() answers only when the test says so. */
function fakeConsumer() {
  const asked: Array<{ partitions: number[]; answer: () => void }> = [];
  const consumer = {
    committed(tps: Array<{ topic: string; partition: number }>, _timeoutMs: number, cb: (err: unknown, answer: unknown) => void) {
      asked.push({
        partitions: tps.map((t) => t.partition),
        answer: () =>
          cb(
            null,
            tps.map((t) => ({ ...t, offset: 7 })),
          ),
      });
    },
  };
  return { consumer: consumer as unknown as RdKafkaConsumer, asked };
}

describe('ConsumerOffsetSource with a shared gate', () => {
  it('sends no more calls at once than the gate has slots, the rest in arrival order', async () => {
    const { consumer, asked } = fakeConsumer();
    const gate = new BoundedConcurrency(1, 100, 'lookups');
    const a = new ConsumerOffsetSource(consumer, 't', 5_000, gate);
    const b = new ConsumerOffsetSource(consumer, 't', 5_000, gate);
    const first = a.committed([0]);
    const second = b.committed([1]);
    await new Promise((r) => setImmediate(r));
    expect(asked.map((x) => x.partitions)).toEqual([[0]]);
    asked[0].answer();
    await expect(first).resolves.toEqual(new Map([[0, 7]]));
    await new Promise((r) => setImmediate(r));
    expect(asked.map((x) => x.partitions)).toEqual([[0], [1]]);
    asked[1].answer();
    await expect(second).resolves.toEqual(new Map([[1, 7]]));
  });

  it('a call still waiting for a slot when its consumer stops is never sent', async () => {
    const { consumer, asked } = fakeConsumer();
    const gate = new BoundedConcurrency(1, 100, 'lookups');
    const stopping = new AbortController();
    const busy = new ConsumerOffsetSource(consumer, 't', 5_000, gate).committed([0]);
    const waiting = new ConsumerOffsetSource(consumer, 't', 5_000, gate, stopping.signal).committed([1]);
    stopping.abort();
    asked[0].answer();
    await busy;
    await expect(waiting).rejects.toThrow('committed offsets: the consumer is stopping');
    expect(asked).toHaveLength(1);
    expect(gate.running).toBe(0);
  });
});

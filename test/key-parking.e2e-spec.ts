import { subscriptionBody, unique } from './support/fixtures';
import { useTestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

interface Row {
  id: number;
  partition: number;
  offset: number;
  key: string | null;
  reason: string;
  state: string;
}

/**
 * delivery.keyParking (issue 16, item 4): once a record of key K is dead-lettered, K's later
 * records are parked behind it (stored, not delivered) while other keys keep flowing, on the same
 * partition too; re-delivering K's dead letter delivers K's records in their original order and
 * releases the key, so its next record flows live. "Never apply event 2 of an order before event 1."
 */
describe('per-key order through failures (key parking)', () => {
  let fixed = false;
  const t = useTestWorld({
    responder: (req) => (!fixed && req.body.includes('"bad":true') ? { status: 400, body: { error: 'order 2 refused' } } : { status: 200 }),
  });

  it('parks a key behind its dead letter, keeps the other keys moving, and re-delivers the key in order', async () => {
    const topic = unique('parking');
    const path = '/parking';
    await t.kafka.createTopic(topic, 2);
    const record = (key: string, n: number, partition: number, bad = false) => ({
      key,
      partition,
      value: JSON.stringify({ key, n, ...(bad ? { bad: true } : {}) }),
    });
    await t.client.produce(topic, [
      record('A', 1, 0),
      record('C', 1, 0),
      record('A', 2, 0, true),
      record('C', 2, 0),
      record('A', 3, 0),
      record('C', 3, 0),
      record('A', 4, 0),
      record('B', 1, 1),
      record('B', 2, 1),
    ]);
    const sub = (
      await t.proxy.api(
        'POST',
        '/api/subscriptions',
        subscriptionBody({
          name: unique('parking'),
          brokers: t.kafka.bootstrap,
          topic,
          url: `${t.sink.url}${path}`,
          delivery: { ordering: 'key', maxInFlight: 4, keyParking: true },
        }),
      )
    ).body;
    expect(sub.delivery.keyParking).toBe(true);
    const delivered = () => t.sink.requests.filter((q) => q.path === path && q.status === 200).map((q) => JSON.parse(q.body) as { key: string; n: number });
    const deadLetters = async () => (await t.proxy.api('GET', `/api/dead-letters?subscriptionId=${sub.id}&limit=100`)).body as Row[];
    await waitFor(async () => (await t.client.committed(sub.kafka.groupId, topic, 2)).join() === '7,2', 'both partitions committed to their ends');

    // Other keys flowed, on A's partition too; A stopped at its refused record.
    const live = delivered();
    expect(live.filter((r) => r.key === 'A').map((r) => r.n)).toEqual([1]);
    expect(live.filter((r) => r.key === 'C').map((r) => r.n)).toEqual([1, 2, 3]);
    expect(live.filter((r) => r.key === 'B').map((r) => r.n)).toEqual([1, 2]);
    const rows = (await deadLetters()).sort((a, b) => a.offset - b.offset);
    expect(rows.map((r) => [r.offset, r.key, r.reason])).toEqual([
      [2, 'A', 'rejected'],
      [4, 'A', 'parked'],
      [6, 'A', 'parked'],
    ]);

    // The endpoint is fixed; a record of A that arrives now is parked too.
    fixed = true;
    await t.client.produce(topic, [record('A', 5, 0), record('C', 4, 0)]);
    await waitFor(async () => (await deadLetters()).length === 4 && delivered().some((r) => r.key === 'C' && r.n === 4), 'A 5 parked and C 4 delivered');

    // Re-delivering A's dead letter sends A's records in their order, the parked ones included.
    const again = await t.proxy.api('POST', `/api/dead-letters/${rows[0].id}/redeliver`);
    expect(again.status).toBe(200);
    expect(again.body.state).toBe('redelivered');
    expect((await deadLetters()).map((r) => r.state)).toEqual(['redelivered', 'redelivered', 'redelivered', 'redelivered']);
    expect(
      delivered()
        .filter((r) => r.key === 'A')
        .map((r) => r.n),
    ).toEqual([1, 2, 3, 4, 5]);

    // Released: the key has no pending dead letter left, so its next record flows live at once.
    await t.client.produce(topic, [record('A', 6, 0)]);
    await waitFor(() => delivered().some((r) => r.key === 'A' && r.n === 6), 'A 6 delivered live');
    expect(
      delivered()
        .filter((r) => r.key === 'A')
        .map((r) => r.n),
    ).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await deadLetters()).length).toBe(4);
  });

  it('refuses key parking outside key order, naming the field', async () => {
    const res = await t.proxy.api(
      'POST',
      '/api/subscriptions',
      subscriptionBody({
        name: unique('parking-bad'),
        brokers: t.kafka.bootstrap,
        topic: unique('t'),
        url: `${t.sink.url}/x`,
        delivery: { ordering: 'partition', keyParking: true },
      }),
    );
    expect(res.status).toBe(400);
    expect(res.body.message).toEqual(['delivery.keyParking: needs ordering "key": records are parked behind an earlier record with the same key']);
  });
});

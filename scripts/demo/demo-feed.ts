import { KafkaJS } from '@confluentinc/kafka-javascript';

/** The demo's subscription and sample orders, shared by scripts/dev-up.sh and docker compose. */

export async function waitReady(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not become ready within ${timeoutMs / 1000} s`);
}

/** Creates `demo-orders`, or brings an existing one back to the demo's settings. */
export async function ensureDemoSubscription(o: {
  api: string;
  token: string;
  brokers: string;
  topic: string;
  endpoint: string;
}): Promise<{ id: number; name: string }> {
  const headers = { authorization: `Bearer ${o.token}`, 'content-type': 'application/json', 'x-kproxy-actor': 'demo' };
  const base = `${o.api}/api/subscriptions`;
  const listed = await fetch(base, { headers });
  if (!listed.ok) throw new Error(`listing subscriptions failed: ${listed.status} ${await listed.text()}`);
  const existing = ((await listed.json()) as Array<{ id: number; name: string }>).find((s) => s.name === 'demo-orders');
  const body = {
    name: 'demo-orders',
    // earliest: a "latest" group skipped the first order, produced before its partition was assigned (issue 14's start-position fault, seen on the real broker).
    kafka: { brokers: o.brokers, topic: o.topic, startFrom: 'earliest' },
    etl: { filter: [{ path: '$.type', op: 'eq', value: 'order' }], fields: { orderId: '$.id', customer: '$.user.name', total: '$.total' } },
    endpoint: { url: o.endpoint, errcodePath: '$.errcode', errcodeOk: [0] },
    delivery: { maxRetries: 5, ratePerSec: 0, ordering: 'partition', maxInFlight: 4 },
    status: 'running',
  };
  const res = existing
    ? await fetch(`${base}/${existing.id}`, { method: 'PATCH', headers, body: JSON.stringify(body) })
    : await fetch(base, { method: 'POST', headers, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`creating the demo subscription failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: number; name: string };
}

/** One sample order a second (every fourth a refund, which the demo filter skips); resolves to a stop function. */
export async function startOrderFeed(brokers: string, topic: string, say: (msg: string) => void): Promise<() => Promise<void>> {
  const producer = new KafkaJS.Kafka({ kafkaJS: { brokers: brokers.split(','), logLevel: KafkaJS.logLevel.NOTHING } }).producer();
  await producer.connect();
  let n = 0;
  const feed = setInterval(() => {
    n += 1;
    const type = n % 4 === 0 ? 'refund' : 'order';
    const value = { type, id: n, user: { name: ['ann', 'bob', 'cy', 'dee'][n % 4], tier: 'gold' }, total: (n * 7.5) % 100, items: [{ sku: `sku-${n % 9}` }] };
    producer.send({ topic, messages: [{ key: `customer-${n % 10}`, value: JSON.stringify(value) }] }).catch((err) => say(`produce failed: ${err.message}`));
  }, 1000);
  return async () => {
    clearInterval(feed);
    await producer.disconnect();
  };
}

/*
 * docker compose's demo feeder: waits for a kproxy instance, creates the demo subscription
 * (the same one scripts/dev-up.sh creates) pointing at the demo-api service, and produces a
 * sample order a second. Settings come from the compose file's environment.
 */
import { ensureDemoSubscription, startOrderFeed, waitReady } from './demo-feed';

const env = process.env;
const say = (msg: string) => process.stdout.write(`[demo] ${msg}\n`);

async function main(): Promise<void> {
  const api = env.KPROXY_URL ?? 'http://kproxy-a:8080';
  const brokers = env.KAFKA_BROKERS ?? 'kafka:9092';
  const topic = env.DEMO_TOPIC ?? 'demo.orders';
  await waitReady(`${api}/health/ready`, 180_000);
  const sub = await ensureDemoSubscription({
    api,
    token: env.ADMIN_TOKEN ?? '',
    brokers,
    topic,
    endpoint: env.DEMO_ENDPOINT ?? 'http://demo-api:18080/orders',
  });
  say(`subscription #${sub.id} "${sub.name}": ${topic} -> filter type=order -> POST ${env.DEMO_ENDPOINT ?? 'http://demo-api:18080/orders'}`);
  const stop = await startOrderFeed(brokers, topic, say);
  say('producing one sample order a second; watch the demo-api logs');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop().then(() => process.exit(0)));
}

main().catch((err: Error) => {
  say(`failed: ${err.message}`);
  process.exit(1);
});

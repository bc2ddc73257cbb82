import { KafkaJS } from '@confluentinc/kafka-javascript';

/**
 * Creates a topic (replication factor: the broker's default) unless it exists, and waits until
 * every partition has a leader in the metadata, so a produce or subscribe right after finds it.
 * `admin` is a connected KafkaJS-style admin client of the cluster.
 *
 * @throws Error when a partition still has no leader after 30 s
 */
export async function createTopic(admin: KafkaJS.Admin, name: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
  if (!(await admin.listTopics()).includes(name)) {
    await admin.createTopics({
      topics: [{ topic: name, numPartitions: partitions, configEntries: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
    });
  }
  const deadline = Date.now() + 30_000;
  for (;;) {
    const md = await admin.fetchTopicMetadata({ topics: [name] }).catch(() => []);
    const ps = md[0]?.partitions ?? [];
    if (ps.length >= partitions && ps.every((p) => p.leader >= 0)) return;
    if (Date.now() > deadline) throw new Error(`topic ${name} has no leader for every partition after 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A connected admin client for `brokers` (host:port,...); disconnect it when done. */
export async function connectAdmin(brokers: string): Promise<KafkaJS.Admin> {
  const admin = new KafkaJS.Kafka({ kafkaJS: { brokers: brokers.split(','), logLevel: KafkaJS.logLevel.NOTHING } }).admin();
  await admin.connect();
  return admin;
}

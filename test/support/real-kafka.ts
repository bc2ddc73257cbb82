import { join } from 'node:path';
import { KafkaJS } from '@confluentinc/kafka-javascript';
import { LocalKafkaCluster, type LocalKafkaOptions } from '../../scripts/kafka/kafka-cluster';
import { ROOT } from './test-env';

/**
 * A real Apache Kafka the suites run against: the shared one (KAFKA_BROKERS, which the test
 * command or the global set-up starts), or a private {@link LocalKafkaCluster} a suite starts
 * when it must stop, kill or freeze brokers. Suites create uniquely named topics and leave them.
 */
export class RealKafka {
  private constructor(
    readonly bootstrap: string,
    private readonly admin: KafkaJS.Admin,
    /** Present when this suite started the cluster and so may stop, kill or freeze its nodes. */
    readonly cluster: LocalKafkaCluster | null,
  ) {}

  static async connect(brokers: string, cluster: LocalKafkaCluster | null = null): Promise<RealKafka> {
    const kafka = new KafkaJS.Kafka({ kafkaJS: { brokers: brokers.split(','), logLevel: KafkaJS.logLevel.NOTHING } });
    const admin = kafka.admin();
    await admin.connect();
    return new RealKafka(brokers, admin, cluster);
  }

  /**
   * Starts a private cluster of `nodes` nodes in .run/test-kafka/<name> (its logs stay there for
   * reading after the run; the next start of the same name replaces them).
   */
  static async startPrivate(name: string, nodes: number, options: Partial<LocalKafkaOptions> = {}): Promise<RealKafka> {
    const cluster = await LocalKafkaCluster.start({ dir: join(ROOT, '.run', 'test-kafka', name), nodes, ...options });
    try {
      return await RealKafka.connect(cluster.bootstrap, cluster);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  /** This suite's own cluster; throws for the shared one, whose brokers a suite must not touch. */
  own(): LocalKafkaCluster {
    if (!this.cluster) throw new Error('this scenario stops or kills brokers and needs a private cluster (RealKafka.startPrivate)');
    return this.cluster;
  }

  /**
   * Creates a topic (replication factor: the broker's default) and waits until every partition
   * has a leader in the metadata, so a produce or subscribe right after finds it.
   */
  async createTopic(name: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
    await this.admin.createTopics({
      topics: [{ topic: name, numPartitions: partitions, configEntries: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const md = await this.admin.fetchTopicMetadata({ topics: [name] }).catch(() => []);
      const ps = md[0]?.partitions ?? [];
      if (ps.length === partitions && ps.every((p) => p.leader >= 0)) return;
      if (Date.now() > deadline) throw new Error(`topic ${name} has no leader for every partition after 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The leader's node id of each partition, by partition. */
  async leaders(topic: string): Promise<number[]> {
    const md = await this.admin.fetchTopicMetadata({ topics: [topic] });
    return md[0].partitions.sort((a, b) => a.partitionId - b.partitionId).map((p) => p.leader);
  }

  /** Deletes records below `offset` in each given partition (as kafka-delete-records does). */
  async deleteRecords(topic: string, offsets: Array<{ partition: number; offset: number }>): Promise<void> {
    await this.admin.deleteTopicRecords({ topic, partitions: offsets.map((o) => ({ partition: o.partition, offset: String(o.offset) })) });
  }

  async stop(): Promise<void> {
    await this.admin.disconnect();
    await this.cluster?.stop();
  }
}

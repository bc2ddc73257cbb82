import { join } from 'node:path';
import { AdminClient, type KafkaJS } from '@confluentinc/kafka-javascript';
import { LocalKafkaCluster, type LocalKafkaOptions } from '../../scripts/kafka/kafka-cluster';
import { connectAdmin, createTopic } from '../../scripts/kafka/kafka-topics';
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
    return new RealKafka(brokers, await connectAdmin(brokers), cluster);
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

  /** Creates a topic and waits until every partition has a leader (see {@link createTopic}). */
  createTopic(name: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
    return createTopic(this.admin, name, partitions, configs);
  }

  /** The leader's node id of each partition, by partition. */
  leaders(topic: string): Promise<number[]> {
    return this.freshAdmin(async (admin) => {
      const md = await admin.fetchTopicMetadata({ topics: [topic] });
      return md[0].partitions.sort((a, b) => a.partitionId - b.partitionId).map((p) => p.leader);
    });
  }

  /**
   * Runs `fn` with a new admin client. After a node is killed, a long-lived librdkafka admin
   * client kept timing out on every metadata request (seen for 2 min) while new clients
   * answered at once; scenarios that kill nodes ask through new ones.
   */
  private async freshAdmin<T>(fn: (admin: KafkaJS.Admin) => Promise<T>): Promise<T> {
    const admin = await connectAdmin(this.bootstrap);
    try {
      return await fn(admin);
    } finally {
      await admin.disconnect();
    }
  }

  /** Whether every partition of the topic has all its replicas in sync (a rolling restart waits for this). */
  fullyReplicated(topic: string): Promise<boolean> {
    return this.freshAdmin(async (admin) => {
      const md = await admin.fetchTopicMetadata({ topics: [topic] });
      return md[0].partitions.every((p) => p.leader >= 0 && p.isr.length === p.replicas.length);
    });
  }

  /** The node id of the group's coordinator (the leader of its __consumer_offsets partition). */
  coordinator(groupId: string): Promise<number> {
    return this.freshAdmin(async (admin) => {
      const { groups } = await admin.describeGroups([groupId]);
      const id = groups[0]?.coordinator?.id;
      if (typeof id !== 'number' || id < 0) throw new Error(`group ${groupId} has no coordinator yet`);
      return id;
    });
  }

  /** The client ids of the group's members as its coordinator lists them (kafka-consumer-groups --describe --members). */
  groupMembers(groupId: string): Promise<string[]> {
    return this.freshAdmin(async (admin) => {
      const { groups } = await admin.describeGroups([groupId]);
      return (groups[0]?.members ?? []).map((m) => m.clientId);
    });
  }

  /** Every consumer group the cluster knows (kafka-consumer-groups --list). */
  groupIds(): Promise<string[]> {
    return this.freshAdmin(async (admin) => (await admin.listGroups()).groups.map((g) => g.groupId));
  }

  /** Deletes records below `offset` in each given partition (as kafka-delete-records does). */
  async deleteRecords(topic: string, offsets: Array<{ partition: number; offset: number }>): Promise<void> {
    await this.admin.deleteTopicRecords({ topic, partitions: offsets.map((o) => ({ partition: o.partition, offset: String(o.offset) })) });
  }

  /** Raises the topic's partition count to `count` (as kafka-topics --alter --partitions does). */
  async addPartitions(topic: string, count: number): Promise<void> {
    // The KafkaJS-style admin has no createPartitions; the library's own AdminClient does.
    const admin = AdminClient.create({ 'bootstrap.servers': this.bootstrap, log_level: 0 } as never);
    try {
      await new Promise<void>((resolve, reject) => admin.createPartitions(topic, count, 10_000, (err) => (err ? reject(err) : resolve())));
    } finally {
      admin.disconnect();
    }
  }

  /** Deletes the topic and waits until the cluster no longer lists it, so it can be created again. */
  async deleteTopic(topic: string): Promise<void> {
    await this.admin.deleteTopics({ topics: [topic] });
    const deadline = Date.now() + 30_000;
    while ((await this.admin.listTopics()).includes(topic)) {
      if (Date.now() > deadline) throw new Error(`topic ${topic} still listed 30 s after its deletion`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Deletes an empty consumer group and its committed offsets (as offset retention expiry does). */
  async deleteGroup(groupId: string): Promise<void> {
    await this.admin.deleteGroups([groupId]);
  }

  async stop(): Promise<void> {
    await this.admin.disconnect();
    await this.cluster?.stop();
  }
}

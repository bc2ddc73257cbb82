import { KafkaJS } from '@confluentinc/kafka-javascript';

/**
 * A real Kafka cluster given by KAFKA_BROKERS, in place of the mock broker: the suites create
 * their uniquely named topics on it and leave them (a test cluster is expected to be disposable).
 */
export class ExternalKafka {
  private constructor(
    readonly bootstrap: string,
    private readonly admin: KafkaJS.Admin,
  ) {}

  static async connect(brokers: string): Promise<ExternalKafka> {
    const kafka = new KafkaJS.Kafka({ kafkaJS: { brokers: brokers.split(','), logLevel: KafkaJS.logLevel.NOTHING } });
    const admin = kafka.admin();
    await admin.connect();
    return new ExternalKafka(brokers, admin);
  }

  async createTopic(name: string, partitions: number): Promise<void> {
    await this.admin.createTopics({ topics: [{ topic: name, numPartitions: partitions, replicationFactor: 1 }] });
  }

  async stop(): Promise<void> {
    await this.admin.disconnect();
  }
}

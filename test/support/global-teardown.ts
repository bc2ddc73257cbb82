import { LocalKafkaCluster } from '../../scripts/kafka/kafka-cluster';
import { SHARED_KAFKA_DIR } from './test-env';

export default async function globalTeardown(): Promise<void> {
  // Each suite stops the processes it started; the database and the broker's logs are kept for post-mortem reading.
  if (process.env.KPROXY_TEST_STARTED_KAFKA === '1') {
    await LocalKafkaCluster.stopDir(SHARED_KAFKA_DIR);
    delete process.env.KAFKA_BROKERS;
    delete process.env.KPROXY_TEST_STARTED_KAFKA;
  }
}

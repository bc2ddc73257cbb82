import type { KafkaPropertyValue } from '../../model/kafka-properties';
import type { KafkaSecuritySpec } from '../../subscriptions/dto/kafka-security.schema';

/**
 * The librdkafka properties that say how to reach a subscription's cluster: brokers, SASL, TLS
 * and the allow-listed extras. Every client kproxy opens for the subscription (its consumer, the
 * status and reset clients) starts from these, so they all authenticate the same way.
 */
export function kafkaClientProperties(
  brokers: string,
  security: KafkaSecuritySpec | null,
  properties: Readonly<Record<string, KafkaPropertyValue>>,
): Record<string, KafkaPropertyValue> {
  const out: Record<string, KafkaPropertyValue> = { ...properties, 'metadata.broker.list': brokers };
  if (!security) return out;
  out['security.protocol'] = security.protocol;
  if (security.sasl) {
    out['sasl.mechanisms'] = security.sasl.mechanism;
    out['sasl.username'] = security.sasl.username;
    out['sasl.password'] = security.sasl.password;
  }
  const tls = security.tls;
  if (security.protocol.endsWith('ssl')) {
    out['ssl.endpoint.identification.algorithm'] = tls?.verifyHostname === false ? 'none' : 'https';
  }
  if (tls?.ca) out['ssl.ca.pem'] = tls.ca;
  if (tls?.cert) out['ssl.certificate.pem'] = tls.cert;
  if (tls?.key) out['ssl.key.pem'] = tls.key;
  if (tls?.keyPassword) out['ssl.key.password'] = tls.keyPassword;
  return out;
}

/**
 * librdkafka settings that decide what an idle subscription consumer costs, before the
 * subscription's own `kafka.properties` (which may set them). A process runs a client per
 * subscription it is placed on, so what one idle client does every second is paid hundreds of
 * times, by kproxy and by the broker.
 *
 * - `topic.metadata.refresh.interval.ms` 30000 (kproxy used 10000; librdkafka's default 300000):
 *   how soon partitions added to the topic are noticed and consumed.
 *
 * `fetch.wait.max.ms` stays librdkafka's 500: at 2000 an idle client fetched a quarter as often,
 * but every other request on the same broker connection (ListGroups, DescribeGroups, ListOffsets)
 * queued behind the held fetch, since a broker answers one request per connection at a time;
 * the outside-member look then timed out, and a DescribeGroups answer carrying that timeout made
 * the Kafka binding (1.10.1) fault on a NULL string and spin (BENCHMARKS.md, "Scale").
 */
export const IDLE_CONSUMER_PROPERTIES: Readonly<Record<string, KafkaPropertyValue>> = {
  'topic.metadata.refresh.interval.ms': 30_000,
};

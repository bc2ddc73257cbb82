import type { KafkaPropertyValue } from '../../subscriptions/dto/kafka-properties';
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
 * subscription's own `kafka.properties` (which may set either). A process runs a client per
 * subscription it is placed on, each with a main and per-broker threads, so what one idle client
 * does every second is paid hundreds of times, by kproxy and by the broker.
 *
 * - `fetch.wait.max.ms` 2000 (librdkafka's default 500): how long the broker holds a fetch that
 *   finds no records. An idle client sends 0.5 fetches a second instead of 2. Records that arrive
 *   are answered at once (`fetch.min.bytes` 1), so delivery latency does not change; only a
 *   partition resumed or assigned while a fetch for other, idle partitions of the same broker is
 *   held waits for it (librdkafka keeps one fetch in flight per broker connection).
 * - `topic.metadata.refresh.interval.ms` 30000 (kproxy used 10000; librdkafka's default 300000):
 *   how soon partitions added to the topic are noticed and consumed.
 *
 * Measured with 100 idle subscriptions on two instances (BENCHMARKS.md, "Scale").
 */
export const IDLE_CONSUMER_PROPERTIES: Readonly<Record<string, KafkaPropertyValue>> = {
  'fetch.wait.max.ms': 2_000,
  'topic.metadata.refresh.interval.ms': 30_000,
};

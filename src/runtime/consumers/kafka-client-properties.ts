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

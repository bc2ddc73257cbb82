import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalKafkaOptions } from '../../scripts/kafka/kafka-cluster';
import { ROOT } from './test-env';
import { TLS_FIXTURES as PKI } from './tls-fixtures';

/** SASL users of the secure test broker: one per mechanism. */
export const SASL_USERS = {
  PLAIN: { username: 'svc-plain', password: 'pw-plain' },
  'SCRAM-SHA-256': { username: 'svc-256', password: 'pw-256' },
  'SCRAM-SHA-512': { username: 'svc-512', password: 'pw-512' },
} as const;

/**
 * A real broker's security listeners for the security suite, beside its PLAINTEXT one:
 * - `SSL`: TLS with the test PKI's server certificate, demanding a client certificate signed by
 *   the test CA (`ssl.client.auth=required`);
 * - `SASL_PLAINTEXT`: PLAIN (users in the JAAS config) and SCRAM-SHA-256/512 (credentials stored
 *   in the KRaft metadata at format time).
 * Kafka reads PEM key and trust stores from files (KIP-651); they are written under .run/.
 */
export function secureKafkaOptions(): Partial<LocalKafkaOptions> {
  const dir = join(ROOT, '.run', 'test-kafka', 'security-pki');
  mkdirSync(dir, { recursive: true });
  const keystore = join(dir, 'server-keystore.pem');
  const truststore = join(dir, 'ca.pem');
  writeFileSync(keystore, PKI.serverKey + PKI.serverCert);
  writeFileSync(truststore, PKI.ca);
  const plain = SASL_USERS.PLAIN;
  return {
    listeners: { SSL: 'SSL', SASL_PLAINTEXT: 'SASL_PLAINTEXT' },
    scramUsers: (['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const).map((mechanism) => ({
      mechanism,
      name: SASL_USERS[mechanism].username,
      password: SASL_USERS[mechanism].password,
    })),
    properties: {
      'listener.name.ssl.ssl.keystore.type': 'PEM',
      'listener.name.ssl.ssl.keystore.location': keystore,
      'listener.name.ssl.ssl.truststore.type': 'PEM',
      'listener.name.ssl.ssl.truststore.location': truststore,
      'listener.name.ssl.ssl.client.auth': 'required',
      'listener.name.sasl_plaintext.sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required user_${plain.username}="${plain.password}";`,
      'listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    },
  };
}

import { kafkaClientProperties } from './kafka-client-properties';

describe('kafkaClientProperties', () => {
  it('is the broker list and the extras for a plain cluster', () => {
    expect(kafkaClientProperties('a:9092,b:9092', null, { 'fetch.min.bytes': 10 })).toEqual({ 'metadata.broker.list': 'a:9092,b:9092', 'fetch.min.bytes': 10 });
  });

  it('maps SASL and TLS to librdkafka names, verifying host names unless told not to', () => {
    const props = kafkaClientProperties(
      'k:9093',
      {
        protocol: 'sasl_ssl',
        sasl: { mechanism: 'SCRAM-SHA-256', username: 'u', password: 'p' },
        tls: { ca: 'CA', cert: 'CERT', key: 'KEY', keyPassword: 'KP', verifyHostname: false },
      },
      {},
    );
    expect(props).toEqual({
      'metadata.broker.list': 'k:9093',
      'security.protocol': 'sasl_ssl',
      'sasl.mechanisms': 'SCRAM-SHA-256',
      'sasl.username': 'u',
      'sasl.password': 'p',
      'ssl.endpoint.identification.algorithm': 'none',
      'ssl.ca.pem': 'CA',
      'ssl.certificate.pem': 'CERT',
      'ssl.key.pem': 'KEY',
      'ssl.key.password': 'KP',
    });
    expect(kafkaClientProperties('k:9093', { protocol: 'ssl', sasl: null, tls: null }, {})['ssl.endpoint.identification.algorithm']).toBe('https');
  });
});

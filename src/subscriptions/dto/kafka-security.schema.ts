import { createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import { z } from 'zod';

export const SECURITY_PROTOCOLS = ['plaintext', 'ssl', 'sasl_plaintext', 'sasl_ssl'] as const;
export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

const pem = (what: string) =>
  z
    .string({ error: `must be ${what} in PEM text` })
    .max(65_536, 'must be at most 64 KiB of PEM text')
    .nullish()
    .transform((v) => v ?? null);

const saslSchema = z.strictObject({
  mechanism: z.enum(SASL_MECHANISMS, { error: `must be one of ${SASL_MECHANISMS.join(', ')}` }),
  username: z.string({ error: 'is required' }).min(1, 'is required').max(255),
  password: z.string({ error: 'is required' }).min(1, 'is required').max(1024),
});

const tlsSchema = z.strictObject({
  /** CA certificates that sign the brokers' certificates; the system's CAs when absent. */
  ca: pem('one or more CA certificates'),
  /** Client certificate and key, for brokers that require mutual TLS. */
  cert: pem('a certificate'),
  key: pem('a private key'),
  keyPassword: z
    .string()
    .max(1024)
    .nullish()
    .transform((v) => v ?? null),
  verifyHostname: z.boolean({ error: 'must be true or false' }).default(true),
});

export type TlsSpec = z.output<typeof tlsSchema>;

/** How kproxy reaches the cluster: SASL and/or TLS. Certificates and keys are checked here, so a bad one is a 400 and not a consumer that never connects. */
export const kafkaSecuritySchema = z
  .strictObject({
    protocol: z.enum(SECURITY_PROTOCOLS, { error: `must be one of ${SECURITY_PROTOCOLS.join(', ')}` }),
    sasl: saslSchema.nullish().transform((v) => v ?? null),
    tls: tlsSchema.nullish().transform((v) => v ?? null),
  })
  .superRefine((s, ctx) => {
    const usesSasl = s.protocol.startsWith('sasl_');
    const usesTls = s.protocol.endsWith('ssl');
    if (usesSasl && !s.sasl) ctx.addIssue({ code: 'custom', path: ['sasl'], message: `is required with protocol ${s.protocol}` });
    if (!usesSasl && s.sasl) ctx.addIssue({ code: 'custom', path: ['sasl'], message: `is only used with sasl_plaintext or sasl_ssl, not ${s.protocol}` });
    if (!usesTls && s.tls) ctx.addIssue({ code: 'custom', path: ['tls'], message: `is only used with ssl or sasl_ssl, not ${s.protocol}` });
    if (s.tls) for (const issue of tlsProblems(s.tls)) ctx.addIssue({ code: 'custom', path: ['tls', issue.field], message: issue.message });
  });

export type KafkaSecuritySpec = z.output<typeof kafkaSecuritySchema>;

function tlsProblems(tls: TlsSpec): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  if (tls.ca !== null) {
    const certs = tls.ca.match(PEM_CERT) ?? [];
    if (certs.length === 0) problems.push({ field: 'ca', message: 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)' });
    certs.forEach((text, i) => {
      if (!parseCert(text)) problems.push({ field: 'ca', message: `certificate ${i + 1} cannot be parsed` });
    });
  }
  if ((tls.cert === null) !== (tls.key === null)) {
    problems.push({ field: tls.cert === null ? 'cert' : 'key', message: 'cert and key go together: set both for mutual TLS, or neither' });
  }
  const cert = tls.cert !== null ? parseCert(tls.cert) : null;
  if (tls.cert !== null && !cert) problems.push({ field: 'cert', message: 'is not a PEM certificate' });
  let key: KeyObject | null = null;
  if (tls.key !== null) {
    try {
      key = createPrivateKey({ key: tls.key, format: 'pem', passphrase: tls.keyPassword ?? undefined });
    } catch (err) {
      const encrypted = /ENCRYPTED/.test(tls.key);
      const message = encrypted
        ? tls.keyPassword === null
          ? 'is encrypted: set keyPassword'
          : 'does not open with keyPassword'
        : `is not a PEM private key (${(err as Error).message})`;
      problems.push({ field: encrypted && tls.keyPassword !== null ? 'keyPassword' : 'key', message });
    }
  }
  if (cert && key && !cert.checkPrivateKey(key)) problems.push({ field: 'key', message: 'does not belong to cert' });
  return problems;
}

function parseCert(text: string): X509Certificate | null {
  try {
    return new X509Certificate(text);
  } catch {
    return null;
  }
}

/**
 * What a log line shows in place of a secret: the mask answers use (SubscriptionMapper's MASK),
 * so an operator sees one word for "hidden" in answers, audit entries and logs.
 */
export const LOG_CENSOR = '****';

/** Where a subscription body (API input shape, ticket and audit shape) keeps a secret: SubscriptionSecrets' list. */
export const SUBSCRIPTION_SECRETS = [
  'kafka.security.sasl.password',
  'kafka.security.tls.key',
  'kafka.security.tls.keyPassword',
  // Credentials and API keys travel in the URL's user info and query; the whole URL is hidden.
  'endpoint.url',
  // Every header not on PUBLIC_HEADERS is secret; names stay, values go.
  'endpoint.headers.*',
  // Chat webhooks carry their token in the path.
  'alerts.webhookUrl',
];

/**
 * Fields a subscription body is logged under. Not `subscription`: it holds the id on nearly every
 * data-path line, and a redaction path under a key costs a pass over that key's value on every
 * line that has it (docs/decisions/0015).
 */
const SUBSCRIPTION_HOLDERS = ['', 'spec.', 'input.', 'body.', 'before.', 'after.', 'compiled.spec.'];

/** librdkafka's names for the same secrets (kafka-client-properties.ts), and its other password settings. */
const CLIENT_SECRETS = [
  '["sasl.password"]',
  '["sasl.oauthbearer.client.secret"]',
  '["ssl.key.pem"]',
  '["ssl.key.password"]',
  '["ssl.keystore.password"]',
  '["ssl.truststore.password"]',
];
const CLIENT_HOLDERS = ['', 'client', 'kafka.client', 'compiled.kafka.client'];

/** A compiled delivery target (DeliveryTarget): its path keeps the URL's query, its headers the credentials. */
const TARGET_SECRETS = ['target.path', 'target.headers', 'compiled.target.path', 'compiled.target.headers'];

/** HTTP headers, of a request or a Kafka record: values may be credentials or payload; names stay. */
const HEADER_SECRETS = ['headers.*', 'req.headers.*', 'res.headers.*', 'request.headers.*', 'response.headers.*'];

/** AppConfig's secrets (src/config/app.config.ts), as the object and as the environment variables. */
const CONFIG_SECRETS = ['adminToken', 'requesters[*].token', 'database.url', 'secretKeys', 'alertWebhook.url'];
const ENV_SECRETS = ['ADMIN_TOKEN', 'REQUESTER_TOKEN', 'REQUESTER_TOKENS', 'DATABASE_URL', 'SECRETS_KEY', 'SECRETS_PREVIOUS_KEYS', 'ALERT_WEBHOOK_URL'];

/** Names that mean a credential wherever they stand at the top of a logged object. */
const CREDENTIAL_NAMES = ['password', 'keyPassword', 'token', 'secret', 'apiKey', 'authorization', 'cookie', 'databaseUrl'];

/**
 * Every path of a logged object that can carry a secret, in pino's `redact.paths` syntax
 * (https://getpino.io/#/docs/redaction: dot and bracket notation, `*` for one level). Paths are
 * exact: a secret logged under a key not listed here is written as is, so a new secret-bearing
 * field or holder is added here, and the redaction spec (json.logger.spec.ts) logs each path.
 */
export const LOG_REDACT_PATHS: readonly string[] = [
  ...SUBSCRIPTION_HOLDERS.flatMap((holder) => SUBSCRIPTION_SECRETS.map((path) => holder + path)),
  ...CLIENT_HOLDERS.flatMap((holder) => CLIENT_SECRETS.map((path) => holder + path)),
  ...TARGET_SECRETS,
  ...HEADER_SECRETS,
  ...CONFIG_SECRETS,
  ...CONFIG_SECRETS.map((path) => `config.${path}`),
  ...ENV_SECRETS,
  ...ENV_SECRETS.map((name) => `env.${name}`),
  ...CREDENTIAL_NAMES,
  ...CREDENTIAL_NAMES.map((name) => `config.${name}`),
];

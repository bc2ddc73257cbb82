import { AppConfig } from '../../config/app.config';
import { kafkaClientProperties } from '../../runtime/consumers/kafka-client-properties';
import { SubscriptionSecrets } from '../../subscriptions/subscription-secrets';
import { MASK } from '../../subscriptions/subscription.mapper';
import { JsonLogger } from './json.logger';
import { LOG_CENSOR, LOG_REDACT_PATHS } from './log-redaction';

function capture(level: 'debug' | 'info' | 'warn' | 'error' = 'debug') {
  const lines: string[] = [];
  const logger = new JsonLogger(level, (line) => lines.push(line));
  return { lines, logger, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** How often `"key":` stands in a raw line (a JSON parser would hide a repeat). */
const occurrences = (line: string, key: string) => line.split(`"${key}":`).length - 1;

/**
 * An object holding `value` at a pino redact path: "a.b", 'a["x.y"]', "a.*" (a key of our
 * choosing) and "a[*].b" (an array element).
 */
function objectAt(path: string, value: unknown): Record<string, unknown> {
  const parts: Array<{ key: string; array: boolean }> = [];
  for (const m of path.matchAll(/\[\s*"([^"]+)"\s*\]|\[\*\]|([^.[\]]+)/g)) {
    if (m[1] !== undefined) parts.push({ key: m[1], array: false });
    else if (m[0] === '[*]') parts.push({ key: '0', array: true });
    else parts.push({ key: m[2] === '*' ? 'X-Api-Key' : m[2], array: false });
  }
  let node: unknown = value;
  for (let i = parts.length - 1; i >= 0; i--) node = parts[i].array ? [node] : { [parts[i].key]: node };
  return node as Record<string, unknown>;
}

/** A subscription body with every secret field SubscriptionSecrets knows filled in. */
function subscriptionBody() {
  return {
    name: 'billing',
    kafka: {
      brokers: 'kafka-1:9092',
      topic: 'payments',
      security: {
        protocol: 'sasl_ssl',
        sasl: { mechanism: 'SCRAM-SHA-512', username: 'svc-billing', password: 'sasl-secret-1' },
        tls: { ca: null, cert: '-----BEGIN CERTIFICATE-----', key: '-----BEGIN PRIVATE KEY-----tls-key-2', keyPassword: 'tls-key-password-3' },
      },
    },
    endpoint: {
      url: 'https://user:url-password-4@api.example.com/pay?sig=url-sig-5',
      headers: { Authorization: 'Bearer header-token-6', 'x-functions-key': 'header-key-7', 'Content-Type': 'application/json' },
    },
    alerts: { webhookUrl: 'https://hooks.example.com/services/webhook-token-8' },
  };
}

/** The secret values SubscriptionSecrets finds in a body: the list the API masks and seals. */
function secretsOf(body: unknown): string[] {
  const found: string[] = [];
  SubscriptionSecrets.map(body, (_path, value) => {
    found.push(value);
    return value;
  });
  return found;
}

describe('JsonLogger', () => {
  it('writes one JSON object per call: level, ts (ISO 8601), the fields and msg, nothing else', () => {
    const { lines, parsed, logger } = capture('info');
    const before = Date.now();
    logger.warn('record dead-lettered', { subscription: 7, topic: 'payments', partition: 2, offset: 41 });
    expect(lines).toHaveLength(1);
    const [line] = parsed();
    expect(Object.keys(line).sort()).toEqual(['level', 'msg', 'offset', 'partition', 'subscription', 'topic', 'ts']);
    expect(line).toMatchObject({ level: 'warn', msg: 'record dead-lettered', subscription: 7, topic: 'payments', partition: 2, offset: 41 });
    expect(line.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(line.ts as string)).toBeGreaterThanOrEqual(before - 1);
    expect(lines[0]).not.toContain('\n');
  });

  it('writes only at or above its level; verbose is debug and fatal is error', () => {
    const { parsed, logger } = capture('warn');
    logger.debug('d');
    logger.verbose('v');
    logger.info('i');
    logger.log('l');
    logger.warn('w');
    logger.error('e');
    logger.fatal('f');
    expect(parsed().map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'w'],
      ['error', 'e'],
      ['error', 'f'],
    ]);
    expect([logger.isEnabled('info'), logger.isEnabled('warn'), logger.isEnabled('error')]).toEqual([false, true, true]);
    const debug = capture('debug');
    debug.logger.verbose('v');
    expect(debug.parsed()).toEqual([expect.objectContaining({ level: 'debug', msg: 'v' })]);
  });

  it("keeps Nest's shapes: framework contexts at debug, a context string, a stack string, an Error as the message", () => {
    const info = capture('info');
    info.logger.log('Nest application successfully started', 'NestApplication');
    info.logger.log('AppModule dependencies initialized', 'InstanceLoader');
    expect(info.parsed()).toEqual([expect.objectContaining({ level: 'info', msg: 'Nest application successfully started', context: 'NestApplication' })]);

    const { parsed, logger } = capture('debug');
    logger.log('Mapped {/api, GET} route', 'RouterExplorer');
    logger.error('boom', 'Error: boom\n    at handler (/app/x.js:1:1)', 'ExceptionsHandler');
    logger.error(new Error('thrown'), 'ExceptionsHandler');
    logger.info({ some: 'object' });
    const [routes, boom, thrown, object] = parsed();
    expect(routes).toMatchObject({ level: 'debug', context: 'RouterExplorer' });
    expect(boom).toMatchObject({ level: 'error', msg: 'boom', stack: 'Error: boom\n    at handler (/app/x.js:1:1)', context: 'ExceptionsHandler' });
    expect(thrown).toMatchObject({ level: 'error', msg: 'thrown', context: 'ExceptionsHandler' });
    expect(thrown.stack).toMatch(/^Error: thrown\n\s+at /);
    expect(object).toMatchObject({ level: 'info', msg: '{"some":"object"}' });
  });

  it('leaves a message with % signs as it is', () => {
    const { parsed, logger } = capture();
    logger.info('100% of %s done', { n: 1 });
    expect(parsed()[0].msg).toBe('100% of %s done');
  });

  it('writes an error among the fields as type, message, code, stack and cause, never its other properties', () => {
    const { lines, parsed, logger } = capture();
    const cause = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const err = Object.assign(new Error('Data too long for column', { cause }), {
      code: 'ER_DATA_TOO_LONG',
      parameters: ['personal-data-1'],
      query: 'INSERT … personal-data-2',
    });
    logger.error('dead-letter write failed', { subscription: 1, err });
    logger.warn('passed as an argument', err);
    const [inField, asArgument] = parsed();
    for (const line of [inField.err, asArgument.err]) {
      expect(line).toMatchObject({
        type: 'Error',
        message: 'Data too long for column',
        code: 'ER_DATA_TOO_LONG',
        cause: { message: 'connect ECONNREFUSED', code: 'ECONNREFUSED' },
      });
      expect((line as { stack: string }).stack).toContain('Data too long for column');
    }
    expect(lines.join('\n')).not.toContain('personal-data');
    expect(inField.subscription).toBe(1);
  });

  it('writes a cyclic or BigInt field without losing the line', () => {
    const { parsed, logger } = capture();
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    logger.info('odd values', { cyclic, big: 10n });
    expect(parsed()[0]).toMatchObject({ msg: 'odd values', cyclic: { a: 1, self: '[Circular]' } });
  });

  describe('child', () => {
    it('writes its bindings on every line, before the call fields, with the same level and output', () => {
      const { lines, parsed, logger } = capture('info');
      const sub = logger.child({ subscription: 7, topic: 'payments' });
      sub.warn('fetch failed', { partition: 3 });
      sub.debug('not written');
      expect(sub.isEnabled('debug')).toBe(false);
      expect(parsed()).toEqual([{ level: 'warn', ts: expect.any(String), subscription: 7, topic: 'payments', partition: 3, msg: 'fetch failed' }]);
      expect(lines[0].indexOf('"subscription"')).toBeLessThan(lines[0].indexOf('"partition"'));
    });

    it("writes each key once: a child's child merges its bindings, and a call repeating a binding's value drops the repeat", () => {
      const { lines, parsed, logger } = capture();
      const job = logger.child({ subscription: 7, topic: 'a' }).child({ topic: 'b', job: 'j1' });
      job.info('one', { subscription: 7, offset: 1 });
      job.info('two', { subscription: 8 });
      for (const key of ['subscription', 'topic', 'job', 'offset']) expect(occurrences(lines[0], key)).toBeLessThanOrEqual(1);
      expect(parsed()[0]).toMatchObject({ subscription: 7, topic: 'b', job: 'j1', offset: 1 });
      // A different value is written after the binding: parsers read the call's.
      expect(parsed()[1].subscription).toBe(8);
    });

    it('leaves the parent as it was', () => {
      const { parsed, logger } = capture();
      logger.child({ subscription: 7 });
      logger.info('plain');
      expect(parsed()[0]).not.toHaveProperty('subscription');
    });
  });

  describe('redaction', () => {
    it('uses the mask answers use', () => {
      expect(LOG_CENSOR).toBe(MASK);
    });

    it.each(LOG_REDACT_PATHS.map((path, i) => [path, `secret-value-${i}-x`]))('hides a secret at %s', (path, secret) => {
      const { lines, logger } = capture();
      logger.info('an object with a secret', { ...objectAt(path, secret), subscription: 3 });
      expect(lines).toHaveLength(1);
      expect(lines[0]).not.toContain(secret);
      expect(lines[0]).toContain(LOG_CENSOR);
      expect(JSON.parse(lines[0])).toMatchObject({ subscription: 3, msg: 'an object with a secret' });
    });

    it('hides every secret SubscriptionSecrets knows of, in a body logged on its own or under any holder, and leaves the rest', () => {
      const body = subscriptionBody();
      const secrets = secretsOf(body);
      expect(secrets).toHaveLength(7);
      const { lines, parsed, logger } = capture();
      logger.info('body', { ...body });
      for (const holder of ['spec', 'input', 'body', 'before', 'after']) logger.info('held', { [holder]: body });
      logger.info('compiled', { compiled: { spec: body } });
      expect(lines).toHaveLength(7);
      for (const line of lines) for (const secret of secrets) expect(line).not.toContain(secret.replace(/^Bearer /, ''));
      expect(parsed()[1]).toMatchObject({
        spec: { name: 'billing', kafka: { topic: 'payments', security: { sasl: { username: 'svc-billing', password: MASK } } } },
      });
      expect(parsed()[1].spec).toMatchObject({ endpoint: { headers: { Authorization: MASK, 'Content-Type': MASK } } });
      // The logged object itself is left as it was.
      expect(body.kafka.security.sasl.password).toBe('sasl-secret-1');
    });

    it("hides the Kafka client's secrets, under their librdkafka names", () => {
      const client = kafkaClientProperties('kafka-1:9092', subscriptionBody().kafka.security as never, {});
      const { lines, logger } = capture();
      logger.info('client', { client });
      logger.info('client', { kafka: { client } });
      logger.info('client', { ...client });
      for (const line of lines) {
        for (const secret of ['sasl-secret-1', 'tls-key-2', 'tls-key-password-3']) expect(line).not.toContain(secret);
        expect(line).toContain('svc-billing');
      }
    });

    it("hides the process's own secrets: tokens, the database password, the secrets key and the alert webhook", () => {
      const key = Buffer.alloc(32, 7);
      const config = AppConfig.fromEnv({
        DATABASE_URL: 'mysql://kproxy:db-password-9@127.0.0.1:3306/kproxy',
        SECRETS_KEY: key.toString('base64'),
        ADMIN_TOKEN: 'admin-token-0123456789',
        REQUESTER_TOKENS: 'payments=requester-token-0123456789',
        ALERT_WEBHOOK_URL: 'https://hooks.example.com/services/alert-token-10',
      });
      const { lines, logger } = capture();
      logger.info('config', { config });
      logger.info('spread', { ...config });
      logger.info('database', { database: config.database });
      for (const line of lines) {
        for (const secret of ['db-password-9', 'admin-token-0123456789', 'requester-token-0123456789', 'alert-token-10', key.toString('base64')]) {
          expect(line).not.toContain(secret);
        }
        expect(line).not.toMatch(/"data":\[7,7/);
      }
    });

    it('hides secrets in bindings too', () => {
      const { lines, logger } = capture();
      logger.child({ spec: subscriptionBody() }).info('bound');
      for (const secret of secretsOf(subscriptionBody())) expect(lines[0]).not.toContain(secret.replace(/^Bearer /, ''));
      expect(lines[0]).toContain('svc-billing');
    });
  });
});

import { AppConfig } from './app.config';
import { InvalidConfigError } from './invalid-config.error';

const KEY = 'q2k9cS3yq1mJxq0zv8w1bQ2m0f8H3Jm3lC3mV4X7Qm8=';
const base = { DATABASE_URL: 'mysql://u:p@127.0.0.1:3306/kproxy', SECRETS_KEY: KEY };

describe('AppConfig', () => {
  it('applies the documented defaults', () => {
    const c = AppConfig.fromEnv(base);
    expect(c.port).toBe(8080);
    expect(c.refreshIntervalMs).toBe(10_000);
    expect(c.adminToken).toBeUndefined();
    expect(c.instanceId.length).toBeGreaterThan(0);
    expect(c.database).toEqual({ url: base.DATABASE_URL, poolSize: 10 });
  });

  it('samples the metrics history every 15 s for an hour unless told otherwise, within bounds', () => {
    expect(AppConfig.fromEnv(base).metricsHistory).toEqual({ sampleIntervalMs: 15_000, retentionMs: 3_600_000 });
    expect(AppConfig.fromEnv({ ...base, METRICS_SAMPLE_INTERVAL_MS: '1000', METRICS_RETENTION_MS: '600000' }).metricsHistory).toEqual({
      sampleIntervalMs: 1_000,
      retentionMs: 600_000,
    });
    expect(() => AppConfig.fromEnv({ ...base, METRICS_SAMPLE_INTERVAL_MS: '500' })).toThrow('METRICS_SAMPLE_INTERVAL_MS: must be at least 1000');
    expect(() => AppConfig.fromEnv({ ...base, METRICS_RETENTION_MS: '90000000' })).toThrow('METRICS_RETENTION_MS: must be at most 86400000');
    expect(() => AppConfig.fromEnv({ ...base, METRICS_SAMPLE_INTERVAL_MS: '60000', METRICS_RETENTION_MS: '120000' })).toThrow(
      'METRICS_RETENTION_MS: must be at least 4 × METRICS_SAMPLE_INTERVAL_MS (240000)',
    );
  });

  it('treats empty strings as unset', () => {
    expect(AppConfig.fromEnv({ ...base, PORT: '', ADMIN_TOKEN: '' }).port).toBe(8080);
  });

  it('names every bad variable in one error', () => {
    let error: unknown;
    try {
      AppConfig.fromEnv({ DATABASE_URL: 'postgres://x/y', PORT: '99999', LOG_LEVEL: 'loud', ADMIN_TOKEN: 'short', COMMIT_INTERVAL_MS: '1.5' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidConfigError);
    const message = (error as Error).message;
    for (const name of [
      'DATABASE_URL',
      'PORT: must be at most 65535',
      'LOG_LEVEL',
      'ADMIN_TOKEN: must be at least 16',
      'COMMIT_INTERVAL_MS: must be a whole number',
    ]) {
      expect(message).toContain(name);
    }
  });

  it('listens on loopback without ADMIN_TOKEN, everywhere with it, and refuses an open API on another HOST unless ALLOW_OPEN_ADMIN=true', () => {
    const token = 'operator-token-0123456789';
    expect(AppConfig.fromEnv(base).host).toBe('127.0.0.1');
    expect(AppConfig.fromEnv({ ...base, ADMIN_TOKEN: token }).host).toBe('0.0.0.0');
    expect(AppConfig.fromEnv({ ...base, ALLOW_OPEN_ADMIN: 'true' }).host).toBe('0.0.0.0');
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1'])
      expect(AppConfig.fromEnv({ ...base, HOST: host }).host).toBe(host);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'kproxy.internal', 'localhost.evil.example']) {
      expect(() => AppConfig.fromEnv({ ...base, HOST: host })).toThrow(
        new RegExp(`HOST: "${host.replace(/\./g, '\\.')}" is not a loopback address and ADMIN_TOKEN is unset.*ALLOW_OPEN_ADMIN=true`),
      );
      expect(AppConfig.fromEnv({ ...base, HOST: host, ALLOW_OPEN_ADMIN: 'true' }).host).toBe(host);
      expect(AppConfig.fromEnv({ ...base, HOST: host, ADMIN_TOKEN: token }).host).toBe(host);
    }
    expect(() => AppConfig.fromEnv({ ...base, ALLOW_OPEN_ADMIN: 'yes' })).toThrow(/ALLOW_OPEN_ADMIN: must be true or false/);
  });

  it('requires DATABASE_URL', () => {
    expect(() => AppConfig.fromEnv({})).toThrow(/DATABASE_URL/);
  });

  it('takes a requester token only beside a different admin token', () => {
    const admin = 'operator-token-0123456789';
    const requester = 'requester-token-0123456789';
    expect(AppConfig.fromEnv({ ...base, ADMIN_TOKEN: admin, REQUESTER_TOKEN: requester }).requesters).toEqual([{ team: 'shared', token: requester }]);
    expect(() => AppConfig.fromEnv({ ...base, REQUESTER_TOKEN: requester })).toThrow(/REQUESTER_TOKEN: needs ADMIN_TOKEN/);
    expect(() => AppConfig.fromEnv({ ...base, ADMIN_TOKEN: admin, REQUESTER_TOKEN: admin })).toThrow(/REQUESTER_TOKEN: must differ/);
  });

  it('takes one requester token per team, each distinct, and names the bad entry', () => {
    const admin = 'operator-token-0123456789';
    const env = {
      ...base,
      ADMIN_TOKEN: admin,
      REQUESTER_TOKEN: 'shared-token-0123456789',
      REQUESTER_TOKENS: 'payments=pay-token-0123456789, search=se=arch-token-01234',
    };
    expect(AppConfig.fromEnv(env).requesters).toEqual([
      { team: 'shared', token: 'shared-token-0123456789' },
      { team: 'payments', token: 'pay-token-0123456789' },
      { team: 'search', token: 'se=arch-token-01234' },
    ]);
    expect(() => AppConfig.fromEnv({ ...base, REQUESTER_TOKENS: 'a=0123456789abcdef' })).toThrow(/REQUESTER_TOKENS: needs ADMIN_TOKEN/);
    expect(() => AppConfig.fromEnv({ ...env, REQUESTER_TOKENS: 'Payments=0123456789abcdef' })).toThrow(/REQUESTER_TOKENS: entry 1 must be team=token/);
    expect(() => AppConfig.fromEnv({ ...env, REQUESTER_TOKENS: 'a=short' })).toThrow(/entry 1 \(a\): the token must be at least 16/);
    expect(() => AppConfig.fromEnv({ ...env, REQUESTER_TOKENS: `a=${admin}` })).toThrow(/token of team "a" is used elsewhere/);
    expect(() => AppConfig.fromEnv({ ...env, REQUESTER_TOKENS: 'shared=0123456789abcdef' })).toThrow(/team "shared" appears twice/);
    expect(() => AppConfig.fromEnv({ ...env, REQUESTER_TOKENS: 'a=0123456789abcdef,b=0123456789abcdef' })).toThrow(/token of team "b" is used elsewhere/);
  });

  it('requires a 32-byte secrets key and names bad previous keys', () => {
    expect(() => AppConfig.fromEnv({ DATABASE_URL: base.DATABASE_URL })).toThrow(/SECRETS_KEY: is required/);
    expect(() => AppConfig.fromEnv({ ...base, SECRETS_KEY: 'c2hvcnQ=' })).toThrow(/SECRETS_KEY: must be 32 random bytes/);
    const hex = 'ab'.repeat(32);
    expect(() => AppConfig.fromEnv({ ...base, SECRETS_PREVIOUS_KEYS: `${hex},nope` })).toThrow(/SECRETS_PREVIOUS_KEYS: entry 2 must be/);
    const c = AppConfig.fromEnv({ ...base, SECRETS_KEY: hex, SECRETS_PREVIOUS_KEYS: KEY });
    expect(c.secretKeys.current).toEqual(Buffer.from(hex, 'hex'));
    expect(c.secretKeys.previous).toEqual([Buffer.from(KEY, 'base64')]);
  });
});

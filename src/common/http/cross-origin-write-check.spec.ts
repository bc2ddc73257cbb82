import type { IncomingMessage } from 'node:http';
import { AppConfig } from '../../config/app.config';
import { DomainException } from '../errors/domain.exception';
import { ClientAddress } from './client-address';
import { CrossOriginWriteCheck } from './cross-origin-write-check';

const check = (trusted?: string) =>
  new CrossOriginWriteCheck(
    new ClientAddress(
      AppConfig.fromEnv({
        DATABASE_URL: 'mysql://u:p@127.0.0.1/k',
        SECRETS_KEY: 'q2k9cS3yq1mJxq0zv8w1bQ2m0f8H3Jm3lC3mV4X7Qm8=',
        ...(trusted ? { TRUSTED_PROXIES: trusted } : {}),
      }),
    ),
  );

const req = (method: string, path: string, headers: Record<string, string>, peer = '127.0.0.1') =>
  ({ method, path, headers, socket: { remoteAddress: peer } }) as unknown as IncomingMessage & { path: string };

describe('CrossOriginWriteCheck', () => {
  const c = check();

  it('refuses a write to /api whose Origin is another host or port, or opaque', () => {
    for (const origin of ['http://evil.example', 'http://127.0.0.1:9999', 'https://127.0.0.1', 'null', 'http://127.0.0.1.evil.example:8080', 'not a url']) {
      expect([origin, c.problem(req('POST', '/api/subscriptions', { host: '127.0.0.1:8080', origin }))]).toEqual([
        origin,
        expect.stringMatching(/^cross-origin POST refused: Origin .* is not this server \(127\.0\.0\.1:8080\)/),
      ]);
    }
    for (const method of ['PUT', 'PATCH', 'DELETE', 'post']) {
      expect(c.problem(req(method, '/api/subscriptions/1', { host: 'kproxy:8080', origin: 'http://evil.example' }))).not.toBeNull();
    }
    expect(c.problem(req('POST', '/API/subscriptions', { host: 'kproxy:8080', origin: 'http://evil.example' }))).not.toBeNull();
    expect(c.problem(req('POST', '/api', { host: 'kproxy:8080', origin: 'http://evil.example' }))).not.toBeNull();
  });

  it('lets same-origin writes, reads and header-less clients through', () => {
    expect(c.problem(req('POST', '/api/subscriptions', { host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080' }))).toBeNull();
    expect(c.problem(req('POST', '/api/subscriptions', { host: 'KProxy.Example:8080', origin: 'http://kproxy.example:8080' }))).toBeNull();
    // Default ports: an Origin never names them, a Host may.
    expect(c.problem(req('POST', '/api/subscriptions', { host: 'kproxy.example', origin: 'https://kproxy.example' }))).toBeNull();
    expect(c.problem(req('POST', '/api/subscriptions', { host: 'kproxy.example:443', origin: 'https://kproxy.example' }))).toBeNull();
    expect(c.problem(req('POST', '/api/subscriptions', { host: '[::1]:8080', origin: 'http://[::1]:8080' }))).toBeNull();
    // Host and port are compared, not the scheme: behind a TLS-terminating proxy the browser says https.
    expect(c.problem(req('POST', '/api/subscriptions', { host: '127.0.0.1:8080', origin: 'https://127.0.0.1:8080' }))).toBeNull();
    for (const method of ['GET', 'HEAD', 'OPTIONS'])
      expect(c.problem(req(method, '/api/subscriptions', { host: 'k:1', origin: 'http://evil.example' }))).toBeNull();
    expect(c.problem(req('POST', '/api/subscriptions', { host: '127.0.0.1:8080' }))).toBeNull();
    expect(c.problem(req('POST', '/console/app.js', { host: '127.0.0.1:8080', origin: 'http://evil.example' }))).toBeNull();
    expect(c.problem(req('POST', '/apiary', { host: '127.0.0.1:8080', origin: 'http://evil.example' }))).toBeNull();
  });

  it('refuses what Fetch Metadata marks as another site, whatever Origin says', () => {
    for (const site of ['cross-site', 'same-site', 'Cross-Site']) {
      expect(c.problem(req('POST', '/api/subscriptions', { host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080', 'sec-fetch-site': site }))).toMatch(
        /Sec-Fetch-Site/,
      );
    }
    for (const site of ['same-origin', 'none']) {
      expect(c.problem(req('POST', '/api/subscriptions', { host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080', 'sec-fetch-site': site }))).toBeNull();
    }
  });

  it('compares with X-Forwarded-Host only from a trusted proxy', () => {
    const behind = check('10.0.0.0/8');
    const viaProxy = { host: 'kproxy-a:8080', origin: 'https://admin.example.com', 'x-forwarded-host': 'admin.example.com' };
    expect(behind.problem(req('POST', '/api/subscriptions', viaProxy, '10.0.0.5'))).toBeNull();
    expect(behind.problem(req('POST', '/api/subscriptions', viaProxy, '203.0.113.9'))).toMatch(/is not this server \(kproxy-a:8080\)/);
  });

  it('hands a refusal to the error filter as a 403', () => {
    const passed: unknown[] = [];
    const mw = c.middleware();
    mw(req('DELETE', '/api/subscriptions/1', { host: 'k:1', origin: 'http://evil.example' }) as never, {} as never, (err?: unknown) => passed.push(err));
    mw(req('DELETE', '/api/subscriptions/1', { host: 'k:1', origin: 'http://k:1' }) as never, {} as never, (err?: unknown) => passed.push(err));
    expect(passed[0]).toBeInstanceOf(DomainException);
    expect((passed[0] as DomainException).code).toBe('CROSS_ORIGIN_WRITE');
    expect(passed[1]).toBeUndefined();
  });
});

import type { IncomingMessage } from 'node:http';
import { AppConfig } from '../../config/app.config';
import { ClientAddress } from './client-address';

const clients = (trusted?: string) =>
  new ClientAddress(
    AppConfig.fromEnv({
      DATABASE_URL: 'mysql://u:p@127.0.0.1/k',
      SECRETS_KEY: 'q2k9cS3yq1mJxq0zv8w1bQ2m0f8H3Jm3lC3mV4X7Qm8=',
      ...(trusted ? { TRUSTED_PROXIES: trusted } : {}),
    }),
  );

const req = (peer: string, headers: Record<string, string> = {}) => ({ socket: { remoteAddress: peer }, headers }) as unknown as IncomingMessage;

describe('ClientAddress', () => {
  it('takes the TCP peer and ignores forwarding headers when no proxy is trusted', () => {
    const c = clients();
    expect(c.of(req('203.0.113.9', { 'x-forwarded-for': '198.51.100.1' }))).toBe('203.0.113.9');
    expect(c.host(req('203.0.113.9', { host: 'KPROXY:8080', 'x-forwarded-host': 'evil.example' }))).toBe('kproxy:8080');
    expect(c.peerIsTrusted(req('127.0.0.1'))).toBe(false);
  });

  it('behind trusted proxies, takes the rightmost untrusted X-Forwarded-For entry', () => {
    const c = clients('10.0.0.0/8, 192.0.2.7, fd00::/8');
    // The client sent its own X-Forwarded-For (1.1.1.1); the ingress appended the real peer.
    expect(c.of(req('10.0.0.5', { 'x-forwarded-for': '1.1.1.1, 198.51.100.4' }))).toBe('198.51.100.4');
    // Two trusted hops: the edge proxy (192.0.2.7) and the ingress (10.0.0.5).
    expect(c.of(req('10.0.0.5', { 'x-forwarded-for': '198.51.100.4, 192.0.2.7' }))).toBe('198.51.100.4');
    // Every hop trusted: the leftmost is the best there is.
    expect(c.of(req('10.0.0.5', { 'x-forwarded-for': '10.1.1.1, 10.2.2.2' }))).toBe('10.1.1.1');
    // No header: the proxy itself.
    expect(c.of(req('10.0.0.5'))).toBe('10.0.0.5');
    // IPv4-mapped peers match IPv4 entries; IPv6 ranges work too.
    expect(c.of(req('::ffff:10.0.0.5', { 'x-forwarded-for': '198.51.100.4' }))).toBe('198.51.100.4');
    expect(c.of(req('fd00::1', { 'x-forwarded-for': '2001:db8::7' }))).toBe('2001:db8::7');
    // An untrusted peer cannot choose its address.
    expect(c.of(req('203.0.113.9', { 'x-forwarded-for': '10.0.0.1, 198.51.100.4' }))).toBe('203.0.113.9');
  });

  it('takes the host from the rightmost X-Forwarded-Host only when the peer is trusted', () => {
    const c = clients('10.0.0.0/8');
    expect(c.host(req('10.0.0.5', { host: 'kproxy:8080', 'x-forwarded-host': 'evil.example, Admin.Example.com' }))).toBe('admin.example.com');
    expect(c.host(req('10.0.0.5', { host: 'kproxy:8080' }))).toBe('kproxy:8080');
    expect(c.host(req('203.0.113.9', { host: 'kproxy:8080', 'x-forwarded-host': 'admin.example.com' }))).toBe('kproxy:8080');
    expect(c.host(req('203.0.113.9'))).toBeUndefined();
  });

  it('refuses a malformed TRUSTED_PROXIES entry at boot, naming it', () => {
    expect(() => clients('10.0.0.0/8, 10.0.0.0/33')).toThrow(/TRUSTED_PROXIES: "10\.0\.0\.0\/33" is not an IP address or CIDR range/);
    expect(() => clients('ingress.internal')).toThrow(/TRUSTED_PROXIES: "ingress\.internal"/);
    expect(() => clients('loopback')).toThrow(/TRUSTED_PROXIES/);
  });
});

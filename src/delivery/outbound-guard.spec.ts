import { AppConfig } from '../config/app.config';
import { OutboundGuard } from './outbound-guard';

const guard = (allowed?: string) =>
  new OutboundGuard(
    AppConfig.fromEnv({
      DATABASE_URL: 'mysql://u:p@127.0.0.1/k',
      SECRETS_KEY: 'q2k9cS3yq1mJxq0zv8w1bQ2m0f8H3Jm3lC3mV4X7Qm8=',
      ...(allowed ? { ENDPOINT_ALLOWED_HOSTS: allowed } : {}),
    }),
  );

describe('OutboundGuard', () => {
  it('refuses link-local and cloud metadata addresses and allows loopback, private and public hosts', () => {
    const g = guard();
    for (const url of [
      'http://169.254.169.254/latest/meta-data',
      'http://[fe80::1]/x',
      'http://100.100.100.200/',
      'http://[fd00:ec2::254]/',
      'http://0.0.0.0:8080/',
      'http://[::ffff:169.254.169.254]/',
    ]) {
      expect(g.problemWithUrl(url)).toMatch(/link-local or cloud metadata address/);
    }
    for (const url of ['http://127.0.0.1:18080/orders', 'https://10.1.2.3/x', 'http://[::1]:80/', 'https://billing.example.com/hook']) {
      expect(g.problemWithUrl(url)).toBeNull();
    }
  });

  it("refuses the other clouds' metadata and platform addresses, also inside IPv6 (mapped, NAT64, 6to4, IPv4-compatible)", () => {
    const g = guard();
    const refused = [
      '168.63.129.16', // Azure WireServer
      '100.100.100.200', // Alibaba
      '192.0.0.192', // Oracle
      '169.254.0.23', // Tencent
      'fd00:ec2::254', // AWS IPv6
      'fd20:ce::254', // GCP IPv6
      'fe80::a9fe:a9fe', // OpenStack IPv6
      '::ffff:168.63.129.16',
      '::ffff:a83f:8110',
      '64:ff9b::169.254.169.254',
      '64:ff9b::a9fe:a9fe',
      '64:ff9b::a83f:8110',
      '64:ff9b:1::6464:64c8',
      '2002:a9fe:a9fe::1',
      '::a9fe:a9fe',
      '::169.254.169.254',
    ];
    for (const address of refused) {
      expect([address, g.problemWithAddress(address)]).toEqual([address, expect.stringMatching(/link-local or cloud metadata address/)]);
      expect(g.problemWithUrl(`http://[${address}]/x`.replace(/^http:\/\/\[(\d+\.\d+\.\d+\.\d+)\]/, 'http://$1'))).toMatch(
        /link-local or cloud metadata address/,
      );
    }
    expect(g.problemWithAddress('64:ff9b::a9fe:a9fe')).toMatch(/^64:ff9b::a9fe:a9fe \(169\.254\.169\.254\) is a link-local/);
    // Neighbours and ordinary addresses in the same forms stay allowed.
    for (const address of [
      '168.63.129.17',
      '100.100.100.201',
      '192.0.0.193',
      'fd00:ec2::253',
      '::1',
      '::',
      '::ffff:10.1.2.3',
      '64:ff9b::a01:203',
      '2002:a01:203::1',
      '2001:db8::1',
      '8.8.8.8',
    ]) {
      expect([address, g.problemWithAddress(address)]).toEqual([address, null]);
    }
  });

  it('with an allow-list, takes only the listed names, suffixes and ranges, which may also open a refused range', () => {
    const g = guard('billing.internal, *.shop.example, 10.0.0.0/8, 169.254.10.0/24');
    expect(g.problemWithUrl('http://billing.internal/x')).toBeNull();
    expect(g.problemWithUrl('http://orders.shop.example/x')).toBeNull();
    expect(g.problemWithUrl('http://10.9.8.7/x')).toBeNull();
    expect(g.problemWithUrl('http://169.254.10.5/x')).toBeNull();
    expect(g.problemWithUrl('http://evil.example/x')).toBe('host "evil.example" is not in ENDPOINT_ALLOWED_HOSTS');
    expect(g.problemWithUrl('http://192.168.1.1/x')).toBe('192.168.1.1 is not in ENDPOINT_ALLOWED_HOSTS');
    expect(g.problemWithUrl('http://169.254.169.254/x')).toMatch(/metadata/);
  });

  it('refuses a host name that resolves to a refused address at connection time', async () => {
    const g = guard();
    const resolve = (name: string) =>
      new Promise<{ err: NodeJS.ErrnoException | null; address: unknown }>((done) => g.lookup(name, {}, (err, address) => done({ err, address })));
    const loopback = await resolve('localhost');
    expect(loopback.err).toBeNull();
    expect(typeof loopback.address).toBe('string');
    const metadata = await resolve('169.254.169.254');
    expect(metadata.err?.message).toMatch(/169\.254\.169\.254 resolves to 169\.254\.169\.254 is a link-local/);
  });

  it('names a bad allow-list entry at boot', () => {
    expect(() => guard('ok.example, 10.0.0.0/33, bad host')).toThrow(/"10\.0\.0\.0\/33" is not a host name.*\n?.*|"bad host"/);
  });
});

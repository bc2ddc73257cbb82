import type { IncomingMessage } from 'node:http';
import { AppConfig } from '../../config/app.config';
import { ClientAddress } from './client-address';
import { OpenAdminHostCheck } from './open-admin-host-check';

const check = (env: Record<string, string> = {}) => {
  const config = AppConfig.fromEnv({ DATABASE_URL: 'mysql://u:p@127.0.0.1/k', SECRETS_KEY: 'q2k9cS3yq1mJxq0zv8w1bQ2m0f8H3Jm3lC3mV4X7Qm8=', ...env });
  return new OpenAdminHostCheck(config, new ClientAddress(config));
};
const req = (path: string, host?: string, method = 'GET') =>
  ({ method, path, headers: host === undefined ? {} : { host }, socket: { remoteAddress: '127.0.0.1' } }) as unknown as IncomingMessage & { path: string };

describe('OpenAdminHostCheck', () => {
  it('without a token, answers /api only for loopback Host names (a DNS-rebinding page sends its own)', () => {
    const open = check();
    for (const host of ['127.0.0.1:8080', 'localhost:8080', '[::1]:8080', '127.0.0.1', 'LOCALHOST'])
      expect([host, open.problem(req('/api/subscriptions', host))]).toEqual([host, null]);
    for (const host of ['evil.example:8080', '10.0.0.5:8080', 'localhost.evil.example:8080', undefined]) {
      expect(open.problem(req('/api/subscriptions', host, 'POST'))).toMatch(
        /^the admin API is open \(no ADMIN_TOKEN\) and answers only requests addressed to this machine's loopback/,
      );
    }
    expect(open.problem(req('/API/x', 'evil.example'))).not.toBeNull();
    expect(open.problem(req('/', 'evil.example'))).toBeNull();
    expect(open.problem(req('/health/ready', 'evil.example'))).toBeNull();
  });

  it('checks nothing with a token or ALLOW_OPEN_ADMIN=true', () => {
    expect(check({ ADMIN_TOKEN: 'operator-token-0123456789' }).problem(req('/api/subscriptions', 'evil.example'))).toBeNull();
    expect(check({ ALLOW_OPEN_ADMIN: 'true' }).problem(req('/api/subscriptions', 'kproxy.internal:8080'))).toBeNull();
  });
});

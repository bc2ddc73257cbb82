import { randomBytes } from 'node:crypto';
import { SecretBox } from '../secrets/secret-box';
import { SubscriptionMapper } from './subscription.mapper';
import { isSecretHeader, isSecretUrl, SubscriptionSecrets } from './subscription-secrets';

const body = () => ({
  name: 'orders',
  kafka: {
    brokers: 'k:9092',
    topic: 't',
    security: {
      protocol: 'sasl_ssl',
      sasl: { mechanism: 'PLAIN', username: 'u', password: 'sasl-pw' },
      tls: { key: 'PEM-KEY', keyPassword: 'key-pw', ca: 'CA' },
    },
  },
  endpoint: {
    url: 'http://api/x',
    headers: {
      Authorization: 'Bearer abc',
      'Content-Type': 'application/visible',
      'x-functions-key': 'fn-key',
      'Ocp-Apim-Subscription-Key': 'apim-key',
      'X-Auth-Key': 'auth-key',
      Authentication: 'authn',
    },
  },
  alerts: { webhookUrl: 'https://hooks.example/T0/B1/tok' },
});

describe('SubscriptionSecrets', () => {
  const key = randomBytes(32);
  const secrets = new SubscriptionSecrets(new SecretBox(key));

  it('seals exactly the secret fields and opens them back', () => {
    const sealed = secrets.seal(body());
    const text = JSON.stringify(sealed);
    for (const secret of ['sasl-pw', 'PEM-KEY', 'key-pw', 'Bearer abc', 'hooks.example', 'fn-key', 'apim-key', 'auth-key', 'authn'])
      expect(text).not.toContain(secret);
    for (const visible of ['"u"', 'visible', '"CA"', 'http://api/x']) expect(text).toContain(visible);
    expect(secrets.open(sealed)).toEqual({ input: body(), errors: [] });
    expect(secrets.seal(sealed)).toEqual(sealed);
  });

  it('treats every header as secret unless it is on the short public list, and URLs with credentials as secret', () => {
    for (const name of ['x-functions-key', 'Ocp-Apim-Subscription-Key', 'X-Auth-Key', 'Authentication', 'X-Api-Token', 'X-Whatever'])
      expect(isSecretHeader(name)).toBe(true);
    for (const name of ['Content-Type', 'accept', 'User-Agent', 'X-Request-Id']) expect(isSecretHeader(name)).toBe(false);
    for (const url of ['https://u:p@api/x', 'https://u@api/x', 'https://api/x?code=abc', 'https://api/x?'])
      expect(isSecretUrl(url)).toBe(url !== 'https://api/x?');
    expect(isSecretUrl('https://api/path/only')).toBe(false);
    const withQuery = { ...body(), endpoint: { url: 'https://fn.example/api/hook?code=SAS-SECRET&x=1', headers: {} } };
    const sealed = secrets.seal(withQuery);
    expect(JSON.stringify(sealed)).not.toContain('SAS-SECRET');
    expect(secrets.open(sealed).input).toEqual(withQuery);
    expect(SubscriptionMapper.maskInput(withQuery).endpoint).toEqual({ url: 'https://fn.example/api/hook?code=****&x=****', headers: {} });
    expect(SubscriptionMapper.maskEndpointUrl('https://user:pw@api.example/p?k=v')).toBe('https://****:****@api.example/p?k=****');
    expect(SubscriptionMapper.maskEndpointUrl('https://api.example/p?SECRETTOKEN&a=1&b=')).toBe('https://api.example/p?****&a=****&b=****');
    expect(SubscriptionMapper.maskWebhookUrl('https://TOKEN@hooks.example/')).toBe('https://hooks.example/****');
  });

  it('keeps the stored ciphertext of a secret that did not change, and seals a changed one anew', () => {
    const stored = secrets.seal(body());
    const edited = body();
    edited.endpoint.headers.Authorization = 'Bearer new';
    const kept = secrets.sealKeeping(edited, stored);
    expect(kept.kafka.security).toEqual(stored.kafka.security);
    expect(kept.alerts).toEqual(stored.alerts);
    expect(kept.endpoint.headers.Authorization).not.toEqual(stored.endpoint.headers.Authorization);
    expect(secrets.open(kept)).toEqual({ input: edited, errors: [] });
    // A value stored plain (written with SQL) is sealed, not kept plain.
    const sealed = secrets.sealKeeping(body(), body());
    expect(JSON.stringify(sealed)).not.toContain('sasl-pw');
  });

  it('names each field no configured key opens, and reseals under a new key', () => {
    const sealed = secrets.seal(body());
    const other = new SubscriptionSecrets(new SecretBox(randomBytes(32)));
    const { errors } = other.open(sealed);
    expect(errors.map((e) => e.split(':')[0]).sort()).toEqual(
      [
        'alerts.webhookUrl',
        'endpoint.headers.Authorization',
        'endpoint.headers.x-functions-key',
        'endpoint.headers.Ocp-Apim-Subscription-Key',
        'endpoint.headers.X-Auth-Key',
        'endpoint.headers.Authentication',
        'kafka.security.sasl.password',
        'kafka.security.tls.key',
        'kafka.security.tls.keyPassword',
      ].sort(),
    );
    const rotated = new SubscriptionSecrets(new SecretBox(randomBytes(32), [key]));
    const resealed = rotated.reseal(sealed)!;
    expect(rotated.open(resealed)).toEqual({ input: body(), errors: [] });
    expect(rotated.reseal(resealed)).toBeNull();
    expect(() => other.reseal(sealed)).toThrow(/endpoint.headers.Authorization/);
  });

  it('masks every secret field and restores the stored value when the mask comes back', () => {
    const masked = SubscriptionMapper.maskInput(body());
    expect(JSON.stringify(masked)).not.toMatch(/sasl-pw|PEM-KEY|key-pw|Bearer abc|T0\/B1/);
    expect(SubscriptionMapper.unmaskSecrets(masked, body())).toEqual(body());
    const changed = {
      ...masked,
      kafka: { ...(masked.kafka as object), security: { protocol: 'sasl_ssl', sasl: { mechanism: 'PLAIN', username: 'u', password: 'new' } } },
    };
    expect(SubscriptionSecrets.at(SubscriptionMapper.unmaskSecrets(changed, body()), 'kafka.security.sasl.password')).toBe('new');
  });
});

import { DeliveryTarget } from './delivery-target';
import { endpointSpec } from './endpoint-spec.fixture';

const target = (errcodePath: string | null = null) => new DeliveryTarget(endpointSpec('http://127.0.0.1:1/x', { errcodePath }));

describe('DeliveryTarget.judge', () => {
  it('retries what may succeed next time and not what will not', () => {
    expect(target().judge({ status: 0, error: 'timed out' })).toMatchObject({ ok: false, retryable: true, problem: 'timed out' });
    expect(target().judge({ status: 503, body: 'busy' })).toMatchObject({ ok: false, retryable: true, excerpt: 'busy' });
    expect(target().judge({ status: 429 })).toMatchObject({ retryable: true });
    expect(target().judge({ status: 400, body: 'bad' })).toMatchObject({ ok: false, retryable: false, excerpt: 'bad' });
    expect(target('$.errcode').judge({ status: 200, body: '{"errcode":5}' })).toMatchObject({ ok: false, retryable: true });
    expect(target('$.errcode').judge({ status: 200, body: '{"errcode":0}' }).ok).toBe(true);
  });

  it('does not retry a response the success rule cannot be evaluated on, and never throws', () => {
    const scripted = target('$[?(@.code && @.code.startsWith("0"))].code');
    expect(scripted.judge({ status: 200, body: '[{"code":"0"}]' }).ok).toBe(false);
    const verdict = scripted.judge({ status: 200, body: '[{"code":5}]' });
    expect(verdict).toMatchObject({ ok: false, retryable: false, excerpt: '[{"code":5}]' });
    expect(verdict.problem).toMatch(/^the success rule failed on the response: /);
  });

  it('does not read an errcode from a response nested past 512 levels', () => {
    const deep = '{"a":'.repeat(20_000) + '0' + '}'.repeat(20_000);
    expect(target('$..errcode').judge({ status: 200, body: deep })).toMatchObject({
      ok: false,
      problem: 'response body nests deeper than 512 levels, so $..errcode is not read',
    });
  });

  it('never accepts or retries a 413, even where the success rule would accept its status', () => {
    const lenient = new DeliveryTarget(endpointSpec('http://127.0.0.1:1/x', { successStatus: [200, 413] }));
    expect(lenient.judge({ status: 413, body: 'too big' })).toEqual({
      ok: false,
      retryable: false,
      problem: 'HTTP status 413: the body is too large for the endpoint',
      excerpt: 'too big',
    });
  });

  it('tells a refusal that smaller batches may pass from one about the target or credentials', () => {
    expect([400, 409, 413, 422].map((s) => DeliveryTarget.mayBeRecordRefusal(s))).toEqual([true, true, true, true]);
    expect([401, 403, 404, 405, 407, 200, 302, 500, null].map((s) => DeliveryTarget.mayBeRecordRefusal(s))).toEqual(Array(9).fill(false));
  });

  it('keeps only a bounded excerpt of the response', () => {
    expect(target().judge({ status: 500, body: 'x'.repeat(10_000) }).excerpt).toHaveLength(2048);
  });
});

describe('DeliveryTarget headers', () => {
  it('lower-cases configured headers and never lets them shadow the per-record ones', () => {
    const t = new DeliveryTarget(
      endpointSpec('http://127.0.0.1:1/x', { headers: { Authorization: 'Bearer s', 'Idempotency-Key': 'fixed', 'X-Kafka-Offset': '9' } }),
    );
    expect(t.headers).toEqual(['content-type', 'application/json', 'authorization', 'Bearer s']);
  });
});

describe('DeliveryTarget headers', () => {
  const headersOf = (url: string, headers: Record<string, string> = {}) => {
    const flat = new DeliveryTarget(endpointSpec(url, { headers })).headers;
    const out: Record<string, string> = {};
    for (let i = 0; i < flat.length; i += 2) out[flat[i]] = flat[i + 1];
    return out;
  };

  it('sends user info in the URL as Basic credentials (RFC 7617), decoded, unless Authorization is configured', () => {
    expect(headersOf('http://svc:p%40ss%3Aw@127.0.0.1:1/x').authorization).toBe(`Basic ${Buffer.from('svc:p@ss:w').toString('base64')}`);
    expect(headersOf('http://svc@127.0.0.1:1/x').authorization).toBe(`Basic ${Buffer.from('svc:').toString('base64')}`);
    expect(headersOf('http://svc:pw@127.0.0.1:1/x', { Authorization: 'Bearer t' }).authorization).toBe('Bearer t');
    expect(headersOf('http://127.0.0.1:1/x').authorization).toBeUndefined();
    expect(new DeliveryTarget(endpointSpec('http://svc:pw@127.0.0.1:1/x?k=v')).path).toBe('/x?k=v');
  });
});

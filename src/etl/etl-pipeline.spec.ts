import { DeadLetterReason } from '../model/dead-letter-reason.enum';
import { ExactJson } from '../common/json/exact-json';
import type { EtlSpec } from '../model/etl-spec';
import { EtlPipeline } from './etl-pipeline';

const buf = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
const order = { type: 'order', id: 7, user: { name: 'ann', tier: 'gold' }, tags: ['a', 'b'], amount: 12.5 };

describe('EtlPipeline', () => {
  it('passes the original bytes through when there are no rules and no fields', () => {
    const raw = buf(order);
    const out = EtlPipeline.compile(undefined).apply(raw);
    expect(out).toEqual({ kind: 'deliver', body: raw });
    if (out.kind === 'deliver') expect(out.body).toBe(raw);
  });

  it('projects fields into a flat object', () => {
    const etl = EtlPipeline.compile({ fields: { orderId: '$.id', userName: '$.user.name', firstTag: '$.tags[0]' } });
    const out = etl.apply(buf(order));
    expect(out.kind).toBe('deliver');
    if (out.kind === 'deliver') expect(JSON.parse(String(out.body))).toEqual({ orderId: 7, userName: 'ann', firstTag: 'a' });
  });

  it.each([
    [{ path: '$.type', op: 'eq', value: 'order' }, true],
    [{ path: '$.type', op: 'eq', value: 'refund' }, false],
    [{ path: '$.user', op: 'eq', value: { name: 'ann', tier: 'gold' } }, true],
    [{ path: '$.type', op: 'neq', value: 'refund' }, true],
    [{ path: '$.missing', op: 'neq', value: 'x' }, true],
    [{ path: '$.user.tier', op: 'in', value: ['gold', 'silver'] }, true],
    [{ path: '$.user.tier', op: 'in', value: ['bronze'] }, false],
    [{ path: '$.user.name', op: 'exists' }, true],
    [{ path: '$.user.age', op: 'exists' }, false],
    [{ path: '$.user.age', op: 'exists', value: false }, true],
    [{ path: '$.user.name', op: 'regex', value: '^a' }, true],
    [{ path: '$.amount', op: 'regex', value: '^12\\.' }, true],
    [{ path: '$.user', op: 'regex', value: '.*' }, false],
    [{ path: '$.tags[*]', op: 'eq', value: 'b' }, true],
    [{ path: '$.tags[*]', op: 'neq', value: 'b' }, false],
  ] as const)('rule %j holds: %s', (rule, holds) => {
    const out = EtlPipeline.compile({ filter: [rule as never] }).apply(buf(order));
    expect(out.kind).toBe(holds ? 'deliver' : 'filtered');
  });

  it('requires every rule to hold', () => {
    const etl = EtlPipeline.compile({
      filter: [
        { path: '$.type', op: 'eq', value: 'order' },
        { path: '$.user.tier', op: 'eq', value: 'silver' },
      ],
    });
    expect(etl.apply(buf(order)).kind).toBe('filtered');
  });

  it('rejects a value that is not JSON', () => {
    const out = EtlPipeline.compile(undefined).apply(buf('not json {'));
    expect(out).toMatchObject({ kind: 'reject', reason: DeadLetterReason.NotJson });
  });

  it('rejects invalid UTF-8 instead of delivering replacement characters, even when passing bytes through', () => {
    const bad = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    for (const pipeline of [EtlPipeline.compile(null), EtlPipeline.compile({ filter: [], fields: { name: '$.name' } })]) {
      expect(pipeline.apply(bad)).toEqual({ kind: 'reject', reason: 'not_json', error: 'value is not valid UTF-8, so it cannot be JSON' });
    }
    expect(EtlPipeline.compile(null).apply(Buffer.from('{"name":"ünï ✓"}')).kind).toBe('deliver');
  });

  it('rejects a record whose field path matches nothing, naming the field', () => {
    const out = EtlPipeline.compile({ fields: { zip: '$.user.address.zip' } }).apply(buf(order));
    expect(out).toMatchObject({ kind: 'reject', reason: DeadLetterReason.PathNotMatched });
    if (out.kind === 'reject') expect(out.error).toContain('fields.zip');
  });

  it('keeps null as a value, not a missing field', () => {
    const out = EtlPipeline.compile({ fields: { n: '$.n' } }).apply(buf({ n: null }));
    expect(out).toEqual({ kind: 'deliver', body: '{"n":null}' });
  });
});

describe('EtlPipeline exact numbers', () => {
  const value = Buffer.from('{"id":9007199254740993,"amt":0.1000000000000000055511151231257827,"n":{"a":[1.50,1e400]},"k":7}');

  it('projects numbers with their original text', () => {
    const out = EtlPipeline.compile({ fields: { id: '$.id', amt: '$.amt' } }).apply(value);
    expect(out).toEqual({ kind: 'deliver', body: '{"id":9007199254740993,"amt":0.1000000000000000055511151231257827}' });
    const nested = EtlPipeline.compile({ fields: { n: '$.n', all: '$.n.a[*]', k: '$.k' } }).apply(value);
    expect(nested).toEqual({ kind: 'deliver', body: '{"n":{"a":[1.50,1e400]},"all":[1.50,1e400],"k":7}' });
  });

  it.each([
    [{ path: '$.id', op: 'eq', value: 9007199254740992 }, false],
    [{ path: '$.id', op: 'neq', value: 9007199254740992 }, true],
    [{ path: '$.id', op: 'in', value: [9007199254740992, 1] }, false],
    [{ path: '$.amt', op: 'eq', value: 0.1 }, false],
    [{ path: '$.k', op: 'eq', value: 7 }, true],
    [{ path: '$.n', op: 'eq', value: { a: [1.5, 1] } }, false],
    [{ path: '$.id', op: 'regex', value: '^9007199254740993$' }, true],
    [{ path: '$.amt', op: 'regex', value: '1257827$' }, true],
    [{ path: '$.n.a[*]', op: 'regex', value: '^1e400$' }, true],
  ] as const)('rule %j holds: %s', (rule, holds) => {
    expect(EtlPipeline.compile({ filter: [rule as never] }).apply(value).kind).toBe(holds ? 'deliver' : 'filtered');
  });

  it('matches rule values given with exact numbers (as the admin API and the database pass them)', () => {
    const spec = ExactJson.parse(
      '{"filter":[{"path":"$.id","op":"eq","value":9007199254740993},{"path":"$.amt","op":"in","value":[0.1000000000000000055511151231257827]},' +
        '{"path":"$.n","op":"eq","value":{"a":[1.5,10e399]}}]}',
    ) as EtlSpec;
    expect(EtlPipeline.compile(spec).apply(value).kind).toBe('deliver');
    const other = Buffer.from('{"id":9007199254740992,"amt":0.1,"n":{"a":[1.5,1e400]}}');
    expect(EtlPipeline.compile(spec).apply(other).kind).toBe('filtered');
  });

  it('passes bytes through untouched whatever their numbers', () => {
    const out = EtlPipeline.compile({ filter: [{ path: '$.k', op: 'eq', value: 7 }] }).apply(value);
    expect(out).toEqual({ kind: 'deliver', body: value });
  });

  describe('records that would make the ETL throw or recurse too deep', () => {
    const nested = (levels: number, leaf: string) => '{"a":'.repeat(levels) + leaf + '}'.repeat(levels);
    const deepArray = (levels: number) => '['.repeat(levels) + '1' + ']'.repeat(levels);

    it('dead-letters a filter script that throws on an unexpected type as etl_error', () => {
      const etl = EtlPipeline.compile({ filter: [{ path: '$.items[?(@.name && @.name.startsWith("vip"))]', op: 'exists' }] });
      expect(etl.apply(buf({ items: [{ name: 'vip-1' }] })).kind).toBe('deliver');
      const out = etl.apply(buf({ items: [{ name: 5 }] }));
      expect(out).toMatchObject({ kind: 'reject', reason: DeadLetterReason.EtlError });
      if (out.kind === 'reject') expect(out.error).toMatch(/^ETL failed on the value: \w*Error: /);
    });

    it('dead-letters a value nested past 512 levels as too_deep before anything walks it', () => {
      const descend = EtlPipeline.compile({ filter: [{ path: '$..a', op: 'exists' }] });
      expect(descend.apply(buf(nested(3000, '1')))).toMatchObject({ kind: 'reject', reason: DeadLetterReason.TooDeep });
      const project = EtlPipeline.compile({ fields: { payload: '$.payload' } });
      expect(project.apply(buf(`{"payload":${deepArray(4200)}}`))).toMatchObject({
        kind: 'reject',
        reason: DeadLetterReason.TooDeep,
        error: 'value nests deeper than 512 levels of arrays and objects',
      });
      expect(EtlPipeline.compile({ filter: [{ path: '$.x', op: 'exists', value: false }] }).apply(buf(deepArray(600)))).toMatchObject({
        kind: 'reject',
        reason: DeadLetterReason.TooDeep,
      });
      // Nothing walks a value passed through untouched.
      const untouched = buf(deepArray(20_000));
      expect(EtlPipeline.compile(undefined).apply(untouched)).toEqual({ kind: 'deliver', body: untouched });
    });

    it('walks values at the cap with recursive descent, projection and exact numbers', () => {
      const atCap = nested(511, '{"n":12345678901234567890}');
      expect(EtlPipeline.compile({ filter: [{ path: '$..n', op: 'exists' }] }).apply(buf(atCap)).kind).toBe('deliver');
      const out = EtlPipeline.compile({ fields: { a: '$.a' } }).apply(buf(atCap));
      expect(out.kind).toBe('deliver');
      if (out.kind === 'deliver') expect(String(out.body)).toBe(`{"a":${nested(510, '{"n":12345678901234567890}')}}`);
    });

    it('does not count brackets inside strings', () => {
      const text = JSON.stringify({ s: '['.repeat(5000) + '\\"{'.repeat(100) });
      expect(EtlPipeline.compile({ fields: { s: '$.s' } }).apply(buf(text)).kind).toBe('deliver');
    });
  });
});

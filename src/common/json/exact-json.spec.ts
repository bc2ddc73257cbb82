import { z } from 'zod';
import { settingNumber } from '../validation/setting-number';
import { ExactJson } from './exact-json';
import { JsonNumber } from './json-number';

describe('JsonNumber', () => {
  it.each(['0', '-1', '12.5', '0.1', '0.000001', '123456789012345', '9007199254740991', '1e+21', '1e-7', '-0.5'])(
    '%s is canonical: a double reproduces it',
    (t) => {
      expect(JsonNumber.isCanonical(t)).toBe(true);
      expect(String(Number(t))).toBe(t);
    },
  );

  it.each([
    '9007199254740993',
    '0.1000000000000000055511151231257827',
    '1.50',
    '-0',
    '-0.0',
    '1e2',
    '1E400',
    '0.0000001',
    '1e21',
    '100000000000000000000000',
    '2.0',
  ])('%s is not canonical', (t) => {
    expect(JsonNumber.isCanonical(t)).toBe(false);
    expect(String(Number(t))).not.toBe(t);
  });

  it('compares by exact decimal value', () => {
    const n = (t: string) => JsonNumber.of(t);
    expect(JsonNumber.equal(n('1.50'), 1.5)).toBe(true);
    expect(JsonNumber.equal(n('1e2'), 100)).toBe(true);
    expect(JsonNumber.equal(n('-0'), 0)).toBe(true);
    expect(JsonNumber.equal(n('0.00000010'), n('1e-7'))).toBe(true);
    expect(JsonNumber.equal(n('1e400'), n('10E399'))).toBe(true);
    expect(JsonNumber.equal(n('9007199254740993'), 9007199254740992)).toBe(false);
    expect(JsonNumber.equal(n('0.1000000000000000055511151231257827'), 0.1)).toBe(false);
    expect(JsonNumber.equal(n('-1e400'), n('1e400'))).toBe(false);
  });
});

describe('ExactJson', () => {
  const big = '{"id":9007199254740993,"amt":0.1000000000000000055511151231257827,"s":"9007199254740993 \\" 1.50","n":[1.50,-0,1e400,7]}';

  it('finds inexact numbers outside strings only', () => {
    expect(ExactJson.hasInexactNumber(big)).toBe(true);
    expect(ExactJson.hasInexactNumber('{"s":"9007199254740993 1.50 \\"1e5","a":[1,2.5,-3,0.001]}')).toBe(false);
    expect(ExactJson.hasInexactNumber('{"a":1.0}')).toBe(true);
  });

  it('parses inexact numbers as JsonNumber and writes them back verbatim', () => {
    const doc = ExactJson.parse(big) as Record<string, unknown>;
    expect(doc.id).toBeInstanceOf(JsonNumber);
    expect((doc.n as unknown[])[3]).toBe(7);
    expect(doc.s).toBe('9007199254740993 " 1.50');
    expect(ExactJson.stringify(doc)).toBe(big);
  });

  it('parses like JSON.parse when every number is canonical, and throws on invalid JSON', () => {
    const text = '{"a":[1,{"b":null,"c":true,"d":"\\u00e9"}],"__proto__":{"x":1}}';
    expect(ExactJson.parseValid(text)).toEqual(JSON.parse(text));
    expect(Object.getPrototypeOf(ExactJson.parseValid(text))).toBe(Object.prototype);
    expect(() => ExactJson.parse('{"a":1.}')).toThrow(SyntaxError);
  });

  it('stringifies like JSON.stringify for ordinary values', () => {
    const v = { a: [1, undefined, () => 1], b: undefined, d: new Date(0), s: 'x"y', n: null, nested: { k: [true] } };
    expect(ExactJson.stringify(v)).toBe(JSON.stringify(v));
  });

  it('compares deeply with exact numbers', () => {
    const a = ExactJson.parse('{"x":[9007199254740993,{"y":1.50}]}');
    expect(ExactJson.equal(a, ExactJson.parse('{"x":[9007199254740993,{"y":1.5}]}'))).toBe(true);
    expect(ExactJson.equal(a, { x: [9007199254740992, { y: 1.5 }] })).toBe(false);
    expect(ExactJson.equal({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(ExactJson.equal({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(ExactJson.equal([1], { 0: 1 })).toBe(false);
    expect(ExactJson.equal('1', 1)).toBe(false);
  });
});

describe('settingNumber', () => {
  const schema = z.object({ timeoutMs: settingNumber(z.number().int()) });

  it('takes numbers a double holds exactly and names the field for the others', () => {
    const parse = (text: string) => schema.safeParse(ExactJson.parse(`{"timeoutMs":${text}}`));
    expect(parse('5e3').data).toEqual({ timeoutMs: 5000 });
    expect(parse('2.0').data).toEqual({ timeoutMs: 2 });
    expect(parse('9007199254740993').error?.issues).toEqual([
      expect.objectContaining({
        path: ['timeoutMs'],
        message: '9007199254740993 cannot be held exactly (a double keeps 15-17 significant digits; the nearest is 9007199254740992)',
      }),
    ]);
    expect(parse('1e400').error?.issues[0].message).toMatch(/^1e400 is out of range/);
  });
});

describe('ExactJson.inspect', () => {
  const deep = (n: number, leaf: string) => '['.repeat(n) + leaf + ']'.repeat(n);
  it('reports inexact numbers and excess depth in one pass', () => {
    expect(ExactJson.inspect(deep(3, '1'), 3)).toBe(0);
    expect(ExactJson.inspect(deep(3, '1.50'), 3)).toBe(ExactJson.INEXACT);
    expect(ExactJson.inspect(deep(4, '1'), 3)).toBe(ExactJson.TOO_DEEP);
    expect(ExactJson.inspect(`[1.50,${deep(4, '1')}]`, 4)).toBe(ExactJson.INEXACT | ExactJson.TOO_DEEP);
    expect(ExactJson.inspect('["[[[[[[", 9007199254740993]', 2)).toBe(ExactJson.INEXACT);
  });
});

import { ExactJson } from '../common/json/exact-json';
import type { JsonNumber } from '../common/json/json-number';
import { SuccessRule } from './success-rule';

describe('SuccessRule', () => {
  it('accepts any 2xx when no success statuses are configured', () => {
    const rule = new SuccessRule({ successStatus: [], errcodePath: null, errcodeOk: [0] });
    expect(rule.evaluate(204, undefined).ok).toBe(true);
    expect(rule.evaluate(302, undefined)).toEqual({ ok: false, problem: 'HTTP status 302 is not a success status' });
    expect(rule.needsBody).toBe(false);
  });

  it('uses the configured statuses only', () => {
    const rule = new SuccessRule({ successStatus: [200], errcodePath: null, errcodeOk: [0] });
    expect(rule.evaluate(200, undefined).ok).toBe(true);
    expect(rule.evaluate(201, undefined).ok).toBe(false);
  });

  it('also needs the errcode to be ok when errcodePath is set', () => {
    const rule = new SuccessRule({ successStatus: [], errcodePath: '$.errcode', errcodeOk: [0] });
    expect(rule.needsBody).toBe(true);
    expect(rule.evaluate(200, '{"errcode":0}').ok).toBe(true);
    expect(rule.evaluate(200, '{"errcode":"0"}').ok).toBe(true);
    expect(rule.evaluate(200, '{"errcode":1001,"msg":"busy"}')).toEqual({
      ok: false,
      problem: 'errcode 1001 at $.errcode is not one of [0]',
    });
    expect(rule.evaluate(200, '{"other":1}').problem).toBe('response has no $.errcode');
    expect(rule.evaluate(200, 'ok').problem).toMatch(/not JSON/);
    expect(rule.evaluate(500, '{"errcode":0}').ok).toBe(false);
  });

  it('compares errcodes by value, not by nested shape', () => {
    const rule = new SuccessRule({ successStatus: [], errcodePath: '$.code', errcodeOk: ['OK', 0] });
    expect(rule.evaluate(200, '{"code":"OK"}').ok).toBe(true);
    expect(rule.evaluate(200, '{"code":["OK"]}').ok).toBe(false);
  });
});

describe('SuccessRule with an empty answer and exact errcodes', () => {
  const rule = new SuccessRule({ successStatus: [], errcodePath: '$.errcode', errcodeOk: [0] });

  it.each([
    [204, undefined],
    [204, ''],
    [200, ''],
    [200, ' \r\n'],
  ])('a success status %s with the empty body %p is a success: there is no errcode to read', (status, body) => {
    expect(rule.evaluate(status, body)).toEqual({ ok: true });
  });

  it('keeps the other answers as they were', () => {
    expect(rule.evaluate(500, '')).toEqual({ ok: false, problem: 'HTTP status 500 is not a success status' });
    expect(rule.evaluate(200, 'null').problem).toBe('response has no $.errcode');
    expect(rule.evaluate(200, '{}').problem).toBe('response has no $.errcode');
    expect(rule.evaluate(200, '<html>ok</html>').problem).toMatch(/not JSON/);
  });

  it('compares 64-bit and decimal errcodes exactly', () => {
    const big = new SuccessRule({
      successStatus: [],
      errcodePath: '$.code',
      errcodeOk: [ExactJson.parse('9007199254740993') as JsonNumber, '7', true as never],
    });
    expect(big.evaluate(200, '{"code":9007199254740993}').ok).toBe(true);
    expect(big.evaluate(200, '{"code":"9007199254740993"}').ok).toBe(true);
    expect(big.evaluate(200, '{"code":9007199254740992}')).toEqual({
      ok: false,
      problem: 'errcode 9007199254740992 at $.code is not one of [9007199254740993,"7",true]',
    });
    expect(big.evaluate(200, '{"code":7}').ok).toBe(true);
    expect(big.evaluate(200, '{"code":7.0}').ok).toBe(false);
    expect(rule.evaluate(200, '{"errcode":0.0}').ok).toBe(true);
    expect(rule.evaluate(200, '{"errcode":1e-400}').ok).toBe(false);
  });

  describe('per-item results of a batch', () => {
    it('lists the positions whose result is not in errcodeOk, from an array or a wildcard path', () => {
      const plain = new SuccessRule({ successStatus: [], errcodePath: null, errcodeOk: [0], itemResultsPath: '$.results' });
      expect(plain.needsBody).toBe(true);
      expect(plain.items('{"results":[0,"0",1003,0]}', 4)).toEqual({
        refused: [{ index: 2, problem: 'item result 1003 at $.results[2] is not one of [0]' }],
      });
      const wild = new SuccessRule({ successStatus: [], errcodePath: null, errcodeOk: [200, 201], itemResultsPath: '$.items[*].status' });
      expect(wild.items('{"items":[{"status":201},{"status":422},{"status":200}]}', 3)).toEqual({
        refused: [{ index: 1, problem: 'item result 422 at $.items[*].status[1] is not one of [200,201]' }],
      });
      expect(wild.items('{"items":[{"status":200}]}', 1)).toEqual({ refused: [] });
    });

    it('a response without one result per record is a problem, not a guess', () => {
      const rule = new SuccessRule({ successStatus: [], errcodePath: null, errcodeOk: [0], itemResultsPath: '$.results' });
      const retried = (problem: string) => ({ problem, retryable: true });
      expect(rule.items('{"results":[0,0]}', 3)).toEqual(retried('response lists 2 item results at $.results for 3 records'));
      expect(rule.items('{"results":0}', 1)).toEqual(retried('response has no array of item results at $.results'));
      expect(rule.items('', 1)).toEqual(retried('response has no array of item results at $.results'));
      expect(rule.items(undefined, 1)).toEqual(retried('response has no array of item results at $.results'));
      expect(rule.items('<html>', 1)).toEqual(retried('response body is not JSON, so the item results at $.results cannot be read'));
      expect(rule.items('['.repeat(600) + ']'.repeat(600), 1)).toMatchObject({ retryable: true, problem: expect.stringMatching(/nests deeper than/) });
    });
  });

  it('reads the errcode an answer carries, exactly, for showing (null without a rule or a readable code)', () => {
    const rule = new SuccessRule({ successStatus: [], errcodePath: '$.errcode', errcodeOk: [0] });
    expect(rule.errcode('{"errcode":9007199254740993}')).toBe('9007199254740993');
    expect(rule.errcode('{"errcode":"E1"}')).toBe('"E1"');
    expect([rule.errcode('{}'), rule.errcode('<html>'), rule.errcode(''), rule.errcode(undefined)]).toEqual([null, null, null, null]);
    expect(new SuccessRule({ successStatus: [], errcodePath: null, errcodeOk: [0] }).errcode('{"errcode":1}')).toBeNull();
  });
});

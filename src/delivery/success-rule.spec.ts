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

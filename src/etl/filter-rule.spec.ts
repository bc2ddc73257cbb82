import { ExactJson } from '../common/json/exact-json';
import { FilterRule } from './filter-rule';

describe('FilterRule regex', () => {
  it('^(\\w+\\s?)*$ over "a"×40 + "!" answers false in milliseconds', () => {
    const rule = FilterRule.compile({ path: '$.name', op: 'regex', value: '^(\\w+\\s?)*$' });
    const started = Date.now();
    expect(rule.matches({ name: 'a'.repeat(40) + '!' })).toBe(false);
    expect(Date.now() - started).toBeLessThan(100);
    expect(rule.matches({ name: 'vip customer' })).toBe(true);
  });

  it("still tests a number's original text", () => {
    const rule = FilterRule.compile({ path: '$.id', op: 'regex', value: '^9007199254740993$' });
    expect(rule.matches(ExactJson.parse('{"id":9007199254740993}'))).toBe(true);
    expect(rule.matches(ExactJson.parse('{"id":9007199254740992}'))).toBe(false);
  });

  it('says why a pattern needing backtracking is refused; compile throws the same', () => {
    const spec = { path: '$.a', op: 'regex' as const, value: '(a)\\1' };
    expect(FilterRule.problem(spec)).toMatch(/^value uses a backreference/);
    expect(() => FilterRule.compile(spec)).toThrow(/backreference/);
  });
});

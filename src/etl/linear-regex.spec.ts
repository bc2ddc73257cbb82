import { LinearRegex } from './linear-regex';

describe('LinearRegex', () => {
  it('answers a catastrophic-backtracking pattern in linear time', () => {
    const re = LinearRegex.compile('^(\\w+\\s?)*$');
    const started = Date.now();
    expect(re.test('a'.repeat(40) + '!')).toBe(false);
    expect(re.test('a'.repeat(100_000) + '!')).toBe(false);
    expect(Date.now() - started).toBeLessThan(500);
    expect(re.test('ab cd')).toBe(true);
  });

  it.each([
    ['^vip-', 'vip-42', true],
    ['\\d{3}-\\d{4}', 'call 555-1234', true],
    ['\\d{3}-\\d{4}', '55-1234', false],
    ['(?i)^ABC$', 'abc', true],
    ['\\u00e9', 'caf\u00e9', true],
    ['(?<word>x)y', 'xy', true],
    ['a/b', 'a/b', true],
  ])('%s on %p is %p (unanchored, JavaScript spellings translated)', (pattern, text, expected) => {
    expect(LinearRegex.compile(pattern).test(text)).toBe(expected);
  });

  it.each([
    ['(a)\\1', /backreference/],
    ['(?<n>a)\\k<n>', /named backreference/],
    ['a(?=b)', /lookahead/],
    ['a(?!b)', /negative lookahead/],
    ['(?<=a)b', /lookbehind/],
    ['(?<!a)b', /negative lookbehind/],
  ])('refuses %s, which needs backtracking, saying so', (pattern, message) => {
    expect(LinearRegex.problem(pattern)).toMatch(message);
    expect(LinearRegex.problem(pattern)).toMatch(/RE2 syntax, https:\/\/github\.com\/google\/re2\/wiki\/Syntax/);
  });

  it('does not mistake escaped or bracketed look-alikes for backtracking', () => {
    expect(LinearRegex.problem('\\(?=x')).toBeNull();
    expect(LinearRegex.problem('[(?=]x')).toBeNull();
    expect(LinearRegex.problem('\\\\1')).toBeNull();
  });

  it('refuses invalid, over-long and over-large patterns', () => {
    expect(LinearRegex.problem('(')).toMatch(/^is not a valid regular expression/);
    expect(LinearRegex.problem('a'.repeat(LinearRegex.MAX_PATTERN_LENGTH + 1))).toMatch(/at most 1024/);
    expect(LinearRegex.problem('(\\w+\\s?){200}')).toMatch(/RE2 instructions, more than the 1000 allowed/);
    expect(LinearRegex.problem('a{1001}')).toMatch(/invalid repeat count/);
  });
});

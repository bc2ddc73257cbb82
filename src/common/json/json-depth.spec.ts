import { JsonDepth } from './json-depth';

describe('JsonDepth.exceeds', () => {
  const pad = (text: string) => text + ' '.repeat(64);

  it.each([
    ['1', 0],
    ['[]', 1],
    ['{"a":[1,{"b":[]}]}', 4],
    ['[[],[[]],[]]', 3],
    ['{"s":"[[[[{{{{"}', 1],
    ['{"s":"\\\\","t":[[1]]}', 3],
    ['["\\"[[["]', 1],
  ])('measures %s as %i levels deep', (text, depth) => {
    expect(JsonDepth.exceeds(pad(text), depth)).toBe(false);
    if (depth > 0) expect(JsonDepth.exceeds(pad(text), depth - 1)).toBe(true);
  });

  it('needs no scan for text too short to reach the depth', () => {
    expect(JsonDepth.exceeds('[[[[', 2)).toBe(false);
    expect(JsonDepth.exceeds('[[[[]]]]', 3)).toBe(true);
  });
});

describe('JsonDepth.stringEnd', () => {
  it('finds the quote that closes a string after escaped quotes and backslashes', () => {
    const text = '"a\\"b\\\\" x';
    expect(JsonDepth.stringEnd(text, 0)).toBe(7);
    expect(JsonDepth.stringEnd('"open', 0)).toBe(-1);
  });
});

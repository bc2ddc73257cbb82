import { JsonPath, MISSING } from './json-path';

const doc = { a: { b: 1, n: null }, 'x y': ['z'], items: [{ id: 1, n: 1 }, { id: 2, n: 2 }] };

describe('JsonPath', () => {
  it.each([
    ['$.a.b', 1],
    ['$.a.n', null],
    ["$['x y'][0]", 'z'],
    ['$.items[1].id', 2],
    ['$', doc],
  ])('reads plain path %s directly', (path, expected) => {
    const jp = JsonPath.compile(path);
    expect(jp.plain).toBe(true);
    expect(jp.get(doc)).toEqual(expected);
  });

  it.each(['$.a.c', '$.items[5].id', '$.a.b.c', '$.items.id'])('answers MISSING for %s', (path) => {
    expect(JsonPath.compile(path).get(doc)).toBe(MISSING);
  });

  it('returns every match of a wildcard or filter path as an array', () => {
    expect(JsonPath.compile('$.items[*].id').get(doc)).toEqual([1, 2]);
    expect(JsonPath.compile('$..id').get(doc)).toEqual([1, 2]);
    expect(JsonPath.compile('$.items[?(@.n>1)].id').get(doc)).toEqual([2]);
    expect(JsonPath.compile('$.nothing[*]').get(doc)).toBe(MISSING);
  });

  it('does not read inherited properties', () => {
    expect(JsonPath.compile('$.constructor').get({})).toBe(MISSING);
    expect(JsonPath.compile('$.a.toString').get(doc)).toBe(MISSING);
  });

  it.each(['a.b', '', '$[', '$.a[', '$.', '$.items[?(@.n>>)]'])('rejects %p with a message', (path) => {
    expect(JsonPath.problem(path)).toMatch(/JSONPath/);
  });
});

describe('JsonPath plain paths beyond ASCII and escapes (RFC 9535)', () => {
  const data = {
    user: { 名前: '太郎', é: 1, _x9: 2, 'a-b': 3, '😀': 4, 'q"\'': 5, 'line\nbreak': 6, 'back\\slash': 7, 'sl/ash': 8 },
    items: [1, 2, 3],
  };

  it.each([
    ['$.user.名前', '太郎'],
    ["$['user']['名前']", '太郎'],
    ['$.user.é', 1],
    ["$['user']['\\u00e9']", 1],
    ['$.user._x9', 2],
    ['$.user.a-b', 3],
    ['$.user.😀', 4],
    ["$['user']['\\ud83d\\ude00']", 4],
    ["$.user['q\"\\'']", 5],
    ['$.user["q\\"\'"]', 5],
    ["$.user['line\\nbreak']", 6],
    ["$.user['back\\\\slash']", 7],
    ["$.user['sl\\/ash']", 8],
    ['$.items[-1]', 3],
    ['$.items[-3]', 1],
    ["$[ 'items' ][ 0 ]", 1],
    ['$.user .名前', '太郎'],
  ])('plain path %s yields the value itself', (path, expected) => {
    const jp = JsonPath.compile(path);
    expect(jp.plain).toBe(true);
    expect(jp.get(data)).toEqual(expected);
  });

  it.each(['$.items[-4]', '$.items[3]', '$.user.名'])('%s matches nothing', (path) => {
    expect(JsonPath.compile(path).get(data)).toBe(MISSING);
  });

  it.each([
    ["$['a\\x']", /not an escape/],
    ["$['\\ud83d']", /low surrogate/],
    ["$['\\ude00']", /lone low surrogate/],
    ["$['\\u00g1']", /four hex digits/],
    ["$['a\u0001']", /control character U\+0001/],
    ["$['it\\\"s']", /not an escape/],
  ])('rejects the malformed name literal %p', (path, message) => {
    expect(JsonPath.problem(path)).toMatch(message);
  });
});

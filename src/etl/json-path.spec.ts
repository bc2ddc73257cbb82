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

import { JsonPath, MISSING } from './json-path';

const doc = {
  a: { b: 1, n: null },
  'x y': ['z'],
  items: [
    { id: 1, n: 1 },
    { id: 2, n: 2 },
  ],
};

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

describe('JsonPath caps and cost', () => {
  const fill = (unit: string) => '$' + unit.repeat(Math.floor((JsonPath.MAX_LENGTH - 1) / unit.length));
  const elapsed = (fn: () => void): number => {
    const started = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - started) / 1e6;
  };

  it('refuses a path over the length cap before parsing it', () => {
    const huge = '$.' + 'a'.repeat(1_000_000);
    let problem: string | null = null;
    expect(elapsed(() => (problem = JsonPath.problem(huge)))).toBeLessThan(50);
    expect(problem).toBe('JSONPath is 1000002 characters long; at most 1024 are allowed');
    expect(JsonPath.problem('$.' + 'a'.repeat(JsonPath.MAX_LENGTH - 2))).toBeNull();
  });

  it('refuses a path deeper than the segment cap, plain or not', () => {
    expect(JsonPath.problem('$' + '[0]'.repeat(JsonPath.MAX_DEPTH))).toBeNull();
    expect(JsonPath.problem('$' + '[0]'.repeat(JsonPath.MAX_DEPTH + 1))).toMatch(/has 65 segments; a JSONPath may have at most 64$/);
    expect(JsonPath.problem('$' + '[*]'.repeat(JsonPath.MAX_DEPTH + 1))).toMatch(/has 65 segments; a JSONPath may have at most 64$/);
  });

  it('refuses what would cost more than linear time on a record', () => {
    expect(JsonPath.problem('$..a')).toBeNull();
    expect(JsonPath.problem('$..a..b')).toMatch(/at most 1 \(each one multiplies/);
    expect(JsonPath.problem('$.a[*]^')).toMatch(/parent selector "\^"/);
    expect(JsonPath.problem("$['a^b']")).toBeNull();
  });

  it.each([
    ['[0]', fill('[0]')],
    ['..a', fill('..a')],
    ['[?(@.a)]', fill('[?(@.a)]')],
    ['..*^', fill('..*^')],
    ['[', fill('[')],
    ['[?(', fill('[?(')],
    ["['", fill("['")],
    ['[-', fill('[-')],
    ['parens', '$[?(' + '('.repeat(JsonPath.MAX_LENGTH - 7) + ')]'],
  ])('validates a path at the length cap made of %s in well under 100 ms', (_unit, path) => {
    expect(path.length).toBeLessThanOrEqual(JsonPath.MAX_LENGTH);
    expect(elapsed(() => JsonPath.problem(path))).toBeLessThan(100);
  });

  it('leaves nothing in jsonpath-plus cache for 10,000 unique invalid paths', () => {
    const before = JsonPath.libraryCacheSize();
    for (let i = 0; i < 10_000; i++) {
      expect(JsonPath.problem(`$.items[?(@.n > ${i} &&)]`)).not.toBeNull();
      expect(JsonPath.problem(`$..x${i}[?(@.n ==== ${i})]`)).not.toBeNull();
    }
    expect(JsonPath.libraryCacheSize()).toBe(before);
  });

  it('bounds the shared cache that running paths fill', () => {
    for (let i = 0; i < JsonPath.MAX_LIBRARY_CACHE + 50; i++) {
      JsonPath.compile(`$.items[?(@.n > ${i})].id`).get({ items: [{ n: i + 1, id: i }] });
      expect(JsonPath.libraryCacheSize()).toBeLessThanOrEqual(JsonPath.MAX_LIBRARY_CACHE + 2);
    }
  });
});

describe('JsonPath filter scripts that would block the process', () => {
  const elapsed = (fn: () => void): number => {
    const started = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - started) / 1e6;
  };

  it.each([
    ['a regex literal', '$.items[?(@.name && /^(a+)+$/.test(@.name))]', /regular expression literal/],
    ['match()', '$.items[?(@.name && @.name.match("^(a+)+$"))]', /calls match\(\)/],
    ['matchAll()', '$.items[?(@.name && @.name.matchAll("(a+)+$"))]', /calls matchAll\(\)/],
    ['search()', '$.items[?(@.name && @.name.search("(a+)+$") > -1)]', /calls search\(\)/],
    ['repeat()', '$.items[?(@.name && @.name.repeat(100000000).includes("z"))]', /calls repeat\(\)/],
    ['padEnd()', '$.items[?(@.name && @.name.padEnd(500000000).includes("z"))]', /calls padEnd\(\)/],
    ['padStart() in a script expression', '$.items[(@.padStart(1000000000).length)]', /calls padStart\(\)/],
    ['replaceAll() that doubles the record at every match', '$.items[?(@.s && @.s.replaceAll("a", "$`").length > 1)]', /calls replaceAll\(\)/],
    ['split() and join() that square it', '$.items[?(@.s && @.s.split("").join(@.s).length > 1)]', /calls (split|join)\(\)/],
    ['concat()', '$.items[?(@.s && @.s.concat(@.s, @.s).length > 1)]', /calls concat\(\)/],
    ['a call of a bare name', '$.items[?(@.s && _$_v())]', /calls _\$_v\(\)/],
    ['a call of a call', '$.items[?(@.s && @.s.at(0)())]', /calls an expression\(\)/],
    ['a member named by a literal', '$.items[?(@.name && @.name["match"]("^(a+)+$"))]', /calls match\(\)/],
    ['a member named by an expression', '$.items[?(@.name && @.name["ma" + "tch"]("^(a+)+$"))]', /member name computed/],
    ['an assignment', '$.items[?(a = @.name; a = a + a; a = a + a; a.includes("z"))]', /assignment/],
    ['a nested filter', '$.a[?(@.b[?(@.c && @.c.match("(a+)+$"))])]', /calls match\(\)/],
  ])('refuses %s, naming it, without running it', (_what, path, message) => {
    let problem: string | null = null;
    expect(elapsed(() => (problem = JsonPath.problem(path)))).toBeLessThan(100);
    expect(problem).toMatch(message);
  });

  it('keeps accepting scripts that only read and compare', () => {
    expect(JsonPath.problem('$.items[?(@.name && @.name.startsWith("vip"))]')).toBeNull();
    expect(JsonPath.problem('$.items[?(@.n > 1 && @["odd key"] == "x" && @[0] !== 2)]')).toBeNull();
    expect(JsonPath.problem('$.items[?(@.tags && @.tags.includes("a") && @.name.toLowerCase() === "b")]')).toBeNull();
    expect(JsonPath.problem('$.items[?(@.s && @.s.trim().slice(0, 3).endsWith("x") && @.s.length > 2)]')).toBeNull();
    expect(JsonPath.problem('$.items[(@.length - 1)]')).toBeNull();
  });

  it('a refused method on a 30 KB value never runs: the path is refused before any record', () => {
    const path = '$.items[?(@.s && @.s.replaceAll("a", "$`").length > 1)]';
    expect(() => JsonPath.compile(path)).toThrow(/not one of the read-only methods/);
    const allowed = JsonPath.compile('$.items[?(@.s && @.s.includes("b"))].s');
    let matched: unknown;
    expect(elapsed(() => (matched = allowed.get({ items: [{ s: 'a'.repeat(30_000) + 'b' }] })))).toBeLessThan(100);
    expect((matched as string[]).map((s) => s.length)).toEqual([30_001]);
  });

  it('a catastrophic pattern in a script no longer reaches a record', () => {
    expect(() => JsonPath.compile('$.items[?(@.name && @.name.match("^(a+)+$"))]')).toThrow(/calls match\(\)/);
  });
});

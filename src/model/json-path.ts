import { JSONPath } from 'jsonpath-plus';

/** Returned by a getter when the path matches nothing; a symbol so that null stays a value. */
export const MISSING: unique symbol = Symbol('missing');
export type Getter = (root: unknown) => unknown;

/** Longest path accepted, in UTF-16 code units; checked before any parsing. */
const MAX_LENGTH = 1024;
/** Most segments a path may have ($.a[0]..b has four: a, 0, .., b). */
const MAX_DEPTH = 64;
/** Most recursive descents ("..") in a path; see superLinearPart. */
const MAX_DESCENTS = 1;
/**
 * jsonpath-plus memoizes every path and filter script it has seen in JSONPath.cache, a plain
 * object that never shrinks. Validation runs against a scratch cache (dropped afterwards), so
 * only paths that are actually compiled for running reach the shared one; compile resets the
 * shared one when it holds more than this many entries (its entries are only memoized parses).
 */
const MAX_LIBRARY_CACHE = 2000;

/**
 * A compiled JSONPath. Plain paths ($.a.b[0]['c d'], $.user.名前, $.items[-1]) become a direct walk with no library call;
 * anything else (wildcards, filters, recursive descent, slices) goes through jsonpath-plus and
 * yields the array of all matches. Paths are at most MAX_LENGTH characters and MAX_DEPTH
 * segments, and validating one takes time linear in its length (plus the library's own parse,
 * which the length cap bounds).
 */
export class JsonPath {
  static readonly MAX_LENGTH = MAX_LENGTH;
  static readonly MAX_DEPTH = MAX_DEPTH;
  /**
   * Characters of JSONPath one subscription's etl may hold in all (fields and filter rules).
   * A script path takes up to ~1 ms to validate, so this bounds one request's validation to
   * ~60 ms, where 500 fields × 1,024 characters would take ~0.5 s of the event loop.
   */
  static readonly MAX_TOTAL_LENGTH = 65_536;
  private static last: { source: string; problem: string | null } | null = null;
  static readonly MAX_DESCENTS = MAX_DESCENTS;
  static readonly MAX_LIBRARY_CACHE = MAX_LIBRARY_CACHE;

  readonly get: Getter;
  readonly plain: boolean;

  private constructor(
    readonly source: string,
    segments: Array<string | number> | null,
  ) {
    this.plain = segments !== null;
    this.get = segments ? plainGetter(segments) : libraryGetter(source);
  }

  /**
   * Throws an Error whose message says what is wrong with the path: not a string starting with
   * "$", longer than MAX_LENGTH characters, deeper than MAX_DEPTH segments, more than
   * MAX_DESCENTS "..", a parent selector "^", or not valid.
   */
  static compile(source: string): JsonPath {
    const path = JsonPath.validate(source);
    if (path.plain) return path;
    trimLibraryCache();
    return path;
  }

  /**
   * Error message for a path, or null when it is valid; for validators. Remembers only the
   * last answer, so a schema that asks twice about one path (a filter rule's path, then its
   * value) validates it once.
   */
  static problem(source: string): string | null {
    if (JsonPath.last?.source === source) return JsonPath.last.problem;
    let problem: string | null = null;
    try {
      JsonPath.validate(source);
    } catch (err) {
      problem = (err as Error).message;
    }
    JsonPath.last = { source, problem };
    return problem;
  }

  /** Entries in jsonpath-plus's shared memo (JSONPath.cache); for tests and diagnostics. */
  static libraryCacheSize(): number {
    return countKeys(JSONPath.cache as object, Infinity);
  }

  private static validate(source: string): JsonPath {
    if (typeof source !== 'string' || !source.startsWith('$')) {
      throw new Error(`"${preview(source)}" is not a JSONPath: it must start with "$"`);
    }
    if (source.length > MAX_LENGTH) {
      throw new Error(`JSONPath is ${source.length} characters long; at most ${MAX_LENGTH} are allowed`);
    }
    let segments: Array<string | number> | null;
    try {
      segments = parsePlain(source);
    } catch (err) {
      throw new Error(`"${source}" is not a valid JSONPath: ${(err as Error).message}`);
    }
    if (segments) {
      if (segments.length > MAX_DEPTH) throw tooDeep(source, segments.length);
      return new JsonPath(source, segments);
    }
    if (unterminated(source)) throw new Error(`"${source}" is not a valid JSONPath: it is unterminated`);
    withScratchCache(() => {
      let parts: string[];
      try {
        parts = JSONPath.toPathArray(source);
      } catch (err) {
        throw new Error(`"${source}" is not a valid JSONPath: ${(err as Error).message}`);
      }
      // The first part is "$".
      if (parts.length - 1 > MAX_DEPTH) throw tooDeep(source, parts.length - 1);
      const superLinear = superLinearPart(parts);
      if (superLinear) throw new Error(`"${preview(source)}" ${superLinear}`);
      // Before anything runs a script: validation below evaluates each one on probe values.
      const unsafe = unsafeScriptPart(parts, JSONPath.cache as Record<string, unknown>);
      if (unsafe) throw new Error(`"${preview(source)}" ${unsafe}`);
      try {
        JSONPath({ path: source, json: { probe: [1, { a: 'x' }] }, wrap: true, eval: 'safe' });
        // Filter scripts are only parsed when something reaches them, so exercise each one.
        for (const script of filterScripts(source)) {
          JSONPath({ path: `$[?(${script})]`, json: [{}, 1, 'x'], wrap: true, eval: 'safe' });
        }
      } catch (err) {
        throw new Error(`"${source}" is not a valid JSONPath: ${(err as Error).message}`);
      }
    });
    return new JsonPath(source, null);
  }
}

/**
 * Why a parsed path would cost more than linear time on a record, or null. jsonpath-plus walks
 * every chain of nested matches: measured on a 300-level record, "$..*" takes 2 ms, "$..*..*"
 * 0.9 s and "$..*..*..*" exhausts a 4 GB heap; a parent selector "^" re-walks what it climbs
 * back to, so "[*]^[*]^…" multiplies by each fan-out.
 */
function superLinearPart(parts: readonly string[]): string | null {
  let descents = 0;
  for (const part of parts) {
    if (part === '^') return 'uses the parent selector "^", which kproxy does not accept (its cost multiplies with every wildcard before it)';
    if (part === '..' && ++descents > MAX_DESCENTS) {
      return `has ${MAX_DESCENTS + 1} or more recursive descents ".."; a JSONPath may have at most ${MAX_DESCENTS} (each one multiplies the cost by the record's depth)`;
    }
  }
  return null;
}

/**
 * The only methods a filter script may call: each reads its receiver and returns a value no
 * larger than it (or a boolean, number or single character), so a script's cost is bounded by
 * the record's size. An allow-list, not a block-list: any other method could run a backtracking
 * RegExp (match, matchAll, search, and replace/split with a regex argument), or build a string
 * of any length from a few characters of script (repeat and padStart: `@.s.repeat(1e8)` is
 * 500 MB per match; replaceAll("a", "$`") and split("").join(@.s) are quadratic in the record).
 */
const SAFE_METHODS = new Set([
  'startsWith',
  'endsWith',
  'includes',
  'indexOf',
  'lastIndexOf',
  'at',
  'charAt',
  'charCodeAt',
  'codePointAt',
  'slice',
  'substring',
  'toLowerCase',
  'toUpperCase',
  'trim',
  'trimStart',
  'trimEnd',
  'toString',
  'localeCompare',
  'isArray',
  'isInteger',
  'isFinite',
  'isNaN',
  'hasOwnProperty',
]);
const REGEX_METHODS = new Set(['match', 'matchAll', 'search', 'replace', 'replaceAll', 'split']);
const USE_RE2 = 'use an etl.filter rule with op "regex" (RE2, linear time) instead';

/**
 * Why a script of a filter ([?(…)]) or script expression ([(…)]) could block the process, or
 * null: a regular expression literal (a backtracking RegExp), a call of anything but one of
 * SAFE_METHODS (named directly or by a string literal), a member name computed by an expression
 * (which could spell one), or an assignment (variables let a script double a string at every step). The
 * scripts are parsed as jsonpath-plus's safe evaluator parses them, nested filters included; a
 * script it cannot parse is left to the validation that runs it. Each parsed script is put in
 * `cache` (the scratch JSONPath.cache of the validation) for the validation's own runs.
 */
function unsafeScriptPart(parts: readonly string[], cache: Record<string, unknown>): string | null {
  for (const part of parts) {
    for (const { code, script } of evaluatedScripts(part)) {
      let parsed: { ast: unknown };
      try {
        parsed = new ScriptParser(script);
      } catch {
        continue;
      }
      // Memoized under jsonpath-plus's own key, so running the script does not parse it again
      // (jsep takes up to ~70 ms on 500 nested brackets).
      cache[`safeScript:${code}`] = parsed;
      const problem = unsafeNode(parsed.ast);
      if (problem) return `has a filter script that ${problem}; filter scripts may read and compare values only`;
    }
  }
  return null;
}

/** jsonpath-plus's SafeScript, which parses with its jsep and plugins (regex literals, assignment). */
const ScriptParser = (JSONPath as unknown as { prototype: { safeVm: { Script: new (code: string) => { ast: unknown } } } }).prototype.safeVm.Script;

/**
 * The code jsonpath-plus evaluates for one path part (`code`, its memo key) and the script it
 * parses from it (`script`), as its _trace and _eval derive them: a
 * filter "?(…)" loses its wrapper and may hold a nested filter (traced as a part of its own), a
 * script expression "(…)" is evaluated as it is; "@" forms become the sandbox's names.
 */
function evaluatedScripts(part: string): Array<{ code: string; script: string }> {
  let code: string;
  if (part.startsWith('?(')) {
    code = part.replace(/^\?\((.*?)\)$/u, '$1');
    const nested = /@.?([^?]*)[['](\??\(.*?\))(?!.\)\])[\]']/u.exec(code);
    if (nested) return evaluatedScripts(nested[2]);
  } else if (part.startsWith('(')) code = part;
  else return [];
  const script = code
    .replaceAll('@parentProperty', '_$_parentProperty')
    .replaceAll('@parent', '_$_parent')
    .replaceAll('@property', '_$_property')
    .replaceAll('@root', '_$_root')
    .replaceAll(/@([.\s)[])/gu, '_$_v$1');
  return [{ code, script: code.includes('@path') ? script.replaceAll('@path', '_$_path') : script }];
}

/**
 * What unsafeScriptPart refuses in a jsep syntax tree, or null; iterative, so no tree can
 * overflow the stack. A regex literal, an assignment or a computed member name is named before
 * a call it appears in, since it is the more precise reason.
 */
function unsafeNode(root: unknown): string | null {
  const stack: unknown[] = [root];
  let callProblem: string | null = null;
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      stack.push(...node);
      continue;
    }
    if (node === null || typeof node !== 'object') continue;
    const n = node as {
      type?: unknown;
      value?: unknown;
      computed?: unknown;
      property?: { type?: unknown; name?: unknown; value?: unknown };
      callee?: { type?: unknown; name?: unknown; computed?: unknown; property?: { type?: unknown; name?: unknown; value?: unknown } };
    };
    if (n.type === 'Literal' && n.value instanceof RegExp)
      return `uses a regular expression literal (${String(n.value)}), which JavaScript runs by backtracking; ${USE_RE2}`;
    if (n.type === 'AssignmentExpression') return 'makes an assignment (variables let a script double a string at every step)';
    if (n.type === 'MemberExpression' && n.property && n.computed && n.property.type !== 'Literal') {
      return 'uses a member name computed by an expression ([…]); name members with a literal';
    }
    if (n.type === 'CallExpression') {
      const callee = n.callee;
      const name =
        callee?.type === 'MemberExpression' && callee.property
          ? String(callee.computed ? callee.property.value : callee.property.name)
          : String(callee?.type === 'Identifier' ? callee.name : 'an expression');
      if (
        !callProblem &&
        !(callee?.type === 'MemberExpression' && callee.computed && callee.property?.type !== 'Literal') &&
        (callee?.type !== 'MemberExpression' || !SAFE_METHODS.has(name))
      ) {
        const regex = REGEX_METHODS.has(name) ? ` (it may run a backtracking JavaScript regular expression; ${USE_RE2})` : '';
        callProblem = `calls ${name}()${regex}, which is not one of the read-only methods a filter script may call: ${[...SAFE_METHODS].join(', ')}`;
      }
    }
    for (const key in n) {
      if (key !== 'type') stack.push((n as Record<string, unknown>)[key]);
    }
  }
  return callProblem;
}

function tooDeep(source: string, depth: number): Error {
  return new Error(`"${preview(source)}" has ${depth} segments; a JSONPath may have at most ${MAX_DEPTH}`);
}

/** Enough of a value to recognise it in a message, never the whole of a huge one. */
function preview(value: unknown): string {
  const text = String(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/**
 * The scripts of each [?(…)] filter, as the regex /\[\?\((.*?)\)\]/g would find them, in one
 * pass: a filter's script runs to the first ")]" after its "[?(", and when there is none, no
 * later "[?(" has one either.
 */
function filterScripts(source: string): string[] {
  const out: string[] = [];
  let from = 0;
  for (;;) {
    const open = source.indexOf('[?(', from);
    if (open < 0) return out;
    const close = source.indexOf(')]', open + 3);
    if (close < 0) return out;
    out.push(source.slice(open + 3, close));
    from = close + 2;
  }
}

/** Ends in "[", "(" or "." (blank space aside), or has a "[" never closed after it. */
function unterminated(source: string): boolean {
  let end = source.length;
  while (end > 0 && /\s/.test(source[end - 1])) end--;
  const last = source[end - 1];
  return last === '[' || last === '(' || last === '.' || source.lastIndexOf('[') > source.lastIndexOf(']');
}

/** Runs fn with jsonpath-plus memoizing into a throwaway object, so validation leaves nothing behind. */
function withScratchCache<T>(fn: () => T): T {
  const shared = JSONPath.cache;
  JSONPath.cache = {};
  try {
    return fn();
  } finally {
    JSONPath.cache = shared;
  }
}

function trimLibraryCache(): void {
  if (countKeys(JSONPath.cache as object, MAX_LIBRARY_CACHE + 1) > MAX_LIBRARY_CACHE) JSONPath.cache = {};
}

function countKeys(o: object, stopAt: number): number {
  let n = 0;
  for (const key in o) {
    if (Object.prototype.hasOwnProperty.call(o, key) && ++n >= stopAt) break;
  }
  return n;
}

/**
 * The segments of a singular query (RFC 9535 §2.3.5.1: name and index selectors only, one per
 * segment), or null when the path needs the library. Dot-notation names follow RFC 9535 §2.5.1.1
 * (name-first = ALPHA / "_" / %x80-D7FF / %xE000-10FFFF, then also DIGIT), plus "$" and "-",
 * which kproxy has always accepted there. Bracket names are RFC 9535 §2.3.1.1 string literals,
 * escapes decoded; negative indices count from the end (§2.3.3.2). Throws on a malformed literal.
 */
function parsePlain(source: string): Array<string | number> | null {
  const segments: Array<string | number> = [];
  let i = skipBlank(source, 1);
  while (i < source.length) {
    const c = source.charCodeAt(i);
    if (c === 46) {
      const end = nameEnd(source, i + 1);
      if (end === i + 1) return null;
      segments.push(source.slice(i + 1, end));
      i = end;
    } else if (c === 91) {
      const j = skipBlank(source, i + 1);
      const q = source.charCodeAt(j);
      let k: number;
      if (q === 39 || q === 34) {
        const lit = stringLiteral(source, j);
        if (!lit) return null;
        segments.push(lit.value);
        k = lit.end;
      } else {
        k = integerEnd(source, j);
        if (k === j) return null;
        segments.push(Number(source.slice(j, k)));
      }
      k = skipBlank(source, k);
      if (source.charCodeAt(k) !== 93) return null;
      i = k + 1;
    } else {
      return null;
    }
    i = skipBlank(source, i);
  }
  return segments;
}

/** End of an optionally negative run of digits at i (i itself when there is none); like /^-?\d+/. */
function integerEnd(s: string, i: number): number {
  let j = s.charCodeAt(i) === 45 ? i + 1 : i;
  const digits = j;
  while (j < s.length && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
  return j === digits ? i : j;
}

function skipBlank(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) i++;
    else return i;
  }
}

/** End of a dot-notation member name starting at i (i itself when there is none). */
function nameEnd(s: string, i: number): number {
  const start = i;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    const ascii = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36 || c === 45;
    const digit = c >= 48 && c <= 57;
    if (ascii || (digit && i > start)) i++;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) break;
      i += 2;
    } else if (c >= 0x80 && !(c >= 0xdc00 && c <= 0xdfff)) i++;
    else break;
  }
  return i;
}

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', '/': '/', '\\': '\\' };

/**
 * An RFC 9535 §2.3.1.1 string literal at s[i] (its quote); null when unterminated. Throws
 * when it holds a control character, an escape RFC 9535 does not define, or a lone surrogate.
 */
function stringLiteral(s: string, i: number): { value: string; end: number } | null {
  const quote = s[i];
  let out = '';
  for (let j = i + 1; j < s.length; j++) {
    const ch = s[j];
    if (ch === quote) return { value: out, end: j + 1 };
    if (ch.charCodeAt(0) < 0x20) throw new Error(`control character U+${hex4(ch.charCodeAt(0))} must be escaped in a name`);
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const e = s[++j];
    if (e === quote) out += e;
    else if (e !== undefined && ESCAPES[e] !== undefined) out += ESCAPES[e];
    else if (e === 'u') {
      const unit = hexUnit(s, j + 1);
      j += 4;
      if (unit >= 0xd800 && unit <= 0xdbff) {
        const low = s.startsWith('\\u', j + 1) ? hexUnit(s, j + 3) : -1;
        if (!(low >= 0xdc00 && low <= 0xdfff)) throw new Error(`\\u${hex4(unit)} must be followed by a low surrogate escape`);
        out += String.fromCharCode(unit, low);
        j += 6;
      } else if (unit >= 0xdc00 && unit <= 0xdfff) {
        throw new Error(`\\u${hex4(unit)} is a lone low surrogate`);
      } else out += String.fromCharCode(unit);
    } else throw new Error(`"\\${e ?? ''}" is not an escape JSONPath allows (RFC 9535 §2.3.1.1)`);
  }
  return null;
}

function hexUnit(s: string, i: number): number {
  const h = s.slice(i, i + 4);
  if (!/^[0-9A-Fa-f]{4}$/.test(h)) throw new Error(`"\\u${h}" needs four hex digits`);
  return parseInt(h, 16);
}

function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}

function plainGetter(segments: Array<string | number>): Getter {
  if (segments.length === 0) return (root) => root;
  if (segments.length === 1) {
    const [k] = segments;
    return (root) => step(root, k);
  }
  return (root) => {
    let cur: unknown = root;
    for (let i = 0; i < segments.length; i++) {
      cur = step(cur, segments[i]);
      if (cur === MISSING) return MISSING;
    }
    return cur;
  };
}

function step(cur: unknown, key: string | number): unknown {
  if (cur === null || typeof cur !== 'object') return MISSING;
  if (typeof key === 'number') {
    if (!Array.isArray(cur)) return MISSING;
    const at = key < 0 ? cur.length + key : key;
    return at >= 0 && at < cur.length ? cur[at] : MISSING;
  }
  if (Array.isArray(cur) || !Object.prototype.hasOwnProperty.call(cur, key)) return MISSING;
  return (cur as Record<string, unknown>)[key];
}

function libraryGetter(source: string): Getter {
  return (root) => {
    if (root === null || typeof root !== 'object') return MISSING;
    const found = JSONPath({ path: source, json: root as object, wrap: true, eval: 'safe' }) as unknown[];
    return found.length === 0 ? MISSING : found;
  };
}

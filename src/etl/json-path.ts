import { JSONPath } from 'jsonpath-plus';

/** Returned by a getter when the path matches nothing; a symbol so that null stays a value. */
export const MISSING: unique symbol = Symbol('missing');
export type Getter = (root: unknown) => unknown;

const FILTER = /\[\?\((.*?)\)\]/g;

/**
 * A compiled JSONPath. Plain paths ($.a.b[0]['c d'], $.user.名前, $.items[-1]) become a direct walk with no library call;
 * anything else (wildcards, filters, recursive descent, slices) goes through jsonpath-plus and
 * yields the array of all matches.
 */
export class JsonPath {
  readonly get: Getter;
  readonly plain: boolean;

  private constructor(
    readonly source: string,
    segments: Array<string | number> | null,
  ) {
    this.plain = segments !== null;
    this.get = segments ? plainGetter(segments) : libraryGetter(source);
  }

  /** Throws an Error whose message says what is wrong with the path. */
  static compile(source: string): JsonPath {
    if (typeof source !== 'string' || !source.startsWith('$')) {
      throw new Error(`"${String(source)}" is not a JSONPath: it must start with "$"`);
    }
    let segments: Array<string | number> | null;
    try {
      segments = parsePlain(source);
    } catch (err) {
      throw new Error(`"${source}" is not a valid JSONPath: ${(err as Error).message}`);
    }
    if (segments) return new JsonPath(source, segments);
    try {
      JSONPath.toPathArray(source);
      JSONPath({ path: source, json: { probe: [1, { a: 'x' }] }, wrap: true, eval: 'safe' });
      // Filter scripts are only parsed when something reaches them, so exercise each one.
      for (const m of source.matchAll(FILTER)) {
        JSONPath({ path: `$[?(${m[1]})]`, json: [{}, 1, 'x'], wrap: true, eval: 'safe' });
      }
    } catch (err) {
      throw new Error(`"${source}" is not a valid JSONPath: ${(err as Error).message}`);
    }
    if (/[\[(]\s*$|\.\s*$|\[[^\]]*$/.test(source)) throw new Error(`"${source}" is not a valid JSONPath: it is unterminated`);
    return new JsonPath(source, null);
  }

  /** Error message for a path, or null when it is valid; for validators. */
  static problem(source: string): string | null {
    try {
      JsonPath.compile(source);
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  }
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
        const m = INDEX.exec(source.slice(j));
        if (!m) return null;
        segments.push(Number(m[0]));
        k = j + m[0].length;
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

const INDEX = /^-?\d+/;

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

import { JSONPath } from 'jsonpath-plus';

/** Returned by a getter when the path matches nothing; a symbol so that null stays a value. */
export const MISSING: unique symbol = Symbol('missing');
export type Getter = (root: unknown) => unknown;

const FILTER = /\[\?\((.*?)\)\]/g;
const SEGMENT = /^(?:\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\])/;

/**
 * A compiled JSONPath. Plain paths ($.a.b[0]['c d']) become a direct walk with no library call;
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
    const segments = parsePlain(source);
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

function parsePlain(source: string): Array<string | number> | null {
  const segments: Array<string | number> = [];
  let rest = source.slice(1);
  while (rest.length > 0) {
    const m = SEGMENT.exec(rest);
    if (!m) return null;
    if (m[1] !== undefined) segments.push(m[1]);
    else if (m[2] !== undefined) segments.push(Number(m[2]));
    else segments.push((m[3] ?? m[4]).replace(/\\(.)/g, '$1'));
    rest = rest.slice(m[0].length);
  }
  return segments;
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
    if (!Array.isArray(cur) || key >= cur.length) return MISSING;
    return cur[key];
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

import { JsonDepth } from './json-depth';
import { JsonNumber, canonicalAt } from './json-number';

/**
 * JSON (RFC 8259) that keeps every number exactly. Numbers a double reproduces are plain
 * `number`s; the others become JsonNumber holding their text. Node 20 has neither
 * JSON.rawJSON nor JSON.parse source text, hence the scanner and the parser here.
 */
export class ExactJson {
  /**
   * Parses text like JSON.parse (same errors, same result when every number is canonical),
   * but with JsonNumber for numbers a double would alter. Throws SyntaxError on invalid JSON.
   */
  static parse(text: string): unknown {
    const fast: unknown = JSON.parse(text);
    return ExactJson.hasInexactNumber(text) ? ExactJson.parseValid(text) : fast;
  }

  /**
   * Whether valid JSON text holds a number token that a double would not reproduce. One pass
   * over the characters, skipping strings, no allocation for ordinary numbers.
   */
  static hasInexactNumber(text: string): boolean {
    return (ExactJson.inspect(text, Infinity) & ExactJson.INEXACT) !== 0;
  }

  /** inspect() flag: the text holds a number a double would not reproduce. */
  static readonly INEXACT = 1;
  /** inspect() flag: the text nests deeper than the depth asked about. */
  static readonly TOO_DEEP = 2;

  /**
   * hasInexactNumber and JsonDepth.exceeds in one pass (the per-record path pays for one scan,
   * not two): INEXACT and/or TOO_DEEP as bit flags, 0 for neither. With maxDepth Infinity it
   * stops at the first inexact number.
   */
  static inspect(text: string, maxDepth: number): number {
    const n = text.length;
    let flags = 0;
    let depth = 0;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        const q = JsonDepth.stringEnd(text, i);
        if (q < 0) return flags;
        i = q;
      } else if (c === 91 || c === 123) {
        if (++depth > maxDepth) return flags | ExactJson.TOO_DEEP;
      } else if (c === 93 || c === 125) depth--;
      else if (flags === 0 && (c === 45 || (c >= 48 && c <= 57))) {
        let end = i + 1;
        while (end < n && isNumberChar(text.charCodeAt(end))) end++;
        if (!canonicalAt(text, i, end)) {
          flags = ExactJson.INEXACT;
          if (maxDepth === Infinity) return flags;
        }
        i = end - 1;
      }
    }
    return flags;
  }

  /** Parses text already known to be valid JSON (e.g. JSON.parse accepted it), keeping numbers exact. */
  static parseValid(text: string): unknown {
    return new Cursor(text).value();
  }

  /**
   * JSON.stringify (no replacer, no indent) that writes JsonNumber as its number text. Same
   * output as JSON.stringify for values without JsonNumber: toJSON is honoured, undefined,
   * functions and symbols are left out of objects and become null in arrays.
   */
  static stringify(value: unknown): string | undefined {
    return write(value);
  }

  /** Whether a value (deeply) holds a JsonNumber, i.e. whether JSON.stringify would alter it. */
  static holdsExact(value: unknown): boolean {
    if (value instanceof JsonNumber) return true;
    if (value === null || typeof value !== 'object') return false;
    if (Array.isArray(value)) return value.some(ExactJson.holdsExact);
    if (value instanceof Date) return false;
    for (const k in value) {
      if (Object.prototype.hasOwnProperty.call(value, k) && ExactJson.holdsExact((value as Record<string, unknown>)[k])) return true;
    }
    return false;
  }

  /**
   * Deep equality of JSON values where numbers compare by exact decimal value (JsonNumber.equal)
   * and objects by their own keys regardless of order.
   */
  static equal(a: unknown, b: unknown): boolean {
    if (a === b) return true;
    const an = typeof a === 'number' || a instanceof JsonNumber;
    const bn = typeof b === 'number' || b instanceof JsonNumber;
    if (an || bn) return an && bn && JsonNumber.equal(a as number | JsonNumber, b as number | JsonNumber);
    if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
    if (Array.isArray(a)) {
      if (!Array.isArray(b) || a.length !== b.length) return false;
      for (let i = 0; i < a.length; i++) if (!ExactJson.equal(a[i], b[i])) return false;
      return true;
    }
    if (Array.isArray(b)) return false;
    const ak = Object.keys(a);
    if (ak.length !== Object.keys(b).length) return false;
    for (const k of ak) {
      if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
      if (!ExactJson.equal((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
    }
    return true;
  }

  /** The source text of a number value (a canonical number's String() is its text), else null. */
  static numberText(v: unknown): string | null {
    if (typeof v === 'number') return String(v);
    return v instanceof JsonNumber ? v.text : null;
  }
}

function isNumberChar(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 46 || c === 101 || c === 69 || c === 43 || c === 45;
}

/** Recursive descent over valid JSON; strings are decoded by JSON.parse of their literal. */
class Cursor {
  private i = 0;

  constructor(private readonly text: string) {}

  value(): unknown {
    this.ws();
    const t = this.text;
    const c = t.charCodeAt(this.i);
    if (c === 123) return this.object();
    if (c === 91) return this.array();
    if (c === 34) return this.string();
    if (c === 116) return this.word('true', true);
    if (c === 102) return this.word('false', false);
    if (c === 110) return this.word('null', null);
    const start = this.i;
    while (this.i < t.length && isNumberChar(t.charCodeAt(this.i))) this.i++;
    if (this.i === start) throw new SyntaxError(`Unexpected character at position ${start}`);
    return JsonNumber.of(t.slice(start, this.i));
  }

  private object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.members(125, () => {
      this.ws();
      const key = this.string();
      this.ws();
      this.expect(58);
      const v = this.value();
      // "__proto__" is an own data property in JSON.parse's output, never the prototype.
      if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      else out[key] = v;
    });
    return out;
  }

  private array(): unknown[] {
    const out: unknown[] = [];
    this.members(93, () => out.push(this.value()));
    return out;
  }

  /** Reads comma-separated members after the opening bracket up to the closing one. */
  private members(close: number, member: () => void): void {
    this.i++;
    this.ws();
    if (this.text.charCodeAt(this.i) === close) {
      this.i++;
      return;
    }
    for (;;) {
      member();
      this.ws();
      if (this.text.charCodeAt(this.i) !== 44) break;
      this.i++;
    }
    this.expect(close);
  }

  private string(): string {
    const t = this.text;
    const start = this.i;
    if (t.charCodeAt(start) !== 34) throw new SyntaxError(`Expected a string at position ${start}`);
    let escaped = false;
    let j = start + 1;
    for (; j < t.length; j++) {
      const d = t.charCodeAt(j);
      if (d === 92) {
        escaped = true;
        j++;
      } else if (d === 34) break;
    }
    this.i = j + 1;
    return escaped ? (JSON.parse(t.slice(start, j + 1)) as string) : t.slice(start + 1, j);
  }

  private word<T>(w: string, v: T): T {
    if (!this.text.startsWith(w, this.i)) throw new SyntaxError(`Unexpected token at position ${this.i}`);
    this.i += w.length;
    return v;
  }

  private expect(c: number): void {
    if (this.text.charCodeAt(this.i) !== c) throw new SyntaxError(`Expected "${String.fromCharCode(c)}" at position ${this.i}`);
    this.i++;
  }

  private ws(): void {
    const t = this.text;
    for (;;) {
      const c = t.charCodeAt(this.i);
      if (c === 32 || c === 10 || c === 13 || c === 9) this.i++;
      else return;
    }
  }
}

function write(v: unknown): string | undefined {
  if (v instanceof JsonNumber) return v.text;
  if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
    v = (v as { toJSON(): unknown }).toJSON();
  }
  if (v === null || typeof v !== 'object') return typeof v === 'function' || typeof v === 'symbol' ? undefined : JSON.stringify(v);
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) s += (i ? ',' : '') + (write(v[i]) ?? 'null');
    return s + ']';
  }
  let s = '{';
  let first = true;
  for (const k of Object.keys(v)) {
    const part = write((v as Record<string, unknown>)[k]);
    if (part === undefined) continue;
    s += (first ? '' : ',') + JSON.stringify(k) + ':' + part;
    first = false;
  }
  return s + '}';
}

import { RE2JS } from 're2js';

/** Longest pattern accepted, in UTF-16 code units (characters as JavaScript counts them). */
const MAX_PATTERN_LENGTH = 1024;
/**
 * Most RE2 instructions a pattern may compile to. Matching costs up to (text length × program
 * size) steps when RE2's DFA runs out of its state budget; measured with re2js 2.10, a program
 * of ~1,000 instructions tests 1 MB of text in ~0.15 s at worst, one of ~6,000 in ~100 s.
 */
const MAX_PROGRAM_SIZE = 1000;
const SYNTAX = 'RE2 syntax, https://github.com/google/re2/wiki/Syntax';

/**
 * A user-supplied regular expression run by re2js (a pure-JS port of RE2), so a match costs
 * time linear in the text whatever the pattern: no catastrophic backtracking can block the
 * event loop. Patterns are RE2 syntax; the JavaScript spellings RE2 lacks (`\uXXXX`, `\u{…}`,
 * `(?<name>…)`, `\cX`) are translated first, so patterns written for RegExp keep working unless
 * they need backtracking (backreferences, lookahead, lookbehind), which RE2 does not do.
 */
export class LinearRegex {
  static readonly MAX_PATTERN_LENGTH = MAX_PATTERN_LENGTH;
  static readonly MAX_PROGRAM_SIZE = MAX_PROGRAM_SIZE;

  private constructor(
    readonly source: string,
    private readonly re: RE2JS,
  ) {}

  /**
   * Compiles a pattern. Throws an Error whose message says what is wrong: too long (over
   * MAX_PATTERN_LENGTH characters), too big (over MAX_PROGRAM_SIZE RE2 instructions), needing
   * backtracking, or not valid RE2 syntax.
   */
  static compile(source: string): LinearRegex {
    if (typeof source !== 'string') throw new Error('must be a string holding a regular expression');
    if (source.length > MAX_PATTERN_LENGTH) {
      throw new Error(`is ${source.length} characters long; a regular expression may have at most ${MAX_PATTERN_LENGTH}`);
    }
    const backtracking = needsBacktracking(source);
    if (backtracking) {
      throw new Error(`uses ${backtracking}, which needs backtracking; kproxy runs regular expressions in linear time (${SYNTAX}) and does not accept it`);
    }
    let re: RE2JS;
    try {
      re = RE2JS.compile(RE2JS.translateRegExp(source));
    } catch (err) {
      throw new Error(`is not a valid regular expression (${SYNTAX}): ${(err as Error).message}`);
    }
    if (re.programSize() > MAX_PROGRAM_SIZE) {
      throw new Error(
        `compiles to ${re.programSize()} RE2 instructions, more than the ${MAX_PROGRAM_SIZE} allowed (large counted repetitions such as {500} cost the most)`,
      );
    }
    return new LinearRegex(source, re);
  }

  /** What is wrong with a pattern (see compile), or null when it compiles; for validators. */
  static problem(source: string): string | null {
    try {
      LinearRegex.compile(source);
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  }

  /** Whether the pattern matches anywhere in the text (like RegExp.prototype.test without flags). */
  test(text: string): boolean {
    return this.re.test(text);
  }
}

/**
 * Names the first construct that needs a backtracking engine, or null. RE2 refuses these too,
 * but its message for some is misleading ("(?<=" reads as a bad named group), so say it plainly.
 * One left-to-right pass: escapes are skipped in pairs and character classes are stepped over.
 */
function needsBacktracking(s: string): string | null {
  let inClass = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      const e = s[i + 1];
      if (!inClass && e !== undefined && e >= '1' && e <= '9') return `a backreference (\\${e})`;
      if (!inClass && e === 'k' && s[i + 2] === '<') return 'a named backreference (\\k<…>)';
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
      if (s[i + 1] === '^') i++;
      if (s[i + 1] === ']') i++;
    } else if (c === '(' && s[i + 1] === '?') {
      const a = s[i + 2];
      const b = s[i + 3];
      if (a === '=') return 'a lookahead (?=…)';
      if (a === '!') return 'a negative lookahead (?!…)';
      if (a === '<' && b === '=') return 'a lookbehind (?<=…)';
      if (a === '<' && b === '!') return 'a negative lookbehind (?<!…)';
    }
  }
  return null;
}

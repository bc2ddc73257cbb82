/**
 * Nesting depth of JSON text: how many arrays and objects enclose the deepest value
 * (`1` and `"x"` are depth 0, `[]` and `{"a":1}` depth 1). Records are checked against a cap
 * before anything recursive walks them: V8's JSON.parse is iterative and takes any depth, but
 * JSON.stringify, jsonpath-plus's `..` and kproxy's exact-number parser recurse, and overflow
 * the stack somewhere between 1,000 and 10,000 levels.
 */
export class JsonDepth {
  /**
   * Deepest nesting kproxy walks, in levels, for records and for responses it reads an errcode
   * from. jsonpath-plus's `..` and JSON.stringify overflow Node's default stack between 1,000
   * and 5,000 levels; 512 keeps a wide margin (Jackson's StreamReadConstraints default is 1,000;
   * real records rarely pass 20).
   */
  static readonly MAX_ACCEPTED = 512;

  /**
   * Whether `text` nests deeper than `max` levels. One pass over the characters, skipping
   * strings; none at all when the text is too short to reach the depth (each level costs at
   * least its two brackets). Meant for text JSON.parse accepted; on other text the answer is
   * about its brackets outside strings.
   */
  static exceeds(text: string, max: number): boolean {
    const n = text.length;
    if (n < 2 * (max + 1)) return false;
    let depth = 0;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 91 || c === 123) {
        if (++depth > max) return true;
      } else if (c === 93 || c === 125) depth--;
      else if (c === 34) {
        const end = JsonDepth.stringEnd(text, i);
        if (end < 0) return false;
        i = end;
      }
    }
    return false;
  }

  /** Index of the quote closing the JSON string whose opening quote is at `open`; -1 when unterminated. */
  static stringEnd(text: string, open: number): number {
    let q = text.indexOf('"', open + 1);
    while (q > 0 && oddBackslashesBefore(text, q)) q = text.indexOf('"', q + 1);
    return q;
  }
}

function oddBackslashesBefore(text: string, q: number): boolean {
  let k = q - 1;
  while (text.charCodeAt(k) === 92) k--;
  return (q - 1 - k) % 2 === 1;
}

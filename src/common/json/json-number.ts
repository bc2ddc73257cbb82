/**
 * A JSON number kept as its source text because a JavaScript double would not reproduce it:
 * more than 15 significant digits (64-bit ids), exponent forms, trailing fraction zeros, -0,
 * magnitudes outside a double (1e400). Numbers whose text a double reproduces exactly
 * (`JSON.stringify(JSON.parse(text)) === text`) stay plain `number`s everywhere.
 *
 * Equality is by exact decimal value (RFC 8259 §6 leaves precision to implementations; kproxy
 * keeps the digits it was given): `1.50` equals `1.5`, `9007199254740993` does not equal
 * `9007199254740992`. `valueOf()` is the nearest double, for ordering comparisons only.
 * `toJSON()` gives the text as a string so that code unaware of exact numbers (logs, audit) can
 * never round it; ExactJson.stringify writes it back as a number, verbatim.
 */
export class JsonNumber {
  readonly #text: string;
  #key: string | undefined;

  /** text: a valid JSON number literal (RFC 8259 §6); not checked here. */
  constructor(text: string) {
    this.#text = text;
  }

  get text(): string {
    return this.#text;
  }

  valueOf(): number {
    return Number(this.#text);
  }

  toString(): string {
    return this.#text;
  }

  toJSON(): string {
    return this.#text;
  }

  /** Normalised exact decimal value ("-123e-2"), cached; equal keys = equal values. */
  get key(): string {
    return (this.#key ??= JsonNumber.decimalKey(this.#text));
  }

  /**
   * Whether a double reproduces this JSON number text exactly. A fast syntactic test covers
   * plain numbers (≤ 15 digits, no exponent, no trailing fraction zero, ≥ 1e-6, not -0, which a
   * double holds and `String()` writes back unchanged); anything else is tested by round trip.
   */
  static isCanonical(text: string): boolean {
    return canonicalAt(text, 0, text.length);
  }

  /** Wraps text as a number or JsonNumber, whichever keeps it exactly. */
  static of(text: string): number | JsonNumber {
    return canonicalAt(text, 0, text.length) ? Number(text) : new JsonNumber(text);
  }

  /** Exact decimal equality of two numbers, each a canonical double or a JsonNumber. */
  static equal(a: number | JsonNumber, b: number | JsonNumber): boolean {
    if (typeof a === 'number' && typeof b === 'number') return a === b;
    return JsonNumber.keyOf(a) === JsonNumber.keyOf(b);
  }

  /** The decimal key of a number; a plain number's is that of its shortest text. */
  static keyOf(n: number | JsonNumber): string {
    return typeof n === 'number' ? JsonNumber.decimalKey(String(n)) : n.key;
  }

  /**
   * "<sign><digits>e<exponent>" with no leading or trailing zeros in digits, "0" for zero, for a
   * JSON number literal or a JavaScript number's String() form (which may say "e+21").
   */
  static decimalKey(text: string): string {
    let i = 0;
    const negative = text.charCodeAt(0) === 45;
    if (negative) i = 1;
    let digits = '';
    let fractionDigits = 0;
    let inFraction = false;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 46) inFraction = true;
      else if (c === 101 || c === 69) break;
      else {
        digits += text[i];
        if (inFraction) fractionDigits++;
      }
    }
    const exponent = i < text.length ? BigInt(text.slice(i + 1).replace(/^\+/, '')) : 0n;
    const lead = digits.search(/[1-9]/);
    if (lead < 0) return '0';
    let end = digits.length;
    while (digits.charCodeAt(end - 1) === 48) end--;
    const trailingZeros = digits.length - end;
    const scale = exponent - BigInt(fractionDigits) + BigInt(trailingZeros);
    return `${negative ? '-' : ''}${digits.slice(lead, end)}e${scale}`;
  }
}

/**
 * Whether text[start, end) (a JSON number literal) is reproduced by a double. Exported for the
 * scanner, which calls it on every number of a record without slicing the common ones.
 */
export function canonicalAt(text: string, start: number, end: number): boolean {
  let i = start;
  if (text.charCodeAt(i) === 45) i++;
  let digits = 0;
  let fracZeros = -1; // leading zeros of the fraction when the integer part is 0
  const zeroInt = text.charCodeAt(i) === 48;
  let inFraction = false;
  let lastDigit = 0;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      inFraction = true;
      if (zeroInt) fracZeros = 0;
      continue;
    }
    if (c === 101 || c === 69) return roundTrips(text, start, end);
    digits++;
    lastDigit = c;
    if (fracZeros >= 0 && c === 48 && fracZeros === digits - 2) fracZeros++;
  }
  if (digits > 15) return roundTrips(text, start, end);
  if (inFraction && lastDigit === 48) return false;
  if (fracZeros > 5) return roundTrips(text, start, end);
  if (!inFraction && zeroInt && text.charCodeAt(start) === 45) return false; // "-0"
  return true;
}

function roundTrips(text: string, start: number, end: number): boolean {
  const s = start === 0 && end === text.length ? text : text.slice(start, end);
  return String(Number(s)) === s;
}

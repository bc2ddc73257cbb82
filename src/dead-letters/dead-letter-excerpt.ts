import { utf8Boundary } from './dead-letter-bounds';

/**
 * A field of a dead-letter list row as the database sent it: a prefix (the SQL cut it to at most
 * the excerpt size plus one byte, or characters for text columns) and the stored size in bytes.
 */
export interface FetchedPrefix<T extends Buffer | string> {
  prefix: T | null;
  /** LENGTH() of the stored column, bytes; null when the column is NULL. */
  storedBytes: number | null;
}

/** An excerpt of at most `maxBytes`, and whether it is shorter than what is stored. */
export interface Excerpt<T> {
  value: T | null;
  cut: boolean;
}

/**
 * The first at most `maxBytes` bytes of a stored BLOB, cut at a UTF-8 character boundary so a
 * UTF-8 value stays valid text (a binary value is cut there too, harmlessly). The SQL fetches
 * `maxBytes + 1` bytes so the boundary can be seen.
 */
export function bytesExcerpt(field: FetchedPrefix<Buffer>, maxBytes: number): Excerpt<Buffer> {
  const { prefix, storedBytes } = field;
  if (prefix === null) return { value: null, cut: false };
  const bytes = Buffer.from(prefix);
  const end = utf8Boundary(bytes, maxBytes);
  const value = bytes.subarray(0, end);
  return { value, cut: value.length < (storedBytes ?? bytes.length) };
}

/**
 * The first at most `maxBytes` UTF-8 bytes of a stored text, at a character boundary, without
 * an ellipsis (the excerpt stays a byte-exact prefix; `cut` says it is one). The SQL fetches
 * `maxBytes` characters (at most 4 × `maxBytes` bytes).
 */
export function textExcerpt(field: FetchedPrefix<string>, maxBytes: number): Excerpt<string> {
  const { prefix, storedBytes } = field;
  if (prefix === null) return { value: null, cut: false };
  const bytes = Buffer.from(prefix, 'utf8');
  const value = bytes.length <= maxBytes ? prefix : bytes.subarray(0, utf8Boundary(bytes, maxBytes)).toString('utf8');
  return { value, cut: Buffer.byteLength(value) < (storedBytes ?? bytes.length) };
}

/**
 * The stored record headers ([name, base64 value] pairs as JSON text) for a list row: all of
 * them when the JSON fits `maxBytes`, else the longest run of whole pairs whose JSON fits,
 * read from the fetched prefix (which may end inside a pair). Returns [] when none fits and
 * null when the row has no headers.
 */
export function headersExcerpt(field: FetchedPrefix<string>, maxBytes: number): Excerpt<unknown[]> {
  const { prefix, storedBytes } = field;
  if (prefix === null) return { value: null, cut: false };
  if (Buffer.byteLength(prefix) === storedBytes && (storedBytes ?? 0) <= maxBytes) {
    try {
      const all = JSON.parse(prefix) as unknown;
      if (Array.isArray(all)) return { value: all, cut: false };
    } catch {
      // fall through to the pairs that parse
    }
  }
  const ends = pairEnds(prefix);
  for (let i = ends.length - 1; i >= 0; i--) {
    const text = prefix.slice(0, ends[i]) + ']';
    if (Buffer.byteLength(text) > maxBytes) continue;
    try {
      return { value: JSON.parse(text) as unknown[], cut: true };
    } catch {
      break;
    }
  }
  return { value: [], cut: true };
}

/** Offsets just past each complete element of a JSON array text, which may be cut short. */
function pairEnds(text: string): number[] {
  const ends: number[] = [];
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') {
      depth--;
      if (depth === 1) ends.push(i + 1);
    }
  }
  return ends;
}

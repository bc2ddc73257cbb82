import { DomainErrorCode } from '../common/errors/domain-error-code.enum';
import { DomainException } from '../common/errors/domain.exception';

const ENTITY_TAG = /^(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"$/;

/**
 * An `If-Match` request header against a subscription's version (RFC 9110 §13.1.1). The ETag
 * of a subscription is its version as a strong entity tag, `"7"`. `*` matches any existing
 * subscription; otherwise one tag in the list must be strong and equal (§8.8.3.2: weak tags never
 * match). A header that is not `*` or a list of entity tags is a 400 INVALID_IF_MATCH naming it.
 */
export class VersionPrecondition {
  private constructor(
    private readonly any: boolean,
    private readonly versions: ReadonlySet<string>,
    private readonly text: string,
  ) {}

  /** null when the request sent no If-Match (every write then applies to the current version). */
  static parse(header: string | string[] | undefined): VersionPrecondition | null {
    if (header === undefined) return null;
    const text = (Array.isArray(header) ? header.join(', ') : header).trim();
    if (text === '*') return new VersionPrecondition(true, new Set(), text);
    const strong = new Set<string>();
    for (const item of splitTags(text)) {
      const m = ENTITY_TAG.exec(item);
      if (!m)
        throw new DomainException(DomainErrorCode.InvalidIfMatch, [
          `If-Match: ${JSON.stringify(item)} is not an entity tag; send "*" or the ETag as answered, e.g. "7"`,
        ]);
      if (!m[1]) strong.add(m[2]);
    }
    return new VersionPrecondition(false, strong, text);
  }

  /** The ETag header value for a version. */
  static etag(version: number): string {
    return `"${version}"`;
  }

  matches(version: number): boolean {
    return this.any || this.versions.has(String(version));
  }

  /** Throws 412 VERSION_MISMATCH naming the current version unless it matches. */
  assert(id: number, version: number): void {
    if (!this.matches(version)) {
      throw new DomainException(
        DomainErrorCode.VersionMismatch,
        `subscription ${id} is at version ${version}, not ${this.text.replace(/"/g, '')}; read it again and reapply your change`,
      );
    }
  }
}

/** Splits a list of entity tags on the commas between them (an opaque tag may hold a comma). */
function splitTags(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') quoted = !quoted;
    else if (text[i] === ',' && !quoted) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(text.slice(start).trim());
  return out.filter((s) => s.length > 0);
}

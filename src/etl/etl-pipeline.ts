import { isUtf8 } from 'node:buffer';
import { DeadLetterReason } from '../dead-letters/dead-letter-reason.enum';
import type { EtlSpec } from './etl-spec';
import { FilterRule } from './filter-rule';
import { JsonPath, MISSING } from './json-path';

export type EtlOutcome =
  | { readonly kind: 'deliver'; readonly body: Buffer | string }
  | { readonly kind: 'filtered' }
  | { readonly kind: 'reject'; readonly reason: DeadLetterReason; readonly error: string };

const FILTERED: EtlOutcome = { kind: 'filtered' };

/**
 * Filter + projection for one config version, compiled once. Without `fields` the original
 * bytes are sent untouched, so the common pass-through case costs one JSON.parse.
 */
export class EtlPipeline {
  private constructor(
    private readonly rules: readonly FilterRule[],
    private readonly fieldNames: readonly string[],
    private readonly fieldPaths: readonly JsonPath[],
  ) {}

  static compile(spec: EtlSpec | null | undefined): EtlPipeline {
    const rules = (spec?.filter ?? []).map((r) => FilterRule.compile(r));
    const entries = Object.entries(spec?.fields ?? {});
    return new EtlPipeline(
      rules,
      entries.map(([name]) => name),
      entries.map(([, path]) => JsonPath.compile(path)),
    );
  }

  apply(value: Buffer): EtlOutcome {
    // Decoding would silently turn bad bytes into U+FFFD and deliver altered data.
    if (!isUtf8(value)) return { kind: 'reject', reason: DeadLetterReason.NotJson, error: 'value is not valid UTF-8, so it cannot be JSON' };
    let doc: unknown;
    try {
      doc = JSON.parse(value.toString('utf8'));
    } catch (err) {
      return { kind: 'reject', reason: DeadLetterReason.NotJson, error: `value is not JSON: ${(err as Error).message}` };
    }
    for (let i = 0; i < this.rules.length; i++) {
      if (!this.rules[i].matches(doc)) return FILTERED;
    }
    if (this.fieldPaths.length === 0) return { kind: 'deliver', body: value };
    const out: Record<string, unknown> = {};
    for (let i = 0; i < this.fieldPaths.length; i++) {
      const v = this.fieldPaths[i].get(doc);
      if (v === MISSING) {
        return {
          kind: 'reject',
          reason: DeadLetterReason.PathNotMatched,
          error: `fields.${this.fieldNames[i]}: JSONPath ${this.fieldPaths[i].source} matched nothing in the value`,
        };
      }
      out[this.fieldNames[i]] = v;
    }
    return { kind: 'deliver', body: JSON.stringify(out) };
  }
}

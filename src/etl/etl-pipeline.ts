import { isUtf8 } from 'node:buffer';
import { ExactJson } from '../common/json/exact-json';
import { JsonDepth } from '../common/json/json-depth';
import { DeadLetterReason } from '../model/dead-letter-reason.enum';
import type { EtlSpec } from '../model/etl-spec';
import { FilterRule } from './filter-rule';
import { JsonPath, MISSING } from '../model/json-path';

export type EtlOutcome =
  | { readonly kind: 'deliver'; readonly body: Buffer | string }
  | { readonly kind: 'filtered' }
  | { readonly kind: 'reject'; readonly reason: DeadLetterReason; readonly error: string };

const FILTERED: EtlOutcome = { kind: 'filtered' };

/**
 * Filter + projection for one config version, compiled once. Without `fields` the original
 * bytes are sent untouched, so the common pass-through case costs one JSON.parse.
 *
 * Numbers are exact (ExactJson): when fields are projected or a rule compares numbers, the
 * value is scanned for numbers a double would alter (64-bit ids, long decimals, 1e400, 1.50)
 * and, only if there is one, parsed again keeping their text; projected fields then carry
 * that text verbatim. Other records, and every record of a pipeline that needs no exactness,
 * take the JSON.parse path alone.
 *
 * apply() never throws: when rules or fields walk the value, one nested deeper than
 * JsonDepth.MAX_ACCEPTED (512 levels) is rejected before anything walks it (a value passed
 * through untouched may nest deeper), and an exception from a rule or a projection (a filter script meeting a type it did not
 * expect) rejects the record as `etl_error`. Both are properties of the record, so retrying it
 * would fail the same way.
 */
export class EtlPipeline {
  private readonly exact: boolean;
  /** Whether anything walks the parsed value: rules or fields. */
  private readonly walks: boolean;

  private constructor(
    private readonly rules: readonly FilterRule[],
    private readonly fieldNames: readonly string[],
    private readonly fieldPaths: readonly JsonPath[],
  ) {
    this.exact = fieldPaths.length > 0 || rules.some((r) => r.numberSensitive);
    this.walks = rules.length > 0 || fieldPaths.length > 0;
  }

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
    const text = value.toString('utf8');
    try {
      doc = JSON.parse(text);
    } catch (err) {
      return { kind: 'reject', reason: DeadLetterReason.NotJson, error: `value is not JSON: ${(err as Error).message}` };
    }
    // Passed through untouched, the value is never walked, so its depth cannot hurt.
    if (!this.walks) return { kind: 'deliver', body: value };
    const flags = this.exact ? ExactJson.inspect(text, JsonDepth.MAX_ACCEPTED) : JsonDepth.exceeds(text, JsonDepth.MAX_ACCEPTED) ? ExactJson.TOO_DEEP : 0;
    if (flags & ExactJson.TOO_DEEP) {
      return { kind: 'reject', reason: DeadLetterReason.TooDeep, error: `value nests deeper than ${JsonDepth.MAX_ACCEPTED} levels of arrays and objects` };
    }
    try {
      return this.transform(value, text, doc, (flags & ExactJson.INEXACT) !== 0);
    } catch (err) {
      return { kind: 'reject', reason: DeadLetterReason.EtlError, error: `ETL failed on the value: ${describe(err)}` };
    }
  }

  private transform(value: Buffer, text: string, doc: unknown, lossless: boolean): EtlOutcome {
    if (lossless) doc = ExactJson.parseValid(text);
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
    return { kind: 'deliver', body: (lossless ? ExactJson.stringify(out) : JSON.stringify(out)) as string };
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`.slice(0, 500);
  return String(err).slice(0, 500);
}

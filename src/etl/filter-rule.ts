import { ExactJson } from '../common/json/exact-json';
import { JsonNumber } from '../common/json/json-number';
import type { FilterRuleSpec } from '../model/etl-spec';
import { JsonPath, MISSING } from '../model/json-path';
import { LinearRegex } from './linear-regex';

type Test = (value: unknown) => boolean;

/**
 * One compiled rule. For a multi-match path (wildcards, filters) eq/in/regex hold when any
 * match satisfies them and neq holds when none equals. Equality is deep, with numbers compared
 * by exact decimal value (ExactJson.equal: 1.50 eq 1.5, 9007199254740993 neq 9007199254740992);
 * regex tests a number's original text, in linear time (LinearRegex: RE2 syntax). Both need
 * the record parsed with exact numbers, which `numberSensitive` tells the pipeline.
 */
export class FilterRule {
  private constructor(
    private readonly path: JsonPath,
    private readonly test: (found: unknown) => boolean,
    /** Whether the outcome can depend on digits a double would lose. */
    readonly numberSensitive: boolean,
  ) {}

  /** Throws an Error saying what is wrong when the path or a regex pattern does not compile. */
  static compile(spec: FilterRuleSpec): FilterRule {
    const path = JsonPath.compile(spec.path);
    const multi = !path.plain;
    const any = (t: Test): ((found: unknown) => boolean) =>
      multi ? (found) => found !== MISSING && (found as unknown[]).some(t) : (found) => found !== MISSING && t(found);
    const numeric = holdsNumber(spec.value);
    switch (spec.op) {
      case 'eq':
        return new FilterRule(path, any(equalTo(spec.value)), numeric);
      case 'neq': {
        const holds = any(equalTo(spec.value));
        return new FilterRule(path, (found) => !holds(found), numeric);
      }
      case 'in': {
        const options = (spec.value as unknown[]).map(equalTo);
        return new FilterRule(
          path,
          any((v) => options.some((t) => t(v))),
          numeric,
        );
      }
      case 'exists': {
        const wanted = spec.value === undefined ? true : Boolean(spec.value);
        return new FilterRule(path, (found) => (found !== MISSING) === wanted, false);
      }
      case 'regex': {
        const re = LinearRegex.compile(spec.value as string);
        return new FilterRule(
          path,
          any((v) => {
            const text = typeof v === 'string' ? v : typeof v === 'boolean' ? String(v) : ExactJson.numberText(v);
            return text !== null && re.test(text);
          }),
          true,
        );
      }
    }
  }

  /** Message naming what is wrong with a rule, or null; for validators. */
  static problem(spec: FilterRuleSpec): string | null {
    const pathProblem = JsonPath.problem(spec.path);
    if (pathProblem) return pathProblem;
    switch (spec.op) {
      case 'eq':
      case 'neq':
        return spec.value === undefined ? `op "${spec.op}" needs a value` : null;
      case 'in':
        return Array.isArray(spec.value) && spec.value.length > 0 ? null : 'op "in" needs a non-empty array value';
      case 'exists':
        return spec.value === undefined || typeof spec.value === 'boolean' ? null : 'op "exists" takes an optional boolean value';
      case 'regex':
        if (typeof spec.value !== 'string') return 'op "regex" needs a string value';
        {
          const problem = LinearRegex.problem(spec.value);
          return problem && `value ${problem}`;
        }
      default:
        return `unknown op "${String((spec as { op: unknown }).op)}"`;
    }
  }

  matches(root: unknown): boolean {
    return this.test(this.path.get(root));
  }
}

function equalTo(expected: unknown): Test {
  if (typeof expected === 'number' || expected instanceof JsonNumber) {
    const key = JsonNumber.keyOf(expected);
    return (v) =>
      v === expected || (v instanceof JsonNumber ? v.key === key : typeof v === 'number' && typeof expected !== 'number' && JsonNumber.keyOf(v) === key);
  }
  if (expected === null || typeof expected !== 'object') return (v) => v === expected;
  return (v) => ExactJson.equal(v, expected);
}

/** Whether a rule value holds a number anywhere (only then can exactness change an equality). */
function holdsNumber(value: unknown): boolean {
  if (typeof value === 'number' || value instanceof JsonNumber) return true;
  if (value === null || typeof value !== 'object') return false;
  return Object.values(value).some(holdsNumber);
}

import { isDeepStrictEqual } from 'node:util';
import type { FilterRuleSpec } from './etl-spec';
import { JsonPath, MISSING } from './json-path';

type Test = (value: unknown) => boolean;

/**
 * One compiled rule. For a multi-match path (wildcards, filters) eq/in/regex hold when any
 * match satisfies them and neq holds when none equals.
 */
export class FilterRule {
  private constructor(
    private readonly path: JsonPath,
    private readonly test: (found: unknown) => boolean,
  ) {}

  static compile(spec: FilterRuleSpec): FilterRule {
    const path = JsonPath.compile(spec.path);
    const multi = !path.plain;
    const any = (t: Test): ((found: unknown) => boolean) =>
      multi ? (found) => found !== MISSING && (found as unknown[]).some(t) : (found) => found !== MISSING && t(found);
    switch (spec.op) {
      case 'eq':
        return new FilterRule(path, any(equalTo(spec.value)));
      case 'neq': {
        const holds = any(equalTo(spec.value));
        return new FilterRule(path, (found) => !holds(found));
      }
      case 'in': {
        const options = (spec.value as unknown[]).map(equalTo);
        return new FilterRule(path, any((v) => options.some((t) => t(v))));
      }
      case 'exists': {
        const wanted = spec.value === undefined ? true : Boolean(spec.value);
        return new FilterRule(path, (found) => (found !== MISSING) === wanted);
      }
      case 'regex': {
        const re = new RegExp(String(spec.value));
        return new FilterRule(
          path,
          any((v) => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') && re.test(String(v))),
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
        try {
          new RegExp(spec.value);
          return null;
        } catch (err) {
          return `value is not a valid regular expression: ${(err as Error).message}`;
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
  if (expected === null || typeof expected !== 'object') return (v) => v === expected;
  return (v) => isDeepStrictEqual(v, expected);
}

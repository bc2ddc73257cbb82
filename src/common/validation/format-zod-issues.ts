import type { core } from 'zod';
import type { FieldProblem } from '../errors/domain.exception';

/**
 * One problem per invalid field: the issue's path joined with dots ("endpoint.url",
 * "etl.filter.0.op"; "body" for the whole body) and its message. An unknown key is named as a
 * field of its own ("colour", "is not a known field").
 */
export function zodFieldProblems(issues: readonly core.$ZodIssue[]): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const base = issue.path.length ? issue.path.join('.') + '.' : '';
      for (const key of issue.keys) problems.push({ path: `${base}${key}`, message: 'is not a known field' });
      continue;
    }
    problems.push({ path: issue.path.length ? issue.path.map(String).join('.') : 'body', message: issue.message });
  }
  return problems;
}

/** "endpoint.url: must use http or https" style lines, one per issue. */
export function formatZodIssues(issues: readonly core.$ZodIssue[]): string[] {
  return zodFieldProblems(issues).map((p) => `${p.path}: ${p.message}`);
}

/** Error map for parse calls: a missing field reads "is required" rather than a type error. */
export const requiredFieldError = (issue: core.$ZodRawIssue): string | undefined =>
  issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined;

import type { core } from 'zod';

/** "endpoint.url: must use http or https" style lines, one per issue. */
export function formatZodIssues(issues: readonly core.$ZodIssue[]): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const base = issue.path.length ? issue.path.join('.') + '.' : '';
      for (const key of issue.keys) lines.push(`${base}${key}: is not a known field`);
      continue;
    }
    const path = issue.path.length ? issue.path.map(String).join('.') : 'body';
    lines.push(`${path}: ${issue.message}`);
  }
  return lines;
}

/** Error map for parse calls: a missing field reads "is required" rather than a type error. */
export const requiredFieldError = (issue: core.$ZodRawIssue): string | undefined =>
  issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined;

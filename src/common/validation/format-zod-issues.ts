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

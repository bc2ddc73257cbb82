import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The directory holding kproxy's package.json, found by walking up from this file (src/ or dist/src/). */
export function packageRoot(): string | undefined {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  return undefined;
}

/** The package version. */
export function appVersion(): string {
  const root = packageRoot();
  return root ? (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version : 'unknown';
}

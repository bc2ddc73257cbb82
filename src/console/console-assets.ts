import { readdir, readFile } from 'node:fs/promises';
import { dirname, extname, join, relative, sep } from 'node:path';
import { packageRoot } from '../config/app-version';

export interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * The console's files: every file under src/console/public (index.html, style.css and the ES
 * modules in its subfolders, by their path there with "/" separators, e.g. "pages/tickets.js"),
 * and the three libraries they import (as vendor/*.mjs).
 */
export class ConsoleAssets {
  private readonly files = new Map<string, Asset>();
  /**
   * The exact text of each inline <script> of index.html (its import map: browsers take import
   * maps only inline), for the Content-Security-Policy to allow by hash.
   */
  readonly inlineScripts: string[] = [];

  /**
   * Reads every file once (at module init), so requests never touch the disk. Throws when the
   * package root, index.html or a library cannot be found, or when a file in the public folder
   * has a type the console does not serve (so it is noticed at start, not as a 404).
   */
  static async load(): Promise<ConsoleAssets> {
    const assets = new ConsoleAssets();
    const root = packageRoot();
    if (!root) throw new Error('cannot find the kproxy package root for the console files');
    const publicDir = join(root, 'src', 'console', 'public');
    const sources: Record<string, string> = {};
    for (const file of await filesUnder(publicDir)) sources[relative(publicDir, file).split(sep).join('/')] = file;
    // Their "exports" hide dist/ paths; the ES module builds sit beside the CommonJS ones.
    sources['vendor/preact.mjs'] = join(dirname(require.resolve('preact')), 'preact.module.js');
    sources['vendor/hooks.mjs'] = join(dirname(require.resolve('preact/hooks')), 'hooks.module.js');
    sources['vendor/htm.mjs'] = join(dirname(require.resolve('htm')), 'htm.module.js');
    for (const [name, file] of Object.entries(sources)) {
      const type = TYPES[extname(name)];
      if (!type) throw new Error(`console file ${name} has a type the console does not serve (${Object.keys(TYPES).join(', ')})`);
      assets.files.set(name, { body: await readFile(file), type });
    }
    const index = assets.files.get('index.html');
    if (!index) throw new Error(`no index.html in ${publicDir}`);
    for (const m of index.body.toString('utf8').matchAll(/<script\b(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/gi)) assets.inlineScripts.push(m[1]);
    return assets;
  }

  /** The file served under /console/<name> (name as listed above), if there is one. */
  get(name: string): Asset | undefined {
    return this.files.get(name);
  }

  /** Every name served, sorted. */
  names(): string[] {
    return [...this.files.keys()].sort();
  }
}

/** Every regular file below `dir`, at any depth, but for hidden ones (an editor's swap files). */
async function filesUnder(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await filesUnder(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

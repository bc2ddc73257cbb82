import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
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

/** The console's files: its own from src/console/public, and the two libraries it imports. */
export class ConsoleAssets {
  private readonly files = new Map<string, Asset>();
  /**
   * The exact text of each inline <script> of index.html (its import map: browsers take import
   * maps only inline), for the Content-Security-Policy to allow by hash.
   */
  readonly inlineScripts: string[] = [];

  /** Reads every file once (at module init), so requests never touch the disk. */
  static async load(): Promise<ConsoleAssets> {
    const assets = new ConsoleAssets();
    const root = packageRoot();
    if (!root) throw new Error('cannot find the kproxy package root for the console files');
    const publicDir = join(root, 'src', 'console', 'public');
    const sources: Record<string, string> = {
      'index.html': join(publicDir, 'index.html'),
      'app.js': join(publicDir, 'app.js'),
      'style.css': join(publicDir, 'style.css'),
      // Their "exports" hide dist/ paths; the ES module builds sit beside the CommonJS ones.
      'vendor/preact.mjs': join(dirname(require.resolve('preact')), 'preact.module.js'),
      'vendor/hooks.mjs': join(dirname(require.resolve('preact/hooks')), 'hooks.module.js'),
      'vendor/htm.mjs': join(dirname(require.resolve('htm')), 'htm.module.js'),
    };
    for (const [name, file] of Object.entries(sources)) {
      const ext = name.slice(name.lastIndexOf('.'));
      assets.files.set(name, { body: await readFile(file), type: TYPES[ext] });
    }
    const page = assets.files.get('index.html')!.body.toString('utf8');
    for (const m of page.matchAll(/<script\b(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/gi)) assets.inlineScripts.push(m[1]);
    return assets;
  }

  get(name: string): Asset | undefined {
    return this.files.get(name);
  }
}

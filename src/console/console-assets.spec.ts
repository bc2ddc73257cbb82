import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { readdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, posix, relative, sep } from 'node:path';
import { ConsoleAssets } from './console-assets';
import { ConsoleModule } from './console.module';

const PUBLIC = join(__dirname, 'public');

/** The files under public/, by their path there, found independently of ConsoleAssets. */
const publicFiles = (): string[] =>
  readdirSync(PUBLIC, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(PUBLIC, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();

/** The specifiers of a module's static imports (type-only imports live in JSDoc comments and do not run). */
const importsOf = (source: string): string[] => [...source.matchAll(/^import\s(?:[^'"]*?\sfrom\s*)?['"]([^'"]+)['"]/gm)].map((m) => m[1]);

describe('ConsoleAssets', () => {
  let assets: ConsoleAssets;
  beforeAll(async () => {
    assets = await ConsoleAssets.load();
  });

  it('serves every file of the public folder, at any depth, and the three libraries', () => {
    const own = publicFiles();
    expect(own).toEqual(expect.arrayContaining(['index.html', 'app.js', 'style.css', 'api/client.js', 'pages/tickets.js']));
    expect(assets.names()).toEqual([...own, 'vendor/hooks.mjs', 'vendor/htm.mjs', 'vendor/preact.mjs'].sort());
    expect(assets.get('pages/tickets.js')?.type).toBe('text/javascript; charset=utf-8');
    expect(assets.get('style.css')?.type).toBe('text/css; charset=utf-8');
    expect(assets.get('vendor/preact.mjs')?.body.toString()).toContain('export');
  });

  it('takes the import map as the one inline script, and it maps every library the modules import', () => {
    expect(assets.inlineScripts).toHaveLength(1);
    const map = (JSON.parse(assets.inlineScripts[0]) as { imports: Record<string, string> }).imports;
    for (const target of Object.values(map)) expect(assets.get(target.replace(/^\/console\//, ''))).toBeDefined();
    const bare = new Set<string>();
    for (const name of assets.names().filter((n) => n.endsWith('.js'))) {
      for (const spec of importsOf(assets.get(name)!.body.toString('utf8'))) {
        if (spec.startsWith('.')) {
          // A relative import resolves against the importing module's URL (/console/<name>).
          const target = posix.normalize(posix.join(posix.dirname(name), spec));
          expect({ name, spec, served: assets.get(target) !== undefined }).toEqual({ name, spec, served: true });
        } else bare.add(spec);
      }
    }
    expect([...bare].sort()).toEqual(Object.keys(map).sort());
  });

  it('has every module of the console type-checked (// @ts-check first, for tsconfig.console.json)', () => {
    for (const name of assets.names().filter((n) => n.endsWith('.js'))) {
      expect({ name, first: assets.get(name)!.body.toString('utf8').split('\n')[0] }).toEqual({ name, first: '// @ts-check' });
    }
  });
});

describe('ConsoleController', () => {
  let app: INestApplication;
  let base: string;
  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [ConsoleModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(() => app?.close());

  it('serves the page at /, nested modules uncached, libraries cached for a day, and nothing else', async () => {
    const assets = app.get(ConsoleAssets);
    const page = await fetch(`${base}/`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toBe(assets.get('index.html')!.body.toString('utf8'));
    const module = await fetch(`${base}/console/pages/tickets.js`);
    expect(module.status).toBe(200);
    expect(module.headers.get('cache-control')).toBe('no-cache');
    expect(module.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await module.text()).toBe(assets.get('pages/tickets.js')!.body.toString('utf8'));
    const library = await fetch(`${base}/console/vendor/preact.mjs`);
    expect(library.status).toBe(200);
    expect(library.headers.get('cache-control')).toBe('public, max-age=86400');
    for (const path of ['/console/nope.js', '/console/pages/', '/console/%2e%2e/console.controller.ts', '/console/pages/..%2f..%2fconsole-assets.ts']) {
      expect({ path, status: (await fetch(base + path)).status }).toEqual({ path, status: 404 });
    }
  });
});

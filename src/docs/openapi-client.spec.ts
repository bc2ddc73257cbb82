import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { buildOpenApiDocument } from './openapi.document';

const ROOT = join(__dirname, '..', '..');

/**
 * openapi-typescript's programmatic API (openapiTS, astToString). It runs in a child Node:
 * its dependencies are ES modules, which Jest's CommonJS module loader cannot load.
 */
const GENERATE = `
import openapiTS, { astToString } from 'openapi-typescript';
import { readFileSync, writeFileSync } from 'node:fs';
const [, documentPath, typesPath] = process.argv;
const document = JSON.parse(readFileSync(documentPath, 'utf8'));
writeFileSync(typesPath, astToString(await openapiTS(document)));
`;

/** A client of GET /api/subscriptions/{id} typed only by the generated types, reading `code` and `fields` off an error. */
const CLIENT = `
import type { components, paths } from './api';

type Route = paths['/api/subscriptions/{id}']['get'];
type Subscription = Route['responses'][200]['content']['application/json'];
type ApiError = components['schemas']['Error'];

export type Read =
  | { ok: true; subscription: Subscription; etag: string | null }
  | { ok: false; status: number; code: ApiError['code']; fields: NonNullable<ApiError['fields']> };

export async function readSubscription(base: string, token: string, id: Route['parameters']['path']['id']): Promise<Read> {
  const res = await fetch(base + '/api/subscriptions/' + id, { headers: { authorization: 'Bearer ' + token } });
  if (res.ok) return { ok: true, subscription: (await res.json()) as Subscription, etag: res.headers.get('etag') };
  const error = (await res.json()) as ApiError;
  return { ok: false, status: error.statusCode, code: error.code, fields: error.fields ?? [] };
}

export function explain(read: Read): string {
  if (!read.ok) {
    switch (read.code) {
      case 'SUBSCRIPTION_NOT_FOUND':
        return 'it was deleted';
      case 'VALIDATION_FAILED':
        return read.fields.map((f) => f.path + ': ' + f.message).join('\\n');
      default:
        return read.code + ' (' + read.status + ')';
    }
  }
  const s = read.subscription;
  return s.view === 'full' ? s.name + ' sends to ' + s.endpoint.url + ' (version ' + s.version + ')' : s.name + ' reads ' + s.kafka.topic;
}

// A 404 of this route answers the Error schema too.
export const gone: Route['responses'][404]['content']['application/json']['code'] = 'SUBSCRIPTION_NOT_FOUND';
`;

/** What a client written against the document must not get away with. */
const MISUSE = `
import type { components, paths } from './api';
type Subscription = paths['/api/subscriptions/{id}']['get']['responses'][200]['content']['application/json'];
export const code: components['schemas']['Error']['code'] = 'NO_SUCH_CODE';
export const url = (s: Subscription) => s.endpoint.url;
`;

/** Diagnostics of compiling `file` strictly, with the DOM's fetch and no other types. */
function compile(file: string): string[] {
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: [],
  });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('a client generated from the OpenAPI document', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kproxy-openapi-'));
    writeFileSync(join(dir, 'openapi.json'), JSON.stringify(buildOpenApiDocument('1.2.3')));
    execFileSync(process.execPath, ['--input-type=module', '-e', GENERATE, join(dir, 'openapi.json'), join(dir, 'api.ts')], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('compiles strictly, reading answers and error codes by their generated types', () => {
    writeFileSync(join(dir, 'client.ts'), CLIENT);
    expect(compile(join(dir, 'client.ts'))).toEqual([]);
  }, 60_000);

  it('refuses a code the API does not have, and a full-view field of a subscription not known to be full', () => {
    writeFileSync(join(dir, 'misuse.ts'), MISUSE);
    const diagnostics = compile(join(dir, 'misuse.ts'));
    expect(diagnostics).toEqual([expect.stringContaining('"NO_SUCH_CODE"'), expect.stringContaining("Property 'endpoint' does not exist")]);
  }, 60_000);
});

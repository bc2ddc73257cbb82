import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

interface FieldProblem {
  path: string;
  message: string;
}
interface ApiErrorLike extends Error {
  status: number;
  messages: string[];
  fields: FieldProblem[] | null;
  code: string | null;
}
interface ApiErrorModule {
  ApiError: { fromBody(status: number, body: unknown): ApiErrorLike };
  placeErrors(
    err: unknown,
    place: (path: string, message: string) => { key: string; text: string } | null,
  ): { byKey: Record<string, string>; general: string[] };
}

/**
 * The console's api/api-error.js, a browser ES module with no imports at run time, compiled
 * to CommonJS here so this Node suite can call it as the page does.
 */
function loadApiErrorModule(): ApiErrorModule {
  const source = readFileSync(join(__dirname, 'public', 'api', 'api-error.js'), 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
  const module = { exports: {} as ApiErrorModule };
  new Function('module', 'exports', outputText)(module, module.exports);
  return module.exports;
}

describe('console api-error.js', () => {
  const { ApiError, placeErrors } = loadApiErrorModule();
  const FIELDS = { 'endpoint.url': 'url', name: 'name' } as Record<string, string>;
  const place = (path: string, message: string) => {
    for (const [apiPath, key] of Object.entries(FIELDS)) {
      if (path === apiPath) return { key, text: message };
      if (path.startsWith(`${apiPath}.`)) return { key, text: `${path.slice(apiPath.length + 1)}: ${message}` };
    }
    return null;
  };

  it("reads both error bodies: today's message list, and the one with code and fields", () => {
    const today = ApiError.fromBody(400, { statusCode: 400, error: 'Bad Request', message: ['endpoint.url: must use http or https', 'name: is required'] });
    expect({ status: today.status, messages: today.messages, fields: today.fields, code: today.code, message: today.message }).toEqual({
      status: 400,
      messages: ['endpoint.url: must use http or https', 'name: is required'],
      fields: null,
      code: null,
      message: 'endpoint.url: must use http or https; name: is required',
    });
    const structured = ApiError.fromBody(400, {
      statusCode: 400,
      error: 'Bad Request',
      message: ['endpoint.url: must use http or https'],
      code: 'INVALID_INPUT',
      fields: [
        { path: 'endpoint.url', message: 'must use http or https' },
        { path: 7, message: 'not a field' },
      ],
    });
    expect({ fields: structured.fields, code: structured.code }).toEqual({
      fields: [{ path: 'endpoint.url', message: 'must use http or https' }],
      code: 'INVALID_INPUT',
    });
    const conflict = ApiError.fromBody(409, { statusCode: 409, error: 'Conflict', message: 'a subscription named x exists' });
    expect(conflict.messages).toEqual(['a subscription named x exists']);
    // A proxy's HTML error page in front of kproxy: only the status is known.
    expect(ApiError.fromBody(502, '<html>Bad Gateway</html>').message).toBe('HTTP 502');
  });

  it("puts the server's fields beside their inputs, and keeps every other problem and line for the general list", () => {
    const err = ApiError.fromBody(400, {
      statusCode: 400,
      error: 'Bad Request',
      message: ['endpoint.url: must use http or https', 'name.first: too long', 'delivery.maxRetries: must be 0 or more', 'the team quota is 3'],
      code: 'INVALID_INPUT',
      fields: [
        { path: 'endpoint.url', message: 'must use http or https' },
        { path: 'name.first', message: 'too long' },
        { path: 'delivery.maxRetries', message: 'must be 0 or more' },
      ],
    });
    expect(placeErrors(err, place)).toEqual({
      byKey: { url: 'must use http or https', name: 'first: too long' },
      general: ['delivery.maxRetries: must be 0 or more', 'the team quota is 3'],
    });
  });

  it('without fields, reads each "path: problem" line of the message list as one', () => {
    const err = ApiError.fromBody(400, {
      statusCode: 400,
      error: 'Bad Request',
      message: [
        'endpoint.url: scheme "ftp" is not allowed: use http or https',
        'endpoint.url: has a space',
        'body: must be a JSON object',
        'x-kproxy-actor header: must be 1-128 printable characters',
      ],
    });
    expect(placeErrors(err, place)).toEqual({
      byKey: { url: 'scheme "ftp" is not allowed: use http or https; has a space' },
      general: ['body: must be a JSON object', 'x-kproxy-actor header: must be 1-128 printable characters'],
    });
  });

  it('always says something: an error without messages, or one that is not from the API, goes to the general list', () => {
    expect(placeErrors(ApiError.fromBody(500, null), place)).toEqual({ byKey: {}, general: ['HTTP 500'] });
    expect(placeErrors(new TypeError('boom'), place)).toEqual({ byKey: {}, general: ['boom'] });
  });
});

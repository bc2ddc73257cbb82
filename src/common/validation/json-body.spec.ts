import type { Request, RequestHandler, Response } from 'express';
import { DomainException } from '../errors/domain.exception';
import { JsonNumber } from '../json/json-number';
import { jsonBody, MAX_BODY_DEPTH } from './json-body';

/** Runs the parsing step on a raw body; resolves the parsed body or the error passed on. */
function parse(source: string): { body?: unknown; error?: unknown } {
  const step = jsonBody('1mb')[3] as RequestHandler;
  const req = { body: source } as Request;
  let error: unknown;
  step(req, {} as Response, (err?: unknown) => void (error = err));
  return error === undefined ? { body: req.body } : { error };
}

describe('jsonBody parsing', () => {
  it('keeps numbers a double would alter exactly', () => {
    const { body } = parse('{"value": 9007199254740993}');
    expect((body as { value: JsonNumber }).value).toBeInstanceOf(JsonNumber);
  });

  it(`refuses a body nested deeper than ${MAX_BODY_DEPTH} levels with a 400 before anything walks it`, () => {
    const deep = '{"etl":{"filter":[{"path":"$.a","op":"eq","value":' + '['.repeat(20_000) + '1.50' + ']'.repeat(20_000) + '}]}}';
    const { error } = parse(deep);
    expect(error).toBeInstanceOf(DomainException);
    expect(error).toMatchObject({ code: 'BODY_TOO_DEEP', details: [`body: nests deeper than ${MAX_BODY_DEPTH} levels of arrays and objects`] });
    expect(parse('{"a":' + '['.repeat(MAX_BODY_DEPTH - 1) + ']'.repeat(MAX_BODY_DEPTH - 1) + '}').body).toBeDefined();
  });

  it('refuses a lone surrogate anywhere in the body, naming where, and keeps a pair', () => {
    const refused = (source: string) => (parse(source).error as DomainException).details;
    expect(parse('{"requester":"\\ud800"}').error).toMatchObject({ code: 'INVALID_JSON' });
    expect(refused('{"requester":"\\ud800"}')).toEqual([
      'body.requester: holds a lone UTF-16 surrogate (a \\uD800-\\uDFFF escape without its pair); it cannot be stored as UTF-8 — send well-formed text',
    ]);
    expect(refused('{"etl":{"filter":[{"path":"$.a","op":"eq","value":"x\\udc00"}]}}')[0]).toMatch(/^body\.etl\.filter\[0\]\.value: holds a lone/);
    expect(refused('{"endpoint":{"headers":{"x-\\ud83d":"v"}}}')[0]).toMatch(/^body\.endpoint\.headers \(a key\): holds a lone/);
    expect(parse('{"reason":"\\ud83d\\ude42 \\u00e9"}').body).toEqual({ reason: '🙂 é' });
  });
});

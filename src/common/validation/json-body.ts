import { text, type ErrorRequestHandler, type RequestHandler } from 'express';
import { ExactJson } from '../json/exact-json';
import { JsonDepth } from '../json/json-depth';
import { DomainErrorCode } from '../errors/domain-error-code.enum';
import { DomainException } from '../errors/domain.exception';

/**
 * JSON request bodies and responses with exact numbers, as express middleware (in order).
 *
 * Bodies (`application/json`, up to `limit`, e.g. "1mb") are parsed by ExactJson, so a number a
 * double would alter (a 64-bit filter value, 0.1000000000000000055511151231257827) reaches
 * validation as JsonNumber with its text; an empty body is `{}` and the top level must be an
 * object or array, as with express.json(). Failures become domain errors, so a malformed body
 * gets the same 400 shape as every other invalid input, saying what is wrong (INVALID_JSON,
 * BODY_TOO_LARGE, BODY_TOO_DEEP).
 * Responses holding a JsonNumber are written by ExactJson.stringify (the digits as given);
 * others by express as before. Bodies nesting deeper than MAX_BODY_DEPTH levels are refused
 * before they are parsed: the checks and answers that walk them recurse.
 */
/** Deepest nesting of an admin request body, in levels (a subscription needs about 6). */
export const MAX_BODY_DEPTH = 64;

export function jsonBody(limit: string): Array<RequestHandler | ErrorRequestHandler> {
  const parse: RequestHandler = (req, _res, next) => {
    if (typeof req.body !== 'string') return next();
    const source = req.body;
    if (source.trim() === '') {
      req.body = {};
      return next();
    }
    if (!/^[\s]*[[{]/.test(source)) {
      return next(new DomainException(DomainErrorCode.InvalidJson, ['body: is not valid JSON (the top level must be an object or an array)']));
    }
    // Validation, storage and answers walk the body recursively; no config needs this depth.
    if (JsonDepth.exceeds(source, MAX_BODY_DEPTH)) {
      return next(new DomainException(DomainErrorCode.BodyTooDeep, [`body: nests deeper than ${MAX_BODY_DEPTH} levels of arrays and objects`]));
    }
    try {
      req.body = ExactJson.parse(source);
    } catch (err) {
      return next(new DomainException(DomainErrorCode.InvalidJson, [`body: is not valid JSON (${(err as Error).message})`]));
    }
    // Only a \u escape can spell a lone surrogate in UTF-8 text; MySQL's utf8mb4 would store it as U+FFFD.
    const bad = source.includes('\\u') ? illFormedAt(req.body, 'body') : null;
    if (bad)
      return next(
        new DomainException(DomainErrorCode.InvalidJson, [
          `${bad}: holds a lone UTF-16 surrogate (a \\uD800-\\uDFFF escape without its pair); it cannot be stored as UTF-8 — send well-formed text`,
        ]),
      );
    next();
  };
  // body-parser's errors (https://github.com/expressjs/body-parser#errors) are not Nest
  // exceptions: unmapped, an unknown charset or a cut-off body would be answered 500.
  const toDomain: ErrorRequestHandler = (err: { type?: string; message?: string; status?: number; expose?: boolean }, _req, _res, next) => {
    if (err?.type === 'entity.too.large') {
      next(new DomainException(DomainErrorCode.BodyTooLarge, [`body: is larger than the ${limit} limit`]));
    } else if (err?.type === 'charset.unsupported' || err?.type === 'encoding.unsupported') {
      next(new DomainException(DomainErrorCode.UnsupportedMediaType, [`body: ${err.message ?? 'cannot be decoded'}`]));
    } else if (err?.expose && typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
      // request.aborted, request.size.invalid (Content-Length disagrees with the body), and the like.
      next(new DomainException(DomainErrorCode.InvalidInput, [`body: ${err.message ?? 'could not be read'}`]));
    } else {
      next(err);
    }
  };
  const exactResponses: RequestHandler = (_req, res, next) => {
    const plain = res.json.bind(res);
    res.json = (body: unknown) => (ExactJson.holdsExact(body) ? res.type('application/json').send(ExactJson.stringify(body)) : plain(body));
    next();
  };
  return [exactResponses, text({ type: 'application/json', limit }), toDomain, parse];
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The path of the first key or string that is not well-formed UTF-16 (a lone surrogate), or null. */
export function illFormedAt(value: unknown, path: string): string | null {
  const stack: Array<[unknown, string]> = [[value, path]];
  while (stack.length) {
    const [v, at] = stack.pop()!;
    if (typeof v === 'string') {
      if (LONE_SURROGATE.test(v)) return at;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${at}[${i}]`]);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        if (LONE_SURROGATE.test(k)) return `${at} (a key)`;
        stack.push([child, `${at}.${k}`]);
      }
    }
  }
  return null;
}

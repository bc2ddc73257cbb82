import { json, type ErrorRequestHandler, type RequestHandler } from 'express';
import { DomainErrorCode } from '../errors/domain-error-code.enum';
import { DomainException } from '../errors/domain.exception';

/**
 * JSON body parsing whose failures become domain errors, so a malformed body gets the same
 * 400 shape as every other invalid input, saying what is wrong.
 */
export function jsonBody(limit: string): [RequestHandler, ErrorRequestHandler] {
  const toDomain: ErrorRequestHandler = (err: { type?: string; message?: string; limit?: number }, _req, _res, next) => {
    if (err?.type === 'entity.parse.failed') {
      next(new DomainException(DomainErrorCode.InvalidInput, [`body: is not valid JSON (${err.message})`]));
    } else if (err?.type === 'entity.too.large') {
      next(new DomainException(DomainErrorCode.InvalidInput, [`body: is larger than the ${limit} limit`]));
    } else {
      next(err);
    }
  };
  return [json({ limit }), toDomain];
}

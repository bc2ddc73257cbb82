import { BadRequestException, HttpException, NotFoundException, type ArgumentsHost } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QueryFailedError } from 'typeorm';
import { JsonLogger } from '../logging/json.logger';
import { DomainErrorCode } from './domain-error-code.enum';
import { DomainExceptionFilter, ERROR_STATUS } from './domain-exception.filter';
import { DomainException } from './domain.exception';

/** Runs the filter on one exception and returns what the response got. */
function answer(exception: unknown) {
  const lines: string[] = [];
  const filter = new DomainExceptionFilter(new JsonLogger('info', (l) => lines.push(l)));
  const sent: { status?: number; body?: Record<string, unknown>; headers: Record<string, string> } = { headers: {} };
  const res = {
    setHeader: (name: string, value: string) => (sent.headers[name] = value),
    status(code: number) {
      sent.status = code;
      return this;
    },
    json: (body: Record<string, unknown>) => (sent.body = body),
  };
  const host = { switchToHttp: () => ({ getResponse: () => res }) } as unknown as ArgumentsHost;
  filter.catch(exception, host);
  return { ...sent, logged: lines.join('\n') };
}

describe('DomainExceptionFilter', () => {
  it('answers every code with its status, its code and the existing fields', () => {
    for (const code of Object.values(DomainErrorCode)) {
      const { status, body } = answer(new DomainException(code, 'what happened'));
      expect(status).toBe(ERROR_STATUS[code]);
      expect(body).toEqual({ statusCode: ERROR_STATUS[code], error: expect.any(String), message: 'what happened', code });
      expect(body!.error).not.toBe('Error');
    }
  });

  it('keeps the statuses the API answered before codes came', () => {
    const before: Array<[DomainErrorCode, number]> = [
      [DomainErrorCode.ValidationFailed, 400],
      [DomainErrorCode.BodyTooLarge, 400],
      [DomainErrorCode.Unauthenticated, 401],
      [DomainErrorCode.CrossOriginWrite, 403],
      [DomainErrorCode.SubscriptionNotFound, 404],
      [DomainErrorCode.SubscriptionNameTaken, 409],
      [DomainErrorCode.VersionMismatch, 412],
      [DomainErrorCode.RecordUnprocessable, 422],
      [DomainErrorCode.RateLimited, 429],
    ];
    for (const [code, status] of before) expect({ code, status: ERROR_STATUS[code] }).toEqual({ code, status });
  });

  it('adds fields and Retry-After when the exception carries them', () => {
    const fields = [{ path: 'endpoint.url', message: 'scheme "ftp" is not allowed' }];
    const invalid = answer(DomainException.forFields(DomainErrorCode.ValidationFailed, fields));
    expect(invalid.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: ['endpoint.url: scheme "ftp" is not allowed'],
      code: 'VALIDATION_FAILED',
      fields,
    });
    const busy = answer(new DomainException(DomainErrorCode.Busy, 'try later', { retryAfterSeconds: 5 }));
    expect(busy.headers['Retry-After']).toBe('5');
    expect(busy.body).not.toHaveProperty('fields');
  });

  it("gives the framework's own errors the generic code of their status", () => {
    expect(answer(new NotFoundException('Cannot GET /api/nothing')).body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'Cannot GET /api/nothing',
      code: 'NOT_FOUND',
    });
    expect(answer(new BadRequestException('Failed to decode param')).body).toMatchObject({ statusCode: 400, code: 'INVALID_INPUT' });
    expect(answer(new HttpException('unsupported charset "LATIN1"', 415)).body).toMatchObject({
      statusCode: 415,
      error: 'Unsupported Media Type',
      code: 'UNSUPPORTED_MEDIA_TYPE',
    });
    expect(answer(new HttpException('Method Not Allowed', 405)).body).toMatchObject({ statusCode: 405, code: 'INVALID_INPUT' });
    expect(answer(new HttpException('stream is not readable', 502)).body).toMatchObject({ statusCode: 502, code: 'INTERNAL_ERROR' });
  });

  it('answers anything else as a 500 INTERNAL_ERROR that keeps its text in the log', () => {
    const crash = answer(new Error('secret-bearing detail'));
    expect(crash.body).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'internal error; see the proxy log', code: 'INTERNAL_ERROR' });
    expect(crash.logged).toContain('secret-bearing detail');
    const sql = answer(new QueryFailedError('INSERT INTO t VALUES (?)', ['hunter2'], new Error("Duplicate entry 'hunter2'")));
    expect(sql.body).toMatchObject({ statusCode: 500, code: 'INTERNAL_ERROR' });
    expect(JSON.stringify(sql.body)).not.toContain('hunter2');
  });

  it('is documented: README.md has one row per code, with its status', () => {
    const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');
    const rows = new Map([...readme.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]));
    expect(Object.fromEntries(rows)).toEqual(ERROR_STATUS);
  });
});

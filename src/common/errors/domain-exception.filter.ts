import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { Response } from 'express';
import { QueryFailedError } from 'typeorm';
import { sqlErrorSummary } from '../../database/sql-failure';
import { JsonLogger } from '../logging/json.logger';
import { DomainErrorCode } from './domain-error-code.enum';
import { DomainException } from './domain.exception';

const STATUS: Record<DomainErrorCode, number> = {
  [DomainErrorCode.InvalidInput]: HttpStatus.BAD_REQUEST,
  [DomainErrorCode.Unauthenticated]: HttpStatus.UNAUTHORIZED,
  [DomainErrorCode.Forbidden]: HttpStatus.FORBIDDEN,
  [DomainErrorCode.NotFound]: HttpStatus.NOT_FOUND,
  [DomainErrorCode.Conflict]: HttpStatus.CONFLICT,
  [DomainErrorCode.PreconditionFailed]: HttpStatus.PRECONDITION_FAILED,
  [DomainErrorCode.Unprocessable]: HttpStatus.UNPROCESSABLE_ENTITY,
  [DomainErrorCode.TooManyRequests]: HttpStatus.TOO_MANY_REQUESTS,
};

const REASON: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  412: 'Precondition Failed',
  // RFC 9110 calls it Unprocessable Content; Node's status line still says Entity, and the two should agree.
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
};

/** Renders every error as {statusCode, error, message}. */
@Catch()
export class DomainExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: JsonLogger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const { status, message } = this.describe(exception);
    if (exception instanceof DomainException && exception.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(exception.retryAfterSeconds));
    res.status(status).json({ statusCode: status, error: REASON[status] ?? 'Error', message });
  }

  private describe(exception: unknown): { status: number; message: string | string[] } {
    if (exception instanceof DomainException) {
      return { status: STATUS[exception.code], message: exception.details };
    }
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      const message =
        typeof body === 'object' && body && 'message' in body ? (body as { message: string | string[] }).message : exception.message;
      return { status: exception.getStatus(), message };
    }
    if (exception instanceof QueryFailedError) {
      // Its message may quote values (ER_DUP_ENTRY) and it carries the statement and parameters.
      this.logger.error('database error in admin API', { ...sqlErrorSummary(exception) });
    } else {
      this.logger.error('unhandled error in admin API', { err: String(exception), stack: (exception as Error)?.stack });
    }
    return { status: 500, message: 'internal error; see the proxy log' };
  }
}

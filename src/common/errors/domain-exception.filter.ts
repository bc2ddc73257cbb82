import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import type { Response } from 'express';
import { QueryFailedError } from 'typeorm';
import { sqlErrorSummary } from '../../database/sql-failure';
import { JsonLogger } from '../logging/json.logger';
import { DomainErrorCode } from './domain-error-code.enum';
import { DomainException, type FieldProblem } from './domain.exception';

/** The HTTP status of every code: the one place that decides it. */
export const ERROR_STATUS: Readonly<Record<DomainErrorCode, number>> = {
  [DomainErrorCode.InvalidInput]: 400,
  [DomainErrorCode.ValidationFailed]: 400,
  [DomainErrorCode.InvalidJson]: 400,
  [DomainErrorCode.BodyTooLarge]: 400,
  [DomainErrorCode.BodyTooDeep]: 400,
  [DomainErrorCode.InvalidIfMatch]: 400,
  [DomainErrorCode.InvalidActorHeader]: 400,
  [DomainErrorCode.DestinationNotAllowed]: 400,
  [DomainErrorCode.SecretNotSent]: 400,
  [DomainErrorCode.OwnerNotYourTeam]: 400,
  [DomainErrorCode.TicketTooLarge]: 400,
  [DomainErrorCode.TicketSpecInvalid]: 400,
  [DomainErrorCode.Unauthenticated]: 401,
  [DomainErrorCode.Forbidden]: 403,
  [DomainErrorCode.OtherTeamsSubscription]: 403,
  [DomainErrorCode.PreviewBrokersUnknown]: 403,
  [DomainErrorCode.PreviewTopicNotAllowed]: 403,
  [DomainErrorCode.CrossOriginWrite]: 403,
  [DomainErrorCode.HostNotLoopback]: 403,
  [DomainErrorCode.NotFound]: 404,
  [DomainErrorCode.SubscriptionNotFound]: 404,
  [DomainErrorCode.TicketNotFound]: 404,
  [DomainErrorCode.DeadLetterNotFound]: 404,
  [DomainErrorCode.RedeliveryJobNotFound]: 404,
  [DomainErrorCode.SubscriptionNameTaken]: 409,
  [DomainErrorCode.GroupInUse]: 409,
  [DomainErrorCode.RateGroupInUse]: 409,
  [DomainErrorCode.ConcurrentUpdate]: 409,
  [DomainErrorCode.SubscriptionConfigInvalid]: 409,
  [DomainErrorCode.SecretsUnreadable]: 409,
  [DomainErrorCode.TicketAlreadyDecided]: 409,
  [DomainErrorCode.DeadLetterNotPending]: 409,
  [DomainErrorCode.KeyOrderBlocked]: 409,
  [DomainErrorCode.SubscriptionDeleted]: 409,
  [DomainErrorCode.RedeliveryJobRunning]: 409,
  [DomainErrorCode.OffsetResetRunning]: 409,
  [DomainErrorCode.TopicNotFound]: 409,
  [DomainErrorCode.KafkaConnectFailed]: 409,
  [DomainErrorCode.OffsetOutOfRange]: 409,
  [DomainErrorCode.SubscriptionStillRunning]: 409,
  [DomainErrorCode.OffsetsNotCommitted]: 409,
  [DomainErrorCode.VersionMismatch]: 412,
  [DomainErrorCode.UnsupportedMediaType]: 415,
  [DomainErrorCode.RecordNotKept]: 422,
  [DomainErrorCode.RecordUnprocessable]: 422,
  [DomainErrorCode.RateLimited]: 429,
  [DomainErrorCode.Busy]: 429,
  [DomainErrorCode.TicketQuotaExceeded]: 429,
  [DomainErrorCode.InternalError]: 500,
};

/** The code of an error the framework raised itself (no route, a body it could not read), by its status. */
const BY_STATUS: Readonly<Record<number, DomainErrorCode>> = {
  400: DomainErrorCode.InvalidInput,
  401: DomainErrorCode.Unauthenticated,
  403: DomainErrorCode.Forbidden,
  404: DomainErrorCode.NotFound,
  415: DomainErrorCode.UnsupportedMediaType,
  500: DomainErrorCode.InternalError,
};

const REASON: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  412: 'Precondition Failed',
  415: 'Unsupported Media Type',
  // RFC 9110 calls it Unprocessable Content; Node's status line still says Entity, and the two should agree.
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
};

/** An error body as the API answers it (the `Error` schema of /docs/openapi.json). */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
  code: DomainErrorCode;
  fields?: readonly FieldProblem[];
}

/**
 * Renders every error as {statusCode, error, message, code, fields?}. A DomainException's status
 * comes from its code (ERROR_STATUS); an HttpException the framework raised keeps its status and
 * gets the generic code of that status (another 4xx: INVALID_INPUT, another 5xx: INTERNAL_ERROR);
 * anything else is a logged 500 INTERNAL_ERROR whose text stays in the log.
 */
@Catch()
export class DomainExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: JsonLogger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const body = this.describe(exception);
    if (exception instanceof DomainException && exception.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(exception.retryAfterSeconds));
    res.status(body.statusCode).json(body);
  }

  /** The body answered for `exception`. */
  describe(exception: unknown): ErrorBody {
    if (exception instanceof DomainException) {
      return render(ERROR_STATUS[exception.code], exception.code, exception.details, exception.fields);
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const message = typeof body === 'object' && body && 'message' in body ? (body as { message: string | string[] }).message : exception.message;
      return render(status, BY_STATUS[status] ?? (status >= 500 ? DomainErrorCode.InternalError : DomainErrorCode.InvalidInput), message);
    }
    if (exception instanceof QueryFailedError) {
      // Its message may quote values (ER_DUP_ENTRY) and it carries the statement and parameters.
      this.logger.error('database error in admin API', { ...sqlErrorSummary(exception) });
    } else {
      this.logger.error('unhandled error in admin API', { err: String(exception), stack: (exception as Error)?.stack });
    }
    return render(500, DomainErrorCode.InternalError, 'internal error; see the proxy log');
  }
}

function render(status: number, code: DomainErrorCode, message: string | string[], fields?: readonly FieldProblem[]): ErrorBody {
  return { statusCode: status, error: REASON[status] ?? 'Error', message, code, ...(fields ? { fields } : {}) };
}

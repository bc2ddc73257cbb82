import { DomainErrorCode } from './domain-error-code.enum';

/** Thrown by services; the exception filter alone decides the HTTP status. */
export class DomainException extends Error {
  override readonly name = 'DomainException';

  constructor(
    readonly code: DomainErrorCode,
    readonly details: string | string[],
    /** Sent as Retry-After with TooManyRequests. */
    readonly retryAfterSeconds?: number,
  ) {
    super(Array.isArray(details) ? details.join('; ') : details);
  }

  static notFound(what: string, id: number | string): DomainException {
    return new DomainException(DomainErrorCode.NotFound, `${what} ${id} does not exist`);
  }
}

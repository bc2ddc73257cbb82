export enum DomainErrorCode {
  InvalidInput = 'INVALID_INPUT',
  Unauthenticated = 'UNAUTHENTICATED',
  Forbidden = 'FORBIDDEN',
  NotFound = 'NOT_FOUND',
  Conflict = 'CONFLICT',
  /** An If-Match that no longer holds (RFC 9110 §13.1.1). */
  PreconditionFailed = 'PRECONDITION_FAILED',
  /** Well-formed, but what it names cannot be processed as it is (RFC 9110 §15.5.21). */
  Unprocessable = 'UNPROCESSABLE',
  TooManyRequests = 'TOO_MANY_REQUESTS',
}

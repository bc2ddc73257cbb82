export enum DomainErrorCode {
  InvalidInput = 'INVALID_INPUT',
  Unauthenticated = 'UNAUTHENTICATED',
  NotFound = 'NOT_FOUND',
  Conflict = 'CONFLICT',
}

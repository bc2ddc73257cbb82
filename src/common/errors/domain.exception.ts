import { DomainErrorCode } from './domain-error-code.enum';

/** One invalid input field: its dotted path in the body (`endpoint.url`, `etl.filter.0.op`) or the parameter's name, and what is wrong with it. */
export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

export interface DomainExceptionOptions {
  /** Sent as Retry-After (s), with the 429 codes. */
  readonly retryAfterSeconds?: number;
  /** The fields the error is about, answered as `fields` for a client to point at. */
  readonly fields?: readonly FieldProblem[];
}

/** Thrown by services; the exception filter alone decides the HTTP status, from `code`. */
export class DomainException extends Error {
  override readonly name = 'DomainException';
  readonly retryAfterSeconds?: number;
  readonly fields?: readonly FieldProblem[];

  constructor(
    readonly code: DomainErrorCode,
    /** The answer's `message`: a sentence, or one line per problem. */
    readonly details: string | string[],
    options: DomainExceptionOptions = {},
  ) {
    super(Array.isArray(details) ? details.join('; ') : details);
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.fields = options.fields;
  }

  /** "<what> <id> does not exist", e.g. notFound(DomainErrorCode.TicketNotFound, 'ticket', 7). */
  static notFound(code: DomainErrorCode, what: string, id: number | string): DomainException {
    return new DomainException(code, `${what} ${id} does not exist`);
  }

  /** An error about input fields: `message` holds one "path: message" line per field, `fields` the same as objects. */
  static forFields(code: DomainErrorCode, fields: readonly FieldProblem[]): DomainException {
    return new DomainException(
      code,
      fields.map((f) => `${f.path}: ${f.message}`),
      { fields },
    );
  }
}

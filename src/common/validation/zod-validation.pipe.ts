import { PipeTransform } from '@nestjs/common';
import type { ZodType } from 'zod';
import { DomainErrorCode } from '../errors/domain-error-code.enum';
import { DomainException } from '../errors/domain.exception';
import { formatZodIssues, requiredFieldError } from './format-zod-issues';

/** Validates a request body or query against a zod schema and names every bad field in one 400. */
export class ZodValidationPipe<T> implements PipeTransform<unknown, T> {
  /** absentBodyAs: what a request without a body counts as, for bodies whose fields are all optional. */
  constructor(
    private readonly schema: ZodType<T>,
    private readonly options: { absentBodyAs?: object } = {},
  ) {}

  transform(value: unknown): T {
    if (value === undefined && this.options.absentBodyAs) value = this.options.absentBodyAs;
    if (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new DomainException(DomainErrorCode.InvalidInput, ['body: must be a JSON object']);
    }
    const parsed = this.schema.safeParse(value, { error: requiredFieldError });
    if (!parsed.success) throw new DomainException(DomainErrorCode.InvalidInput, formatZodIssues(parsed.error.issues));
    return parsed.data;
  }
}

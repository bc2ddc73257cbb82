import { PipeTransform } from '@nestjs/common';
import type { ZodType } from 'zod';
import { DomainErrorCode } from '../errors/domain-error-code.enum';
import { DomainException } from '../errors/domain.exception';
import { requiredFieldError, zodFieldProblems } from './format-zod-issues';

/** Validates a request body or query against a zod schema and names every bad field in one 400 (VALIDATION_FAILED, with `fields`). */
export class ZodValidationPipe<T> implements PipeTransform<unknown, T> {
  /** absentBodyAs: what a request without a body counts as, for bodies whose fields are all optional. */
  constructor(
    private readonly schema: ZodType<T>,
    private readonly options: { absentBodyAs?: object } = {},
  ) {}

  transform(value: unknown): T {
    if (value === undefined && this.options.absentBodyAs) value = this.options.absentBodyAs;
    if (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw DomainException.forFields(DomainErrorCode.ValidationFailed, [{ path: 'body', message: 'must be a JSON object' }]);
    }
    const parsed = this.schema.safeParse(value, { error: requiredFieldError });
    if (!parsed.success) throw DomainException.forFields(DomainErrorCode.ValidationFailed, zodFieldProblems(parsed.error.issues));
    return parsed.data;
  }
}

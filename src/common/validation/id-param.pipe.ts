import { PipeTransform } from '@nestjs/common';
import { DomainErrorCode } from '../errors/domain-error-code.enum';
import { DomainException } from '../errors/domain.exception';

/** Route ids are positive integers; anything else is a 400 VALIDATION_FAILED naming `id`. */
export class IdParamPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    const id = /^\d{1,15}$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(id) || id < 1) {
      throw DomainException.forFields(DomainErrorCode.ValidationFailed, [{ path: 'id', message: `"${value}" is not a positive integer` }]);
    }
    return id;
  }
}

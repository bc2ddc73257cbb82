import { PipeTransform } from '@nestjs/common';
import { DomainErrorCode } from '../errors/domain-error-code.enum';
import { DomainException } from '../errors/domain.exception';

/** Route ids are positive integers; anything else is a 400 that says so. */
export class IdParamPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    const id = /^\d{1,15}$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(id) || id < 1) {
      throw new DomainException(DomainErrorCode.InvalidInput, [`id: "${value}" is not a positive integer`]);
    }
    return id;
  }
}

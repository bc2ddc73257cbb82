import { PipeTransform } from '@nestjs/common';
import { DomainErrorCode } from '../common/errors/domain-error-code.enum';
import { DomainException } from '../common/errors/domain.exception';
import { redeliveryJobIdSchema } from './dto/dead-letter-redeliver.schema';

/** A re-delivery job id in a path: the UUID it was given; anything else is a 400 VALIDATION_FAILED naming `jobId`. */
export class JobIdParamPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!redeliveryJobIdSchema.safeParse(value).success) {
      throw DomainException.forFields(DomainErrorCode.ValidationFailed, [{ path: 'jobId', message: `"${value.slice(0, 64)}" is not a job id (a UUID)` }]);
    }
    return value.toLowerCase();
  }
}

import { Controller, Get, Param, Query } from '@nestjs/common';
import { IdParamPipe } from '../common/validation/id-param.pipe';
import { ZodValidationPipe } from '../common/validation/zod-validation.pipe';
import { DeadLettersService } from './dead-letters.service';
import { DeadLetterQueryInput, deadLetterQuerySchema } from './dto/dead-letter-query.schema';
import { DeadLetterResponseDto } from './dto/dead-letter-response.dto';

@Controller('api/dead-letters')
export class DeadLettersController {
  constructor(private readonly deadLetters: DeadLettersService) {}

  @Get()
  list(@Query(new ZodValidationPipe(deadLetterQuerySchema)) query: DeadLetterQueryInput): Promise<DeadLetterResponseDto[]> {
    return this.deadLetters.list(query);
  }

  @Get(':id')
  get(@Param('id', IdParamPipe) id: number): Promise<DeadLetterResponseDto> {
    return this.deadLetters.get(id);
  }
}

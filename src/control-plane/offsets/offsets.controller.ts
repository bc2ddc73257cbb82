import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { Actor } from '../../common/request-context/actor.decorator';
import type { RequestActor } from '../../common/request-context/request-actor';
import { IdParamPipe } from '../../common/validation/id-param.pipe';
import { ZodValidationPipe } from '../../common/validation/zod-validation.pipe';
import { OffsetResetRequest, offsetResetSchema } from './dto/offset-reset.schema';
import { OffsetResetResult, OffsetResetService } from './offset-reset.service';

@Controller('api/subscriptions')
export class OffsetsController {
  constructor(private readonly resets: OffsetResetService) {}

  @Post(':id/offsets/reset')
  @HttpCode(200)
  reset(
    @Param('id', IdParamPipe) id: number,
    @Body(new ZodValidationPipe(offsetResetSchema)) body: OffsetResetRequest,
    @Actor() actor: RequestActor,
  ): Promise<OffsetResetResult> {
    return this.resets.reset(id, body, actor);
  }
}

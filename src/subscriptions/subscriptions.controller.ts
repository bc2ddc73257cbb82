import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { Actor } from '../common/request-context/actor.decorator';
import type { RequestActor } from '../common/request-context/request-actor';
import { RequesterAllowed } from '../common/auth/requester-allowed.decorator';
import { DomainErrorCode } from '../common/errors/domain-error-code.enum';
import { DomainException } from '../common/errors/domain.exception';
import { IdParamPipe } from '../common/validation/id-param.pipe';
import { ZodValidationPipe } from '../common/validation/zod-validation.pipe';
import { SubscriptionResponseDto } from './dto/subscription-response.dto';
import { SubscriptionSpec, subscriptionSpecSchema } from './dto/subscription-spec.schema';
import { SubscriptionsService } from './subscriptions.service';

@Controller('api/subscriptions')
export class SubscriptionsController {
  constructor(private readonly subscriptions: SubscriptionsService) {}

  @Post()
  create(@Body(new ZodValidationPipe(subscriptionSpecSchema)) spec: SubscriptionSpec, @Actor() actor: RequestActor): Promise<SubscriptionResponseDto> {
    return this.subscriptions.create(spec, actor);
  }

  @Get()
  @RequesterAllowed()
  list(): Promise<SubscriptionResponseDto[]> {
    return this.subscriptions.list();
  }

  @Get(':id')
  @RequesterAllowed()
  get(@Param('id', IdParamPipe) id: number): Promise<SubscriptionResponseDto> {
    return this.subscriptions.get(id);
  }

  @Patch(':id')
  patch(@Param('id', IdParamPipe) id: number, @Body() body: unknown, @Actor() actor: RequestActor): Promise<SubscriptionResponseDto> {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new DomainException(DomainErrorCode.InvalidInput, ['body: must be a JSON object']);
    }
    return this.subscriptions.patch(id, body as Record<string, unknown>, actor);
  }

  @Delete(':id')
  async remove(@Param('id', IdParamPipe) id: number, @Actor() actor: RequestActor): Promise<{ id: number; deleted: true }> {
    await this.subscriptions.remove(id, actor);
    return { id, deleted: true };
  }

  @Post(':id/start')
  @HttpCode(200)
  start(@Param('id', IdParamPipe) id: number, @Actor() actor: RequestActor): Promise<SubscriptionResponseDto> {
    return this.subscriptions.setStatus(id, 'running', actor);
  }

  @Post(':id/stop')
  @HttpCode(200)
  stop(@Param('id', IdParamPipe) id: number, @Actor() actor: RequestActor): Promise<SubscriptionResponseDto> {
    return this.subscriptions.setStatus(id, 'stopped', actor);
  }
}

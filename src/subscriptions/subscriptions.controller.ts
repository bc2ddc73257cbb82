import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
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
import { VersionPrecondition } from './version-precondition';

@Controller('api/subscriptions')
export class SubscriptionsController {
  constructor(private readonly subscriptions: SubscriptionsService) {}

  @Post()
  async create(
    @Body(new ZodValidationPipe(subscriptionSpecSchema)) spec: SubscriptionSpec,
    @Actor() actor: RequestActor,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SubscriptionResponseDto> {
    return tagged(res, await this.subscriptions.create(spec, actor));
  }

  // GET /api/subscriptions (the list) is SubscriptionListController's, in src/control-plane: its
  // health filters read what the instances report, which sits above this module.

  @Get(':id')
  @RequesterAllowed()
  async get(@Param('id', IdParamPipe) id: number, @Actor() actor: RequestActor, @Res({ passthrough: true }) res: Response): Promise<SubscriptionResponseDto> {
    return tagged(res, await this.subscriptions.get(id, actor));
  }

  @Patch(':id')
  async patch(
    @Param('id', IdParamPipe) id: number,
    @Body() body: unknown,
    @Actor() actor: RequestActor,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SubscriptionResponseDto> {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw DomainException.forFields(DomainErrorCode.ValidationFailed, [{ path: 'body', message: 'must be a JSON object' }]);
    }
    return tagged(res, await this.subscriptions.patch(id, body as Record<string, unknown>, actor, VersionPrecondition.parse(ifMatch)));
  }

  @Delete(':id')
  async remove(
    @Param('id', IdParamPipe) id: number,
    @Actor() actor: RequestActor,
    @Headers('if-match') ifMatch: string | undefined,
  ): Promise<{ id: number; deleted: true }> {
    await this.subscriptions.remove(id, actor, VersionPrecondition.parse(ifMatch));
    return { id, deleted: true };
  }

  @Post(':id/start')
  @HttpCode(200)
  async start(
    @Param('id', IdParamPipe) id: number,
    @Actor() actor: RequestActor,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SubscriptionResponseDto> {
    return tagged(res, await this.subscriptions.setStatus(id, 'running', actor, VersionPrecondition.parse(ifMatch)));
  }

  @Post(':id/stop')
  @HttpCode(200)
  async stop(
    @Param('id', IdParamPipe) id: number,
    @Actor() actor: RequestActor,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SubscriptionResponseDto> {
    return tagged(res, await this.subscriptions.setStatus(id, 'stopped', actor, VersionPrecondition.parse(ifMatch)));
  }
}

/** The answer's ETag is the version it shows (RFC 9110 §8.8.3), for a later If-Match. */
function tagged(res: Response, subscription: SubscriptionResponseDto): SubscriptionResponseDto {
  res.setHeader('ETag', VersionPrecondition.etag(subscription.version));
  return subscription;
}

import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { RequesterAllowed } from '../common/auth/requester-allowed.decorator';
import { Actor } from '../common/request-context/actor.decorator';
import type { RequestActor } from '../common/request-context/request-actor';
import { IdParamPipe } from '../common/validation/id-param.pipe';
import { ZodValidationPipe } from '../common/validation/zod-validation.pipe';
import {
  previewRequestSchema,
  subscriptionPreviewSchema,
  testDeliverySchema,
  type PreviewRequest,
  type SubscriptionPreviewRequest,
  type TestDeliveryRequest,
} from './dto/preview-request.schema';
import { EtlPreviewService, type PreviewAnswer } from './etl-preview.service';
import { TestDeliveryService, type TestDeliveryResult } from './test-delivery.service';

/** The ETL preview (requesters too: it reads the topic but sends nothing) and the test delivery (operators: it calls the endpoint). */
@Controller('api')
export class PreviewController {
  constructor(
    private readonly previews: EtlPreviewService,
    private readonly tests: TestDeliveryService,
  ) {}

  @Post('preview')
  @HttpCode(200)
  @RequesterAllowed()
  preview(@Body(new ZodValidationPipe(previewRequestSchema)) body: PreviewRequest, @Actor() actor: RequestActor): Promise<PreviewAnswer> {
    return this.previews.previewSpec(body, actor);
  }

  @Post('subscriptions/:id/preview')
  @HttpCode(200)
  @RequesterAllowed()
  previewStored(
    @Param('id', IdParamPipe) id: number,
    @Body(new ZodValidationPipe(subscriptionPreviewSchema)) body: SubscriptionPreviewRequest,
    @Actor() actor: RequestActor,
  ): Promise<PreviewAnswer> {
    return this.previews.previewStored(id, body, actor);
  }

  /** Operators only: it reads with the ticket's own (unmasked) credentials. */
  @Post('tickets/:id/preview')
  @HttpCode(200)
  previewTicket(
    @Param('id', IdParamPipe) id: number,
    @Body(new ZodValidationPipe(subscriptionPreviewSchema)) body: SubscriptionPreviewRequest,
  ): Promise<PreviewAnswer> {
    return this.previews.previewTicket(id, body);
  }

  @Post('subscriptions/:id/test-delivery')
  @HttpCode(200)
  testDelivery(
    @Param('id', IdParamPipe) id: number,
    @Body(new ZodValidationPipe(testDeliverySchema)) body: TestDeliveryRequest,
    @Actor() actor: RequestActor,
  ): Promise<TestDeliveryResult> {
    return this.tests.send(id, body, actor);
  }
}

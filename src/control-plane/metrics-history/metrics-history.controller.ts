import { Controller, Get, Param, Query } from '@nestjs/common';
import { RequesterAllowed } from '../../common/auth/requester-allowed.decorator';
import { Actor } from '../../common/request-context/actor.decorator';
import type { RequestActor } from '../../common/request-context/request-actor';
import { IdParamPipe } from '../../common/validation/id-param.pipe';
import { ZodValidationPipe } from '../../common/validation/zod-validation.pipe';
import { SubscriptionsService } from '../../subscriptions/subscriptions.service';
import { type MetricsQuery, metricsQuerySchema } from './dto/metrics-query.schema';
import { MetricsHistoryService, SubscriptionMetricsSeries } from './metrics-history.service';

@Controller('api/subscriptions')
export class MetricsHistoryController {
  constructor(
    private readonly history: MetricsHistoryService,
    private readonly subscriptions: SubscriptionsService,
  ) {}

  /** The last `window` of a subscription's numbers as points (MetricsHistoryService.series); visible to whoever may read its status. */
  @Get(':id/metrics')
  @RequesterAllowed()
  async metrics(
    @Param('id', IdParamPipe) id: number,
    @Query(new ZodValidationPipe(metricsQuerySchema)) query: MetricsQuery,
    @Actor() actor: RequestActor,
  ): Promise<SubscriptionMetricsSeries> {
    // 404 for an unknown id, 403 for a requester of another team (as /status).
    await this.subscriptions.assertReadableBy(id, actor);
    return this.history.series(id, query.window);
  }
}

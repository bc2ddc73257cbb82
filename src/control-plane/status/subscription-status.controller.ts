import { Controller, Get, Param } from '@nestjs/common';
import { RequesterAllowed } from '../../common/auth/requester-allowed.decorator';
import { Actor } from '../../common/request-context/actor.decorator';
import type { RequestActor } from '../../common/request-context/request-actor';
import { IdParamPipe } from '../../common/validation/id-param.pipe';
import { SubscriptionsService } from '../../subscriptions/subscriptions.service';
import { SubscriptionStatus, SubscriptionStatusService } from './subscription-status.service';

@Controller('api/subscriptions')
export class SubscriptionStatusController {
  constructor(
    private readonly statuses: SubscriptionStatusService,
    private readonly subscriptions: SubscriptionsService,
  ) {}

  @Get(':id/status')
  @RequesterAllowed()
  async status(@Param('id', IdParamPipe) id: number, @Actor() actor: RequestActor): Promise<SubscriptionStatus> {
    // A requester sees the status of its own team's subscriptions only: it shows endpoint health.
    if (actor.role === 'requester') await this.subscriptions.assertReadableBy(id, actor);
    return this.statuses.status(id);
  }
}

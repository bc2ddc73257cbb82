import { Controller, Get, Param } from '@nestjs/common';
import { RequesterAllowed } from '../../common/auth/requester-allowed.decorator';
import { IdParamPipe } from '../../common/validation/id-param.pipe';
import { SubscriptionStatus, SubscriptionStatusService } from './subscription-status.service';

@Controller('api/subscriptions')
export class SubscriptionStatusController {
  constructor(private readonly statuses: SubscriptionStatusService) {}

  @Get(':id/status')
  @RequesterAllowed()
  status(@Param('id', IdParamPipe) id: number): Promise<SubscriptionStatus> {
    return this.statuses.status(id);
  }
}

import { Module } from '@nestjs/common';
import { ClusterModule } from '../cluster/cluster.module';
import { PlacementModule } from '../placement/placement.module';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module';
import { OffsetResetService } from './offsets/offset-reset.service';
import { OffsetsController } from './offsets/offsets.controller';
import { SubscriptionStatusController } from './status/subscription-status.controller';
import { SubscriptionStatusService } from './status/subscription-status.service';
import { GroupsModule } from './groups/groups.module';

/** Offset reset (replay) and status: they need the cluster's view, so they sit above it. */
@Module({
  imports: [SubscriptionsModule, ClusterModule, PlacementModule, GroupsModule],
  controllers: [OffsetsController, SubscriptionStatusController],
  providers: [OffsetResetService, SubscriptionStatusService],
})
export class ControlModule {}

import { Module } from '@nestjs/common';
import { ClusterModule } from '../cluster/cluster.module';
import { PlacementModule } from '../placement/placement.module';
import { DeadLettersModule } from '../dead-letters/dead-letters.module';
import { GroupsModule } from '../runtime/groups/groups.module';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module';
import { SubscriptionListController } from './listing/subscription-list.controller';
import { SubscriptionListService } from './listing/subscription-list.service';
import { MetricsHistoryController } from './metrics-history/metrics-history.controller';
import { MetricsHistoryService } from './metrics-history/metrics-history.service';
import { OffsetResetService } from './offsets/offset-reset.service';
import { OffsetsController } from './offsets/offsets.controller';
import { SubscriptionStatusController } from './status/subscription-status.controller';
import { SubscriptionStatusService } from './status/subscription-status.service';

/**
 * The control plane: offset reset (replay), subscription status and metrics history, which act on Kafka groups
 * from the admin side, and the subscription list, whose health filters read what the instances
 * report. They need the cluster's view and the data plane's state, so they sit above both; the
 * data plane (src/runtime) never imports them.
 */
@Module({
  imports: [SubscriptionsModule, ClusterModule, PlacementModule, GroupsModule, DeadLettersModule],
  controllers: [SubscriptionListController, OffsetsController, SubscriptionStatusController, MetricsHistoryController],
  providers: [OffsetResetService, SubscriptionStatusService, SubscriptionListService, MetricsHistoryService],
})
export class ControlPlaneModule {}

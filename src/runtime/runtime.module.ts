import { Module } from '@nestjs/common';
import { DeadLettersModule } from '../dead-letters/dead-letters.module';
import { DeliveryModule } from '../delivery/delivery.module';
import { PlacementModule } from '../placement/placement.module';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module';
import { ConsumerStartsRepository } from './offsets/consumer-starts.repository';
import { ConfigRefreshController } from './supervisor/config-refresh.controller';
import { ConsumerSupervisor } from './supervisor/consumer-supervisor.service';
import { GroupsModule } from './groups/groups.module';

@Module({
  imports: [SubscriptionsModule, DeadLettersModule, DeliveryModule, PlacementModule, GroupsModule],
  controllers: [ConfigRefreshController],
  providers: [ConsumerSupervisor, ConsumerStartsRepository],
  exports: [ConsumerSupervisor],
})
export class RuntimeModule {}

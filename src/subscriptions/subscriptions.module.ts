import { Module } from '@nestjs/common';
import { DeliveryModule } from '../delivery/delivery.module';
import { SubscriptionChangeFeed } from './subscription-change-feed';
import { SubscriptionSecrets } from './subscription-secrets';
import { SubscriptionsController } from './subscriptions.controller';
import { SubscriptionsRepository } from './subscriptions.repository';
import { SubscriptionsService } from './subscriptions.service';

@Module({
  imports: [DeliveryModule],
  controllers: [SubscriptionsController],
  providers: [SubscriptionsRepository, SubscriptionsService, SubscriptionChangeFeed, SubscriptionSecrets],
  exports: [SubscriptionsService, SubscriptionChangeFeed, SubscriptionSecrets],
})
export class SubscriptionsModule {}

import { Module } from '@nestjs/common';
import { DeliveryModule } from '../delivery/delivery.module';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module';
import { DeadLetterRedeliveryService } from './dead-letter-redelivery.service';
import { DeadLettersController } from './dead-letters.controller';
import { DeadLettersRepository } from './dead-letters.repository';
import { DeadLettersService } from './dead-letters.service';
import { RedeliveryJobsService } from './redelivery-jobs.service';

@Module({
  imports: [SubscriptionsModule, DeliveryModule],
  controllers: [DeadLettersController],
  providers: [DeadLettersRepository, DeadLettersService, DeadLetterRedeliveryService, RedeliveryJobsService],
  exports: [DeadLettersService],
})
export class DeadLettersModule {}

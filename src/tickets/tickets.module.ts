import { Module } from '@nestjs/common';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module';
import { TicketsController } from './tickets.controller';
import { TicketsRepository } from './tickets.repository';
import { TicketReview } from './ticket-review';
import { TicketsService } from './tickets.service';

@Module({
  imports: [SubscriptionsModule],
  controllers: [TicketsController],
  providers: [TicketsRepository, TicketsService, TicketReview],
  exports: [TicketsService],
})
export class TicketsModule {}

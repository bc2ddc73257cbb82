import { Module } from '@nestjs/common';
import { DeliveryModule } from '../delivery/delivery.module';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module';
import { TicketsModule } from '../tickets/tickets.module';
import { EtlPreviewService } from './etl-preview.service';
import { PreviewController } from './preview.controller';
import { TestDeliveryService } from './test-delivery.service';

/**
 * What a subscription would do, before or beside live traffic: the ETL preview of sample or
 * recent records and a one-off test delivery. Both shape records with the data path's own
 * RecordShaper and judge answers with its DeliveryTarget, so they sit above the data plane.
 */
@Module({
  imports: [SubscriptionsModule, TicketsModule, DeliveryModule],
  controllers: [PreviewController],
  providers: [EtlPreviewService, TestDeliveryService],
})
export class PreviewModule {}

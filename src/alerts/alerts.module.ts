import { Module } from '@nestjs/common';
import { DeliveryModule } from '../delivery/delivery.module';
import { RuntimeModule } from '../runtime/runtime.module';
import { AlertEvaluator } from './alert-evaluator.service';
import { AlertSender } from './alert-sender.service';

@Module({
  imports: [RuntimeModule, DeliveryModule],
  providers: [AlertEvaluator, AlertSender],
})
export class AlertsModule {}

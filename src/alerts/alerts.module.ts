import { Module } from '@nestjs/common';
import { RuntimeModule } from '../runtime/runtime.module';
import { AlertEvaluator } from './alert-evaluator.service';
import { AlertSender } from './alert-sender.service';

@Module({
  imports: [RuntimeModule],
  providers: [AlertEvaluator, AlertSender],
})
export class AlertsModule {}

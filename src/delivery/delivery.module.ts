import { Module } from '@nestjs/common';
import { HttpSender } from './http-sender.service';
import { OutboundGuard } from './outbound-guard';
import { RateGateRegistry } from './rate-gate.registry';
import { CircuitBreakerRegistry } from './circuit-breaker.registry';

@Module({
  providers: [HttpSender, RateGateRegistry, CircuitBreakerRegistry, OutboundGuard],
  exports: [HttpSender, RateGateRegistry, CircuitBreakerRegistry, OutboundGuard],
})
export class DeliveryModule {}

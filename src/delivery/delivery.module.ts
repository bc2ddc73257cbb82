import { Module } from '@nestjs/common';
import { HttpSender } from './http-sender.service';
import { OutboundGuard } from './outbound-guard';
import { RateGateRegistry } from './rate-gate.registry';

@Module({ providers: [HttpSender, RateGateRegistry, OutboundGuard], exports: [HttpSender, RateGateRegistry, OutboundGuard] })
export class DeliveryModule {}

import { Module } from '@nestjs/common';
import { HttpSender } from './http-sender.service';
import { RateGateRegistry } from './rate-gate.registry';

@Module({ providers: [HttpSender, RateGateRegistry], exports: [HttpSender, RateGateRegistry] })
export class DeliveryModule {}

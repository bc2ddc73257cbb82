import { Module } from '@nestjs/common';
import { HttpSender } from './http-sender.service';

@Module({ providers: [HttpSender], exports: [HttpSender] })
export class DeliveryModule {}

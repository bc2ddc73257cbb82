import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { DeliveryController } from './delivery.controller';

/** The peer's only module: @nestjs/axios' HttpModule with its defaults (Node's keep-alive global agent). */
@Module({ imports: [HttpModule], controllers: [DeliveryController] })
export class AppModule {}

import { HttpService } from '@nestjs/axios';
import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { PeerConfig } from './peer-config';

/**
 * The handler a NestJS team writes: one `@EventPattern` per topic, POSTing the record's value
 * (parsed from JSON by the transport, serialized again by axios) with `@nestjs/axios`.
 * axios rejects any answer outside 2xx (its default `validateStatus`); the rejection reaches
 * ServerKafka, which rethrows it into kafkajs' `eachMessage`, so the offset is not resolved and
 * kafkajs retries the message after restarting the consumer.
 */
@Controller()
export class DeliveryController {
  constructor(private readonly http: HttpService) {}

  @EventPattern(PeerConfig.topic)
  async deliver(@Payload() record: unknown): Promise<void> {
    await firstValueFrom(this.http.post(PeerConfig.sinkUrl, record, { timeout: 10_000 }));
  }
}

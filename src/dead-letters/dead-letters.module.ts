import { Module } from '@nestjs/common';
import { DeadLettersController } from './dead-letters.controller';
import { DeadLettersRepository } from './dead-letters.repository';
import { DeadLettersService } from './dead-letters.service';

@Module({
  controllers: [DeadLettersController],
  providers: [DeadLettersRepository, DeadLettersService],
  exports: [DeadLettersService],
})
export class DeadLettersModule {}

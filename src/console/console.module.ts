import { Module } from '@nestjs/common';
import { ConsoleAssets } from './console-assets';
import { ConsoleController } from './console.controller';

@Module({
  controllers: [ConsoleController],
  // Read once while the app is created, so main.ts can allow the inline import map by its hash.
  providers: [{ provide: ConsoleAssets, useFactory: () => ConsoleAssets.load() }],
  exports: [ConsoleAssets],
})
export class ConsoleModule {}

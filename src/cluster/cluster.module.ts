import { Module } from '@nestjs/common';
import { RuntimeModule } from '../runtime/runtime.module';
import { InstanceHeartbeat } from './instance-heartbeat.service';
import { InstancesController } from './instances.controller';
import { InstancesService } from './instances.service';

@Module({
  imports: [RuntimeModule],
  controllers: [InstancesController],
  providers: [InstanceHeartbeat, InstancesService],
  exports: [InstanceHeartbeat, InstancesService],
})
export class ClusterModule {}

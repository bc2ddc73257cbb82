import { Module } from '@nestjs/common';
import { RuntimeModule } from '../runtime/runtime.module';
import { InstanceHeartbeat } from './instance-heartbeat.service';
import { InstancesController } from './instances.controller';
import { InstancesService } from './instances.service';
import { MetricsSampler } from './metrics-history/metrics-sampler.service';

@Module({
  imports: [RuntimeModule],
  controllers: [InstancesController],
  providers: [InstanceHeartbeat, InstancesService, MetricsSampler],
  exports: [InstanceHeartbeat, InstancesService, MetricsSampler],
})
export class ClusterModule {}

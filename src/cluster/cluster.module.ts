import { Module } from '@nestjs/common';
import { RuntimeModule } from '../runtime/runtime.module';
import { InstanceHeartbeat } from './instance-heartbeat.service';

@Module({ imports: [RuntimeModule], providers: [InstanceHeartbeat], exports: [InstanceHeartbeat] })
export class ClusterModule {}

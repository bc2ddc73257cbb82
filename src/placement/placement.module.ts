import { Module } from '@nestjs/common';
import { ClusterPlacement } from './cluster-placement.service';

/** Which instances run which subscription (rendezvous hashing over the live instances). */
@Module({
  providers: [ClusterPlacement],
  exports: [ClusterPlacement],
})
export class PlacementModule {}

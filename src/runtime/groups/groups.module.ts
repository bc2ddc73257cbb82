import { Module } from '@nestjs/common';
import { GroupDescriber } from './group-describer.service';

/** Consumer-group descriptions (who is in a group), answered out of process: see GroupDescriber. */
@Module({
  providers: [GroupDescriber],
  exports: [GroupDescriber],
})
export class GroupsModule {}

import { Controller, Get } from '@nestjs/common';
import { InstancesService, InstanceView } from './instances.service';

@Controller('api/instances')
export class InstancesController {
  constructor(private readonly instances: InstancesService) {}

  @Get()
  list(): Promise<InstanceView[]> {
    return this.instances.list();
  }
}

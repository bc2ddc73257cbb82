import { Controller, HttpCode, Post } from '@nestjs/common';
import { AppConfig } from '../../config/app.config';
import type { ConsumerSnapshot } from '../consumers/subscription-consumer';
import { ConsumerSupervisor } from './consumer-supervisor.service';

@Controller('api/config')
export class ConfigRefreshController {
  constructor(
    private readonly supervisor: ConsumerSupervisor,
    private readonly config: AppConfig,
  ) {}

  /** Answers after this instance reconciled with the database. */
  @Post('refresh')
  @HttpCode(200)
  async refresh(): Promise<{ instanceId: string; consumers: ConsumerSnapshot[] }> {
    await this.supervisor.reconcile();
    return { instanceId: this.config.instanceId, consumers: this.supervisor.snapshot() };
  }
}

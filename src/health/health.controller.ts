import { Controller, Get, Res } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { ConsumerSupervisor } from '../runtime/supervisor/consumer-supervisor.service';

@Controller('health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly supervisor: ConsumerSupervisor,
  ) {}

  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Ready = the database answers and the supervisor has started. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) res: Response): Promise<Record<string, unknown>> {
    let database = 'up';
    try {
      await this.dataSource.query('SELECT 1');
    } catch (err) {
      database = `down: ${(err as Error).message}`;
    }
    const supervisor = this.supervisor.isStarted ? 'started' : 'starting';
    const ok = database === 'up' && supervisor === 'started';
    res.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'unavailable', checks: { database, supervisor } };
  }
}

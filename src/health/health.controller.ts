import { Controller, Get, Res } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { JsonLogger } from '../common/logging/json.logger';
import { RepeatSuppressor } from '../common/logging/repeat-suppressor';
import { sqlErrorSummary } from '../database/sql-failure';
import { ConsumerSupervisor } from '../runtime/supervisor/consumer-supervisor.service';

/**
 * Liveness and readiness for probes and load balancers. These routes are open (no token), so
 * they name which dependency is down and nothing more: a database error's text can carry host
 * names, user names and server versions. The error itself goes to the log.
 */
@Controller('health')
export class HealthController {
  /** One log line per distinct database error per minute, however often probes ask. */
  private readonly repeats = new RepeatSuppressor(60_000);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly supervisor: ConsumerSupervisor,
    private readonly logger: JsonLogger,
  ) {}

  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Ready = the database answers and the supervisor has started. 200 with
   * `{status: "ok", checks: {database: "up", supervisor: "started"}}`, else 503 with
   * `{status: "unavailable", checks: {database: "up" | "down", supervisor: "started" | "starting"}}`.
   */
  @Get('ready')
  async ready(@Res({ passthrough: true }) res: Response): Promise<Record<string, unknown>> {
    let database: 'up' | 'down' = 'up';
    try {
      await this.dataSource.query('SELECT 1');
    } catch (err) {
      database = 'down';
      const summary = sqlErrorSummary(err);
      const suppressed = this.repeats.admit(summary.message);
      if (suppressed !== null) this.logger.warn('readiness: the database does not answer', { ...summary, ...(suppressed ? { suppressed } : {}) });
    }
    const supervisor = this.supervisor.isStarted ? 'started' : 'starting';
    const ok = database === 'up' && supervisor === 'started';
    res.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'unavailable', checks: { database, supervisor } };
  }
}

import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { hostname } from 'node:os';
import { DataSource } from 'typeorm';
import { JsonLogger } from '../common/logging/json.logger';
import { AppConfig } from '../config/app.config';
import { appVersion } from '../config/app-version';
import { MetricsService } from '../metrics/metrics.service';
import { ConsumerSupervisor } from '../runtime/supervisor/consumer-supervisor.service';
import { InstanceEntity } from './instance.entity';


/** Registers this instance and heartbeats what it runs, for status views and cluster-wide resets. */
@Injectable()
export class InstanceHeartbeat implements BeforeApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private readonly startedAt = new Date();
  private failing = false;
  private readonly version = appVersion();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly supervisor: ConsumerSupervisor,
    private readonly config: AppConfig,
    private readonly logger: JsonLogger,
    private readonly metrics: MetricsService,
  ) {}

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), this.config.heartbeatIntervalMs);
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    try {
      await this.dataSource
        .getRepository(InstanceEntity)
        .update({ id: this.config.instanceId }, { stoppedAt: new Date(), running: [], lastSeenAt: new Date() });
    } catch {
      // The database may be the reason we stop; the row ages out by its last_seen_at.
    }
  }

  /** Also called right after this instance stopped something others wait for. */
  async beat(): Promise<void> {
    try {
      await this.dataSource.getRepository(InstanceEntity).save({
        id: this.config.instanceId,
        host: hostname(),
        pid: process.pid,
        version: this.version,
        startedAt: this.startedAt,
        lastSeenAt: new Date(),
        running: this.supervisor.snapshot(),
        counters: this.metrics.countersById(),
        stoppedAt: null,
      });
      if (this.failing) this.logger.info('heartbeat restored', { instanceId: this.config.instanceId });
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.logger.warn('heartbeat failed', { instanceId: this.config.instanceId, err: (err as Error).message });
      this.failing = true;
    }
  }
}

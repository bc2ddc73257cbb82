import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { hostname } from 'node:os';
import { DataSource } from 'typeorm';
import { JsonLogger } from '../common/logging/json.logger';
import { AppConfig } from '../config/app.config';
import { appVersion } from '../config/app-version';
import { MetricsService } from '../metrics/metrics.service';
import { ConsumerSupervisor } from '../runtime/supervisor/consumer-supervisor.service';

/** Registers this instance and heartbeats what it runs, for status views and cluster-wide resets. */
@Injectable()
export class InstanceHeartbeat implements BeforeApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private readonly startedAt = new Date();
  private failing = false;
  private stopped = false;
  private inFlight: Promise<void> = Promise.resolve();
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
    this.stopped = true;
    // A beat still in flight must not land after the goodbye and make this instance look alive.
    await this.inFlight;
    try {
      await this.dataSource.query("UPDATE instances SET stopped_at = CURRENT_TIMESTAMP(3), last_seen_at = CURRENT_TIMESTAMP(3), running = '[]' WHERE id = ?", [
        this.config.instanceId,
      ]);
    } catch {
      // The database may be the reason we stop; the row ages out by its last_seen_at.
    }
  }

  /** Also called right after this instance stopped something others wait for. Beats never overlap. */
  beat(): Promise<void> {
    const next = this.inFlight.then(() => (this.stopped ? undefined : this.write()));
    this.inFlight = next.catch(() => undefined);
    return next;
  }

  /**
   * The database's clock stamps the row, so liveness never depends on hosts agreeing on time.
   * `live_since` (assigned first, so it reads the previous beat's columns) restarts when the
   * previous beat is older than the timeout or said goodbye: placement counts an instance only
   * once it has kept beating (ClusterPlacement).
   */
  private async write(): Promise<void> {
    try {
      await this.dataSource.query(
        `INSERT INTO instances (id, host, pid, version, started_at, last_seen_at, live_since, running, counters, stopped_at)
         VALUES (?, ?, ?, ?, ?, CURRENT_TIMESTAMP(3), CURRENT_TIMESTAMP(3), ?, ?, NULL)
         ON DUPLICATE KEY UPDATE
           live_since = IF(stopped_at IS NULL AND live_since IS NOT NULL
                             AND last_seen_at > CURRENT_TIMESTAMP(3) - INTERVAL ? MICROSECOND, live_since, CURRENT_TIMESTAMP(3)),
           host = VALUES(host), pid = VALUES(pid), version = VALUES(version),
           started_at = VALUES(started_at), last_seen_at = CURRENT_TIMESTAMP(3), running = VALUES(running),
           counters = VALUES(counters), stopped_at = NULL`,
        [
          this.config.instanceId,
          hostname(),
          process.pid,
          this.version,
          this.startedAt,
          JSON.stringify(this.supervisor.snapshot()),
          JSON.stringify(this.metrics.countersById()),
          this.config.instanceTimeoutMs * 1000,
        ],
      );
      if (this.failing) this.logger.info('heartbeat restored', { instanceId: this.config.instanceId });
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.logger.warn('heartbeat failed', { instanceId: this.config.instanceId, err: (err as Error).message });
      this.failing = true;
    }
  }
}

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app.config';
import type { SubscriptionCounters } from '../metrics/subscription-metrics';
import { MetricsService } from '../metrics/metrics.service';
import type { ConsumerSnapshot } from '../runtime/consumers/subscription-consumer';
import { ConsumerSupervisor } from '../runtime/supervisor/consumer-supervisor.service';
import { hostname } from 'node:os';

export interface InstanceView {
  instanceId: string;
  host: string;
  version: string;
  startedAt: string;
  lastSeenAt: string;
  live: boolean;
  /** live; stopped (it said goodbye on shutdown); dead (its heartbeat timed out, e.g. a crash). */
  state: 'live' | 'stopped' | 'dead';
  /** The instance answering this request. */
  self: boolean;
  running: ConsumerSnapshot[];
  counters: Record<string, SubscriptionCounters>;
}

/** The small cluster as the instances table shows it, with this instance's own state live. */
@Injectable()
export class InstancesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly supervisor: ConsumerSupervisor,
    private readonly metrics: MetricsService,
  ) {}

  async list(): Promise<InstanceView[]> {
    // Ages come from the database clock, the same clock that stamped the heartbeats.
    const rows: InstanceRow[] = await this.dataSource.query(
      `SELECT id, host, version, started_at, last_seen_at, running, counters, stopped_at,
              TIMESTAMPDIFF(MICROSECOND, last_seen_at, CURRENT_TIMESTAMP(3)) DIV 1000 AS age_ms
       FROM instances ORDER BY id`,
    );
    const self = this.config.instanceId;
    const views = rows.map((row): InstanceView => {
      const mine = row.id === self;
      const live = mine || (!row.stopped_at && Number(row.age_ms) < this.config.instanceTimeoutMs);
      return {
        instanceId: row.id,
        host: row.host,
        version: row.version,
        startedAt: new Date(row.started_at).toISOString(),
        lastSeenAt: new Date(row.last_seen_at).toISOString(),
        live,
        state: live ? 'live' : row.stopped_at ? 'stopped' : 'dead',
        self: mine,
        running: mine ? this.supervisor.snapshot() : asArray<ConsumerSnapshot>(parseJson(row.running)),
        counters: mine ? this.metrics.countersById() : ((parseJson(row.counters) ?? {}) as Record<string, SubscriptionCounters>),
      };
    });
    if (!views.some((v) => v.instanceId === self)) {
      // Not registered yet (or its first heartbeat failed): what runs here still counts.
      const now = new Date().toISOString();
      views.push({
        instanceId: self,
        host: hostname(),
        version: '',
        startedAt: now,
        lastSeenAt: now,
        live: true,
        state: 'live',
        self: true,
        running: this.supervisor.snapshot(),
        counters: this.metrics.countersById(),
      });
    }
    return views;
  }

  /** Live instances that run the subscription, with what they report about it. */
  async runnersOf(subscriptionId: number): Promise<Array<{ instanceId: string; consumer: ConsumerSnapshot }>> {
    const out: Array<{ instanceId: string; consumer: ConsumerSnapshot }> = [];
    for (const inst of await this.list()) {
      if (!inst.live) continue;
      const consumer = inst.running.find((c) => c.subscriptionId === subscriptionId && c.state !== 'stopped');
      if (consumer) out.push({ instanceId: inst.instanceId, consumer });
    }
    return out;
  }

  /** Resolves with the ids still running it when the deadline passes, or [] once none does. */
  async waitUntilNoneRuns(subscriptionId: number, timeoutMs: number): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const runners = (await this.runnersOf(subscriptionId)).map((r) => r.instanceId);
      if (runners.length === 0 || Date.now() > deadline) return runners;
      await sleep(Math.min(250, this.config.heartbeatIntervalMs));
    }
  }
}

interface InstanceRow {
  id: string;
  host: string;
  version: string;
  started_at: Date | string;
  last_seen_at: Date | string;
  running: unknown;
  counters: unknown;
  stopped_at: Date | string | null;
  age_ms: number | string;
}

/** MariaDB hands JSON columns back as text, MySQL as objects. */
function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return null;
  }
}

function asArray<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

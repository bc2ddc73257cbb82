import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app.config';
import type { SubscriptionCounters } from '../metrics/subscription-metrics';
import { MetricsService } from '../metrics/metrics.service';
import type { ConsumerSnapshot } from '../runtime/consumers/subscription-consumer';
import { ConsumerSupervisor } from '../runtime/supervisor/consumer-supervisor.service';
import { InstanceEntity } from './instance.entity';

export interface InstanceView {
  instanceId: string;
  host: string;
  version: string;
  startedAt: string;
  lastSeenAt: string;
  live: boolean;
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
    const rows = await this.dataSource.getRepository(InstanceEntity).find({ order: { id: 'ASC' } });
    const now = Date.now();
    return rows.map((row) => {
      const self = row.id === this.config.instanceId;
      return {
        instanceId: row.id,
        host: row.host,
        version: row.version,
        startedAt: row.startedAt.toISOString(),
        lastSeenAt: row.lastSeenAt.toISOString(),
        live: self || (!row.stoppedAt && now - row.lastSeenAt.getTime() < this.config.instanceTimeoutMs),
        running: self ? this.supervisor.snapshot() : asArray<ConsumerSnapshot>(row.running),
        counters: self ? this.metrics.countersById() : ((row.counters ?? {}) as Record<string, SubscriptionCounters>),
      };
    });
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

function asArray<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

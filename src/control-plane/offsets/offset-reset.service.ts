import { Injectable } from '@nestjs/common';
import { AuditLog } from '../../audit/audit-log.service';
import type { RequestActor } from '../../common/request-context/request-actor';
import { InstanceHeartbeat } from '../../cluster/instance-heartbeat.service';
import { InstancesService } from '../../cluster/instances.service';
import { DomainErrorCode } from '../../common/errors/domain-error-code.enum';
import { DomainException } from '../../common/errors/domain.exception';
import { JsonLogger } from '../../common/logging/json.logger';
import { AppConfig } from '../../config/app.config';
import { NamedLock } from '../../database/named-lock';
import { SubscriptionsService } from '../../subscriptions/subscriptions.service';
import { CompiledSubscription } from '../../runtime/consumers/compiled-subscription';
import { SubscriptionStatusService } from '../status/subscription-status.service';
import type { OffsetResetRequest } from './dto/offset-reset.schema';
import { type CommitMethod, KafkaGroupClient } from '../kafka-group-client';
import { GroupDescriber } from '../../runtime/groups/group-describer.service';

export interface OffsetResetResult {
  partitions: Array<{ partition: number; offset: number }>;
  /** Present when the offsets were committed but something after that did not work. */
  warning?: string;
}

/** Per admin call of a look at the group's members before the commit (ms). */
const GROUP_DESCRIBE_TIMEOUT_MS = 10_000;

/**
 * Replay: Kafka takes offset changes only from a group without active members, so the
 * subscription is stopped everywhere first, the targets are committed, and it is started
 * again when asked. One reset per subscription at a time, cluster-wide (a database lock).
 */
@Injectable()
export class OffsetResetService {
  constructor(
    private readonly subscriptions: SubscriptionsService,
    private readonly instances: InstancesService,
    private readonly heartbeat: InstanceHeartbeat,
    private readonly config: AppConfig,
    private readonly logger: JsonLogger,
    private readonly audit: AuditLog,
    private readonly statuses: SubscriptionStatusService,
    private readonly groups: GroupDescriber,
  ) {}

  async reset(id: number, req: OffsetResetRequest, actor: RequestActor): Promise<OffsetResetResult> {
    await this.subscriptions.load(id);
    const lock = await NamedLock.tryAcquire(this.config.database.url, `kproxy.offset-reset.${id}`);
    if (!lock) {
      throw new DomainException(DomainErrorCode.OffsetResetRunning, `an offset reset of subscription ${id} is already running; wait for it to finish`);
    }
    let client: KafkaGroupClient | null = null;
    let stopping = false;
    // The status_version the reset's own stop left: a start, a stop or a PATCH sending status
    // after it is someone's choice, which the restart (or the restore after a failure) keeps.
    let mark = -1;
    // Read under the lock: another reset may just have changed the status.
    const stored = await this.subscriptions.loadRunnable(id).catch(async (err) => {
      await lock.release().catch(() => undefined);
      throw err;
    });
    const sub = new CompiledSubscription(id, stored.spec);
    const wasRunning = stored.spec.status === 'running';
    try {
      client = await this.connect(sub);
      const partitions = await client.partitions();
      if (partitions.length === 0) {
        throw new DomainException(DomainErrorCode.TopicNotFound, `topic "${sub.kafka.topic}" does not exist on ${sub.kafka.brokers}`);
      }
      // Bad explicit offsets are refused before anything is stopped.
      if (req.to === 'offsets') await this.targets(client, partitions, req, sub.kafka.topic);

      stopping = true;
      mark = (await this.subscriptions.setStatusMarked(id, 'stopped', actor)).mark;
      await this.heartbeat.beat();
      const still = await this.instances.waitUntilNoneRuns(id, this.config.resetWaitTimeoutMs);
      if (still.length) {
        throw new DomainException(
          DomainErrorCode.SubscriptionStillRunning,
          `subscription ${id} is still running on ${still.join(', ')} after ${this.config.resetWaitTimeoutMs} ms; ` +
            'check that those instances are healthy (or stop them) and try again',
        );
      }
      // Targets are resolved only now, so "latest" means latest at the moment nothing consumes.
      const searched: number[] = [];
      const targets = await this.targets(client, partitions, req, sub.kafka.topic, searched);
      const committedBefore = await client.committed(partitions).catch(() => null);
      let method: CommitMethod;
      try {
        method = await client.commitOffsets(targets, partitions, this.config.resetWaitTimeoutMs, () =>
          this.groups.members(sub.kafka, GROUP_DESCRIBE_TIMEOUT_MS),
        );
      } catch (err) {
        throw new DomainException(DomainErrorCode.OffsetsNotCommitted, `the new offsets were not committed: ${(err as Error).message}`);
      }
      // The shared status answer holds the offsets from before.
      this.statuses.forget(id);
      const result: OffsetResetResult = { partitions: [...targets].map(([partition, offset]) => ({ partition, offset })) };
      this.logger.info('offsets reset', {
        subscription: id,
        topic: sub.kafka.topic,
        to: req.to,
        method,
        partitions: result.partitions,
        ...(req.to === 'timestamp' ? { searchedPartitions: searched } : {}),
      });
      await this.audit.record(
        {
          action: 'subscription.reset_offsets',
          resourceType: 'subscription',
          resourceId: id,
          before: committedBefore && { partitions: partitions.map((partition) => ({ partition, offset: committedBefore.get(partition) ?? null })) },
          after: { to: req.to, partitions: result.partitions },
        },
        actor,
      );
      stopping = false;
      if (req.restart) {
        try {
          if (!(await this.subscriptions.setStatusUnlessChosen(id, 'running', actor, mark))) {
            result.warning = `offsets committed, but not restarted: its status was set during the reset (a start, a stop or a PATCH with status), and that choice stands`;
          }
        } catch (err) {
          // The offsets are committed: the reset happened, only the restart is left to the operator.
          result.warning = `offsets committed, but the restart failed: ${(err as Error).message}; start it with POST /api/subscriptions/${id}/start`;
        }
      }
      return result;
    } catch (err) {
      // A reset that did not happen leaves the subscription as it found it. The client closes
      // first: a commit still queued in it must not land after the consumers are back.
      if (client) await client.close();
      client = null;
      if (stopping && wasRunning && mark >= 0) await this.subscriptions.setStatusUnlessChosen(id, 'running', actor, mark).catch(() => undefined);
      throw err;
    } finally {
      if (client) void client.close();
      await lock.release().catch(() => undefined);
    }
  }

  private async connect(sub: CompiledSubscription): Promise<KafkaGroupClient> {
    try {
      return await KafkaGroupClient.connect(sub.kafka, `kproxy-${this.config.instanceId}-admin-${sub.id}`);
    } catch (err) {
      throw new DomainException(DomainErrorCode.KafkaConnectFailed, (err as Error).message);
    }
  }

  /**
   * The target offset per partition. `searched` collects the partitions whose timestamp target
   * came from reading records because the broker's ListOffsets answered none (see offsetAtTime).
   */
  private async targets(
    client: KafkaGroupClient,
    partitions: number[],
    req: OffsetResetRequest,
    topic: string,
    searched: number[] = [],
  ): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    switch (req.to) {
      case 'earliest':
      case 'latest':
        for (const p of partitions) {
          const w = await client.watermarks(p);
          out.set(p, req.to === 'earliest' ? w.low : w.high);
        }
        return out;
      case 'timestamp': {
        const found = await client.offsetsForTime(partitions, req.timestamp!);
        for (const p of partitions) {
          const offset = found.get(p);
          // -1 is "none at or after the time" from a real broker, and the mock's answer to every
          // lookup; reading the records tells which (no record after it: start after the last).
          if (offset !== undefined && offset >= 0) {
            out.set(p, offset);
          } else {
            searched.push(p);
            out.set(p, await client.offsetAtTime(p, req.timestamp!));
          }
        }
        return out;
      }
      case 'offsets': {
        const problems: string[] = [];
        for (const { partition, offset } of req.offsets!) {
          if (!partitions.includes(partition)) {
            problems.push(`partition ${partition} does not exist: topic "${topic}" has partitions ${partitions.join(', ')}`);
            continue;
          }
          const w = await client.watermarks(partition);
          if (offset < w.low || offset > w.high) {
            problems.push(`offset ${offset} is outside partition ${partition}'s range ${w.low}..${w.high}`);
            continue;
          }
          out.set(partition, offset);
        }
        if (problems.length) throw new DomainException(DomainErrorCode.OffsetOutOfRange, problems);
        return out;
      }
    }
  }
}

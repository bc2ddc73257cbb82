import {
  CODES,
  KafkaConsumer,
  type ConsumerGlobalConfig,
  type LibrdKafkaError,
  type Message,
  type TopicPartition,
  type TopicPartitionOffset,
} from '@confluentinc/kafka-javascript';
import { setTimeout as sleep } from 'node:timers/promises';
import { RepeatSuppressor } from '../../common/logging/repeat-suppressor';
import type { BoundedConcurrency } from '../../common/concurrency/bounded-concurrency';
import type { CommitError } from './commit-manager';
import type { CommittedOffset } from './commit-receipts';
import type { KafkaSettings } from './compiled-subscription';
import { ConsumerOffsetSource } from './consumer-offset-source';
import { IDLE_CONSUMER_PROPERTIES } from './kafka-client-properties';
import type { CommitOffsets, Watermarks } from './partition-ledger';
import type { RdKafkaConsumer } from './rdkafka-consumer';

/** Process-wide consumer settings (from the config module). */
export interface ConsumerSettings {
  readonly instanceId: string;
  readonly commitIntervalMs: number;
  readonly drainTimeoutMs: number;
  readonly partitionBufferSize: number;
  readonly maxMessageBytes: number;
  readonly sessionTimeoutMs: number;
  readonly prefetchKbytes: number;
  readonly kafkaDebug?: string;
}

/** A structured log line of one subscription (its id and topic are added by the caller's logger). */
export type SubscriptionLog = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown>) => void;

/** A group rebalance as librdkafka reports it, served inside consume(). */
export type RebalanceEvent =
  | { readonly kind: 'assign'; readonly assignment: TopicPartitionOffset[]; readonly cooperative: boolean }
  | { readonly kind: 'revoke'; readonly assignment: TopicPartitionOffset[]; readonly cooperative: boolean }
  | { readonly kind: 'error'; readonly message: string; readonly code: number };

/** Where the session reports what the client tells it. */
export interface SessionHandler {
  rebalance(event: RebalanceEvent): void;
  /** The broker's answer to a commit (offset_commit_cb); commit() only says it was queued. */
  commitAnswer(err: CommitError | undefined, offsets: CommittedOffset[]): void;
  /** Kafka cannot be reached: for alerts and status. */
  unreachable(message: string): void;
}

/** Commit refusals saying the group is changing hands: work started now could not be committed. */
const MEMBERSHIP_CHANGING = new Set<number>([
  CODES.ERRORS.ERR_REBALANCE_IN_PROGRESS,
  CODES.ERRORS.ERR_ILLEGAL_GENERATION,
  CODES.ERRORS.ERR_UNKNOWN_MEMBER_ID,
  // Their KIP-848 counterparts: librdkafka does not retry manual commits refused with them.
  CODES.ERRORS.ERR_STALE_MEMBER_EPOCH,
  CODES.ERRORS.ERR_FENCED_MEMBER_EPOCH,
]);
/** How long one broker query (start positions, topic checks, seeks) may take before it is retried (ms). */
export const BROKER_QUERY_TIMEOUT_MS = 5_000;
/** How long a lagging partition's cached high watermark may stand still before the broker is asked, and how often at most, ms. */
export const PAUSED_WATERMARK_INTERVAL_MS = 5_000;
const CONNECT_TIMEOUT_MS = 10_000;
/** Kafka client errors repeat on every retry during an outage: one line per window per message. */
const CLIENT_ERROR_LOG_WINDOW_MS = 30_000;

/**
 * One subscription's Kafka consumer client, and the only place of the data path that calls it:
 * connect (with backoff), consume and its wake-ups, pause/resume, commits and the broker's
 * answers, rebalance callbacks, positions and watermarks, seek, close. What the client reports
 * goes to a SessionHandler. Properties: librdkafka CONFIGURATION.md.
 */
export class KafkaSession {
  private client: RdKafkaConsumer | null = null;
  /**
   * High watermarks asked of the broker for partitions not being fetched, by partition (see
   * refreshStaleWatermarks; librdkafka's rd_kafka_get_watermark_offsets answers from fetches).
   */
  private readonly askedHigh = new Map<number, { high: number; at: number; pending: boolean }>();
  /** The cached high watermark per partition as refreshStaleWatermarks last saw it, and since when (ms). */
  private readonly cachedHigh = new Map<number, { high: number; since: number }>();
  /** Closing (a stop): a revoke fired by the close can no longer commit. */
  private released = false;
  private wake: (() => void) | null = null;
  /** A wake-up that came while the loop was not waiting (e.g. mid-consume); the next wait skips. */
  private wakePending = false;
  private out = false;
  private lastFetchError = '';
  private readonly clientErrors = new RepeatSuppressor(CLIENT_ERROR_LOG_WINDOW_MS);

  constructor(
    private readonly subscriptionId: number,
    private readonly kafka: KafkaSettings,
    private readonly settings: ConsumerSettings,
    private readonly handler: SessionHandler,
    private readonly log: SubscriptionLog,
    /** Slots for start-position lookups, shared by the process's consumers (see ConsumerOffsetSource). */
    private readonly lookupSlots: BoundedConcurrency | null,
    /** Aborted when the consumer stops: lookups give up, so the close is not held. */
    private readonly lookups: AbortSignal,
  ) {}

  /** Whether commits are refused because the group is changing hands (librdkafka error codes). */
  static membershipChanging(code: number | undefined): boolean {
    return code !== undefined && MEMBERSHIP_CHANGING.has(code);
  }

  /** Connected, subscribed and not let go by a stop. */
  get live(): boolean {
    return this.client !== null && !this.released;
  }

  /** A consume() is out, or its records are not tracked yet (see settled()): the client's position runs ahead. */
  get consuming(): boolean {
    return this.out;
  }

  /**
   * Connects and subscribes, retrying with backoff (1 s doubling to 30 s) while `wanted()`;
   * `stop` aborts a wait. False when the consumer stopped first (a client connected meanwhile is
   * kept for close()).
   */
  async connect(wanted: () => boolean, stop: AbortSignal): Promise<boolean> {
    const k = this.kafka;
    const { settings } = this;
    const session = k.client['session.timeout.ms'];
    const sessionMs = typeof session === 'number' ? session : settings.sessionTimeoutMs;
    // Under KIP-848 the broker owns session, heartbeat and assignment, and librdkafka refuses
    // these properties (CONFIGURATION.md, group.protocol); validation keeps them out of k.client.
    const membership: Record<string, string | number> =
      k.groupProtocol === 'consumer'
        ? { 'group.protocol': 'consumer' }
        : { 'session.timeout.ms': sessionMs, 'heartbeat.interval.ms': Math.max(100, Math.floor(sessionMs / 3)) };
    for (let wait = 1000; wanted(); wait = Math.min(wait * 2, 30_000)) {
      const consumer = new KafkaConsumer(
        {
          ...membership,
          // Records of aborted transactions are never delivered, and the consumer stops at the
          // last stable offset: kproxy's documented default (librdkafka's too), which a
          // subscription may still turn off in its kafka.properties.
          'isolation.level': 'read_committed',
          ...IDLE_CONSUMER_PROPERTIES,
          'fetch.max.bytes': Math.max(1_048_576, Math.floor((settings.prefetchKbytes * 1024) / 4)),
          'socket.keepalive.enable': true,
          // The subscription's own allow-listed properties may tune the above, never what follows.
          ...k.client,
          'group.id': k.groupId,
          'client.id': `kproxy-${settings.instanceId}-${this.subscriptionId}`,
          'enable.auto.commit': false,
          'enable.auto.offset.store': false,
          // librdkafka's defaults prefetch up to 64 MB and 100k records per partition for each
          // consumer; a process runs many consumers, so each gets a small, fixed share.
          'queued.max.messages.kbytes': settings.prefetchKbytes,
          'queued.min.messages': 10_000,
          log_level: settings.kafkaDebug ? 7 : 3,
          ...(settings.kafkaDebug ? { debug: settings.kafkaDebug, event_cb: true } : {}),
          rebalance_cb: (err: LibrdKafkaError | undefined, assignment: TopicPartition[]) => this.onRebalance(consumer, err, assignment),
          // The broker's answer to each commit; commitCb only reports that it was queued.
          offset_commit_cb: (err: LibrdKafkaError | undefined, offsets: CommittedOffset[]) => this.handler.commitAnswer(err, offsets),
          // librdkafka signals when records arrive, so consume() never blocks a libuv pool thread
          // waiting for data (the approach of the library's own KafkaJS layer).
          queue_non_empty_cb: () => this.wakeUp(),
        } as ConsumerGlobalConfig,
        // Where a partition starts is decided once, at its assignment, never by librdkafka. This
        // only applies when a fetch position is no longer on the broker while running: retention
        // passed it (the log start is where the remaining records are) or the topic was
        // recreated (the new records start there too).
        { 'auto.offset.reset': 'earliest' },
      ) as RdKafkaConsumer;
      consumer.on('event.error', (err) => {
        const repeated = this.clientErrors.admit(err.message);
        if (repeated !== null) this.log('warn', 'kafka client error', { err: err.message, code: err.code, ...(repeated ? { repeated } : {}) });
      });
      if (settings.kafkaDebug) consumer.on('event.log', (e) => this.log('debug', 'librdkafka', { fac: e.fac, log: e.message }));
      try {
        await new Promise<void>((resolve, reject) => consumer.connect({ timeout: CONNECT_TIMEOUT_MS }, (err) => (err ? reject(err) : resolve())));
        consumer.setDefaultConsumeTimeout(0);
        consumer.setDefaultIsTimeoutOnlyForFirstMessage(true);
        consumer.subscribe([k.topic]);
        this.client = consumer;
        // A stop that arrived while connecting: the client stays for close().
        return wanted();
      } catch (err) {
        this.log('warn', 'cannot reach the Kafka cluster; retrying', { brokers: k.brokers, err: (err as Error).message, retryInMs: wait });
        this.handler.unreachable(`cannot reach the Kafka cluster at ${k.brokers}: ${(err as Error).message}`);
        consumer.disconnect();
        try {
          await sleep(wait, undefined, { signal: stop });
        } catch {
          return false;
        }
      }
    }
    return false;
  }

  /**
   * Runs inside librdkafka's callback: anything thrown here would escape into the binding, so
   * every failure is logged. Served for the client a stop is closing too: its revoke's unassign
   * is what librdkafka's close waits for.
   */
  private onRebalance(consumer: RdKafkaConsumer, err: LibrdKafkaError | undefined, assignment: TopicPartition[]): void {
    try {
      const cooperative = consumer.rebalanceProtocol() === 'COOPERATIVE';
      // The assignment's offsets are set where the partitions start (assign) before it is taken up.
      const tps = assignment as TopicPartitionOffset[];
      for (const tp of tps) {
        this.askedHigh.delete(tp.partition);
        this.cachedHigh.delete(tp.partition);
      }
      if (err?.code === CODES.ERRORS.ERR__ASSIGN_PARTITIONS) this.handler.rebalance({ kind: 'assign', assignment: tps, cooperative });
      else if (err?.code === CODES.ERRORS.ERR__REVOKE_PARTITIONS) this.handler.rebalance({ kind: 'revoke', assignment: tps, cooperative });
      else this.handler.rebalance({ kind: 'error', message: err?.message ?? 'no error code', code: err?.code ?? 0 });
    } catch (e) {
      this.log('error', 'rebalance handling failed', { err: (e as Error).message });
    }
  }

  /**
   * Up to `want` records already fetched (consume() never waits for data: see
   * queue_non_empty_cb). A failed consume is logged once per distinct error and returns none.
   * The caller calls settled() once the records are tracked.
   */
  consume(want: number): Promise<Message[]> {
    const client = this.client;
    if (!client) return Promise.resolve([]);
    return new Promise<Message[]>((resolve) => {
      this.wakePending = false;
      this.out = true;
      client.consume(want, (err, messages) => {
        if (err) {
          if (err.message !== this.lastFetchError) {
            this.lastFetchError = err.message;
            this.log('warn', 'fetch failed', { err: err.message, code: err.code });
          }
          resolve([]);
          return;
        }
        this.lastFetchError = '';
        resolve(messages ?? []);
      });
    });
  }

  /** The records of the last consume() are tracked: the client's position may be used again. */
  settled(): void {
    this.out = false;
  }

  /** Waits until records arrive (or a wake-up), at most `ms`; returns at once if a wake-up came meanwhile. */
  waitForRecords(ms: number): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wakeUp(), ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Whether the fetch loop waits in waitForRecords(). */
  get waiting(): boolean {
    return this.wake !== null;
  }

  /** Ends a waitForRecords(), or makes the next one return at once. */
  wakeUp(): void {
    const wake = this.wake;
    this.wake = null;
    if (wake) wake();
    else this.wakePending = true;
  }

  /** Pauses a partition's fetching; false (logged) when the client refused. */
  pause(partition: number): boolean {
    try {
      this.client?.pause([{ topic: this.kafka.topic, partition }]);
      return true;
    } catch (err) {
      this.log('warn', 'pause failed', { partition, err: (err as Error).message });
      return false;
    }
  }

  /**
   * Resumes partitions' fetching; a refusal is logged ('resume failed' with the partition, or,
   * for a revoke's paused partitions, 'resume on revoke failed' with the list).
   */
  resume(partitions: readonly number[], onRevoke = false): void {
    const client = this.client;
    if (!client || partitions.length === 0) return;
    for (const partition of partitions) {
      this.askedHigh.delete(partition);
      this.cachedHigh.delete(partition);
    }
    try {
      client.resume(partitions.map((partition) => ({ topic: this.kafka.topic, partition })));
    } catch (err) {
      if (onRevoke) this.log('warn', 'resume on revoke failed', { partitions, err: (err as Error).message });
      else this.log('warn', 'resume failed', { partition: partitions[0], err: (err as Error).message });
    }
  }

  /** Queues a commit; resolves with the client's refusal, or null (the broker's answer comes through SessionHandler.commitAnswer). */
  commit(offsets: CommitOffsets): Promise<CommitError | null> {
    const client = this.client;
    if (!client) return Promise.resolve({ message: 'not connected' });
    return new Promise((resolve) => {
      try {
        client.commitCb(offsets, (err) => resolve(err));
      } catch (err) {
        resolve(err as Error);
      }
    });
  }

  /** Commits and waits for the broker (a revoke's last commit); throws the refusal. */
  commitSync(offsets: CommitOffsets): void {
    this.client?.commitSync(offsets);
  }

  /** Whether the revoke being served is of partitions already lost (no commit possible). */
  assignmentLost(): boolean {
    return this.client?.assignmentLost() ?? false;
  }

  /** Takes an assignment up (positions set by the caller on `assignment`). */
  assign(assignment: TopicPartitionOffset[], cooperative: boolean): void {
    if (cooperative) this.client?.incrementalAssign(assignment);
    else this.client?.assign(assignment);
  }

  /** Gives a revoked assignment up. */
  unassign(assignment: TopicPartitionOffset[], cooperative: boolean): void {
    if (cooperative) this.client?.incrementalUnassign(assignment);
    else this.client?.unassign();
  }

  /**
   * The client's fetch position of a partition; undefined when not live, while a consume() is
   * out (see consuming), or when the client has none (nothing returned since the assignment).
   */
  position(partition: number): number | undefined {
    const client = this.client;
    if (!client || this.released || this.out) return undefined;
    try {
      const [tp] = client.position([{ topic: this.kafka.topic, partition }]);
      return tp && typeof tp.offset === 'number' ? tp.offset : undefined;
    } catch {
      // not assigned to the client (any more)
      return undefined;
    }
  }

  /**
   * The watermarks the client has cached for a partition (-1 each when none is known yet); the
   * high one is raised to what the broker answered refreshStaleWatermarks, when that is newer.
   */
  watermarks(partition: number): Watermarks {
    const asked = this.askedHigh.size ? (this.askedHigh.get(partition)?.high ?? -1) : -1;
    try {
      const { lowOffset, highOffset } = this.client!.getWatermarkOffsets(this.kafka.topic, partition);
      return { low: lowOffset, high: Math.max(highOffset, asked) };
    } catch {
      return { low: -1, high: asked };
    }
  }

  /**
   * Asks the broker for the high watermark of each of `partitions` (those with lag) whose cached
   * one has not moved for PAUSED_WATERMARK_INTERVAL_MS, at most once per interval and one request
   * at a time per partition, without waiting for the answer (watermarks() uses it once it came).
   * librdkafka caches high watermarks from fetch answers, and a partition kproxy paused, or whose
   * prefetch queue is full (queued.max.messages.kbytes, queued.min.messages), is not fetched, so
   * its lag would stop growing exactly while its consumer is stuck; with this the heartbeats, the
   * lag alert and the lag metric keep counting what is produced. A resume or a rebalance forgets
   * the answers. Failures are ignored: the cached value stays.
   */
  refreshStaleWatermarks(partitions: readonly number[]): void {
    const client = this.client;
    if (!client || !this.live) return;
    const now = Date.now();
    for (const partition of partitions) {
      let cached = -1;
      try {
        cached = client.getWatermarkOffsets(this.kafka.topic, partition).highOffset;
      } catch {
        continue;
      }
      const seen = this.cachedHigh.get(partition);
      if (!seen || seen.high !== cached) {
        this.cachedHigh.set(partition, { high: cached, since: now });
        continue;
      }
      if (now - seen.since < PAUSED_WATERMARK_INTERVAL_MS) continue;
      const asked = this.askedHigh.get(partition);
      if (asked && (asked.pending || now - asked.at < PAUSED_WATERMARK_INTERVAL_MS)) continue;
      const entry = { high: asked?.high ?? -1, at: now, pending: true };
      this.askedHigh.set(partition, entry);
      try {
        client.queryWatermarkOffsets(this.kafka.topic, partition, BROKER_QUERY_TIMEOUT_MS, (err, offsets) => {
          entry.pending = false;
          if (!err && offsets && this.askedHigh.get(partition) === entry) entry.high = offsets.highOffset;
        });
      } catch {
        entry.pending = false;
      }
    }
  }

  /** Moves a partition's fetch position; a failure is logged. */
  seek(partition: number, offset: number, what: string): void {
    this.client?.seek({ topic: this.kafka.topic, partition, offset }, BROKER_QUERY_TIMEOUT_MS, (err) => {
      if (err) this.log('warn', what, { partition, offset, err: err.message });
    });
  }

  /** The broker's answers for start positions and topic checks, through the process's lookup slots; null when not connected. */
  offsetSource(): ConsumerOffsetSource | null {
    const client = this.client;
    return client ? new ConsumerOffsetSource(client, this.kafka.topic, BROKER_QUERY_TIMEOUT_MS, this.lookupSlots, this.lookups) : null;
  }

  /**
   * Closes the client (leaves the group), waiting at most `timeoutMs`; false when it did not
   * close in time (left behind). From here the session is not live; the revoke the close fires
   * is still served, even after the timeout (its unassign is what librdkafka's close waits for).
   */
  async close(timeoutMs: number): Promise<boolean> {
    const client = this.client;
    this.released = true;
    if (!client) return true;
    const closed = new Promise<boolean>((resolve) =>
      client.disconnect(() => {
        if (this.client === client) this.client = null;
        resolve(true);
      }),
    );
    // With every broker gone, librdkafka's close can wait forever; a stop must not.
    return Promise.race([closed, sleep(timeoutMs).then(() => false)]);
  }
}

import { CODES, KafkaConsumer, type ConsumerGlobalConfig, type LibrdKafkaError, type Message, type TopicPartition, type TopicPartitionOffset } from '@confluentinc/kafka-javascript';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JsonLogger } from '../../common/logging/json.logger';
import { RepeatSuppressor } from '../../common/logging/repeat-suppressor';
import type { DeadLettersService } from '../../dead-letters/dead-letters.service';
import type { HttpSender } from '../../delivery/http-sender.service';
import { AdaptiveConcurrency } from '../../delivery/adaptive-concurrency';
import { sqlErrorSummary } from '../../database/sql-failure';
import type { CircuitBreaker, CircuitSnapshot } from '../../delivery/circuit-breaker';
import type { CircuitBreakerRegistry } from '../../delivery/circuit-breaker.registry';
import type { RateGate } from '../../delivery/rate-gate';
import type { RateGateRegistry } from '../../delivery/rate-gate.registry';
import type { SubscriptionMetrics } from '../../metrics/subscription-metrics';
import type { ConsumerStartsRepository } from '../offsets/consumer-starts.repository';
import type { CompiledSubscription } from './compiled-subscription';
import { CommitBatcher } from './commit-batcher';
import { CommitReceipts, type CommittedOffset } from './commit-receipts';
import { ConsumerOffsetSource } from './consumer-offset-source';
import { LaneScheduler } from './lane-scheduler';
import { PartitionState, type BufferBounds } from './partition-state';
import type { RdKafkaConsumer } from './rdkafka-consumer';
import { IDLE_CONSUMER_PROPERTIES } from './kafka-client-properties';
import { GroupMemberWatch } from './group-member-watch';
import { ParkedKeys } from './parked-keys';
import type { GroupDescriber } from '../groups/group-describer.service';
import type { BoundedConcurrency } from '../../common/concurrency/bounded-concurrency';
import type { GroupMember } from '../../model/group-member';
import { RecordProcessor } from './record-processor';
import { StartPositionResolver, type PartitionStart, type StartLedger } from './start-position-resolver';
import { AssignmentShare } from './assignment-share';

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

export interface ConsumerDeps {
  readonly sender: HttpSender;
  readonly gates: RateGateRegistry;
  readonly breakers: CircuitBreakerRegistry;
  readonly deadLetters: DeadLettersService;
  /** Whether this subscription took its topic up before, when Kafka no longer says so. */
  readonly starts: Pick<ConsumerStartsRepository, 'read' | 'record'>;
  readonly metrics: SubscriptionMetrics;
  readonly logger: JsonLogger;
  readonly settings: ConsumerSettings;
  /** Who is in the subscription's group (DescribeGroups, out of process). */
  readonly groups: Pick<GroupDescriber, 'members'>;
  /** Slots for start-position lookups, shared by the process's consumers (see ConsumerOffsetSource). */
  readonly lookupSlots?: BoundedConcurrency;
  /** Told when the consumer cannot consume (Kafka unreachable, loop failed), for alerts. */
  readonly reportProblem?: (message: string) => void;
}

/** 'failed': the fetch loop died; the supervisor rebuilds the consumer on its next pass. */
export type ConsumerState = 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/** How the endpoint is doing as this consumer sees it: its breaker and its in-flight limit. */
export interface DeliveryHealth {
  circuit: CircuitSnapshot & { enabled: boolean; openMs: number; lastOpenForMs: number };
  /** Deliveries allowed at once now, and the ceiling (delivery.maxInFlight). */
  inFlightLimit: number;
  maxInFlight: number;
  adaptive: boolean;
}

export interface ConsumerSnapshot {
  subscriptionId: number;
  state: ConsumerState;
  partitions: number[];
  /** Its endpoint's breaker and in-flight limit here (absent in heartbeats written before issue 16). */
  endpoint?: DeliveryHealth;
  /** Members of its consumer group that are not its kproxy consumers (GroupMemberWatch); absent when none. */
  foreignMembers?: readonly GroupMember[];
}

const CONSUME_BATCH = 500;
/** How long the outside-member look waits for the coordinator; a stop waits for it (ms). */
const GROUP_DESCRIBE_TIMEOUT_MS = 3_000;
/** How often the parked keys are read again (keys re-delivered from another instance leave then), ms. */
const PARKED_RELOAD_MS = 5_000;
/** Done records whose commit is unconfirmed beyond which a slow commit answer holds deliveries (see COMMIT_STALL_MIN_MS). */
const COMMIT_STALL_RECORDS = 2000;
/** How long one broker query deciding where assigned partitions start may take before it is retried. */
const START_QUERY_TIMEOUT_MS = 5_000;
/**
 * A recorded first start older than this, while the group has no commit on any partition, means
 * Kafka forgot the group's offsets; younger, it is a member of the same first start. Members
 * commit their start positions within milliseconds of recording them.
 */
const START_AGED_MS = 60_000;
/**
 * How often a running consumer compares its topic's id with the one it started under (a
 * recreated topic). Every 10 s cost 100 idle subscriptions 4 % more of a core (7.8 → 12.1 %).
 */
const TOPIC_WATCH_MS = 30_000;
const MAX_WINDOW = 100_000;
const DISCONNECT_TIMEOUT_MS = 10_000;
/** Commit answers saying the group is changing hands: work started now could not be committed. */
const MEMBERSHIP_CHANGING = new Set<number>([
  CODES.ERRORS.ERR_REBALANCE_IN_PROGRESS,
  CODES.ERRORS.ERR_ILLEGAL_GENERATION,
  CODES.ERRORS.ERR_UNKNOWN_MEMBER_ID,
  // Their KIP-848 counterparts: librdkafka does not retry manual commits refused with them.
  CODES.ERRORS.ERR_STALE_MEMBER_EPOCH,
  CODES.ERRORS.ERR_FENCED_MEMBER_EPOCH,
]);
/** How long a commit may wait for the broker's answer before it is treated as failed and retried. */
const COMMIT_ANSWER_TIMEOUT_MS = 30_000;
/**
 * Done records whose commit the broker has not confirmed for this long (or three commit
 * intervals, if longer), or more than COMMIT_STALL_RECORDS of them while a commit has waited
 * COMMIT_SLOW_MS for its answer, hold new deliveries until a commit is confirmed. A coordinator
 * that died or froze confirms no commit for ~10 s (broker.session.timeout.ms, then election),
 * and everything delivered meanwhile is delivered again after the rejoin: ~3000 of 8000 records
 * on a three-node cluster before this hold. The answer's age keeps a fast subscription whose
 * commits are merely slower than 2000 records (46k/s with 25 ms commits) from holding.
 */
const COMMIT_STALL_MIN_MS = 2000;
const COMMIT_SLOW_MS = 250;
/** A hold that lasts this long is reported as a problem of the subscription (alerts, status). */
const COMMIT_STALL_REPORT_MS = 30_000;
// Rebalance callbacks only run inside consume(). Rebalance events land on the consumer queue
// and wake the loop through queue_non_empty_cb; this poll is only the fallback. Each poll is a
// libuv pool job and two event-loop turns, paid by every idle consumer of the process (kept at
// 5 s: a longer fallback was not measured on its own).
const IDLE_POLL_MS = 5000;
const HOLD_POLL_MS = 50;
const UNASSIGNED_POLL_MS = 250;
/**
 * How long after joining (or losing its partitions) a member without partitions polls every
 * UNASSIGNED_POLL_MS. Past that it is a standby (placement runs a subscription on several
 * instances; a one-partition topic gives one of them nothing) and polls like an idle member:
 * 4 polls a second from every standby were most of the JS thread's idle CPU.
 */
const UNASSIGNED_FAST_FOR_MS = 30_000;
/** Kafka client errors and failed commits repeat on every retry during an outage: one line per window per message. */
const CLIENT_ERROR_LOG_WINDOW_MS = 30_000;
/** Exceptions kproxy may throw on one record (or batch) in a row before it is dead-lettered as internal_error. */
const UNEXPECTED_FAILURE_LIMIT = 3;

interface BatchItem {
  readonly st: PartitionState;
  readonly msg: Message;
}

/**
 * One Kafka consumer for one subscription: fetches, dispatches records (or batches of them) to
 * the processor under the ordering mode, tracks acknowledgements per partition and commits the
 * done prefix. At most maxInFlight deliveries run at once.
 */
export class SubscriptionConsumer {
  private state: ConsumerState = 'starting';
  private kafka: RdKafkaConsumer | null = null;
  private readonly partitions = new Map<number, PartitionState>();
  private readonly abort = new AbortController();
  private readonly processor: RecordProcessor;
  /** Records taken from the scheduler and not settled (sending, waiting in the open batch). */
  private inFlight = 0;
  /** Deliveries running: single records or batches; bounded by maxInFlight. */
  private active = 0;
  /** A partial batch waiting up to batchWaitMs for more records; its lanes are held. */
  private open: BatchItem[] | null = null;
  private openSince = 0;
  private lingerTimer: NodeJS.Timeout | null = null;
  private lingerDue = 0;
  /** Stopping, but still finishing holes: records skipped while later ones of their partition ran. */
  private draining = false;
  private gate: RateGate;
  private breaker: CircuitBreaker;
  private readonly concurrency: AdaptiveConcurrency;
  private readonly parked = new ParkedKeys();
  private parkedTimer: NodeJS.Timeout | null = null;
  private bounds: BufferBounds;
  private readonly commits: CommitBatcher;
  private pollLoop: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private idleWaiters: Array<() => void> = [];
  private lastFetchError = '';
  private readonly receipts = new CommitReceipts();
  private readonly clientErrors = new RepeatSuppressor(CLIENT_ERROR_LOG_WINDOW_MS);
  /**
   * Set while the broker refuses commits because the group is rebalancing: no new record starts
   * until the partitions are handed out again, since whatever is done meanwhile cannot be
   * committed and its next owner would deliver it again.
   */
  private holdTimer: NodeJS.Timeout | null = null;
  /** When the first record done since the last confirmed commit became done (ms), or 0. */
  private uncommittedSince = 0;
  /** Records done since the last confirmed commit (about: a commit covers what was done when it was sent). */
  private unconfirmed = 0;
  /** When the commit now waiting for its answer was sent (ms), or 0. */
  private commitSentAt = 0;
  private stalledSince = 0;
  private stallReported = false;
  private lastDoneAt = 0;
  private stalled = false;
  /** A consume() is out, or its records are not tracked yet: the client's position runs ahead. */
  private consuming = false;
  /** Done offsets whose revoke commit the broker refused, for partitions handed straight back. */
  private resumeAt: Map<number, number> | null = null;
  /**
   * Rebalance events, handled one after another: an assignment waits for the broker's answers
   * on where its partitions start, and a revoke must not overtake it.
   */
  private rebalances: Promise<void> = Promise.resolve();
  /** Aborted when the consumer stops: start-position lookups give up, so the close is not held. */
  private readonly lookups = new AbortController();
  /** A topic-id check is running (watchTopic). */
  private watching = false;
  private topicWatch: NodeJS.Timeout | null = null;
  /** States replaced after a partition's offsets went back: their records still in flight are stopped with the rest. */
  private readonly retired = new Set<PartitionState>();
  /** Exceptions in a row per record in flight (a batch counts on its first record); entries go with the record. */
  private readonly failures = new WeakMap<Message, number>();
  private readonly scheduler: LaneScheduler;
  private wake: (() => void) | null = null;
  /** A wake-up that came while the loop was not waiting (e.g. mid-consume); the next wait skips. */
  private wakePending = false;
  /** When this member joined or last lost all its partitions (ms): it polls fast for a while after (pollAfterMs). */
  private unassignedSince = 0;
  /** Looks for consumers outside kproxy in this subscription's group after each assignment. */
  private readonly groupWatch: GroupMemberWatch;
  /** Tells the rate gates which part of the topic's partitions this instance owns (cluster-wide rates). */
  private readonly share: AssignmentShare;

  constructor(
    private compiled: CompiledSubscription,
    private readonly deps: ConsumerDeps,
  ) {
    this.scheduler = new LaneScheduler(compiled.policy.ordering);
    this.commits = new CommitBatcher(() => this.flushCommit(), () => this.doneOffsets().length > 0, deps.settings.commitIntervalMs);
    this.gate = deps.gates.attach(compiled.id, compiled.spec.endpoint.rateGroup, compiled.policy.ratePerSec);
    this.breaker = deps.breakers.attach(compiled.id, compiled.target.origin, compiled.policy.circuitBreaker, compiled.spec.owner);
    this.concurrency = new AdaptiveConcurrency(compiled.policy.maxInFlight, compiled.policy.adaptiveConcurrency);
    this.bounds = SubscriptionConsumer.bounds(compiled.policy, deps.settings.partitionBufferSize);
    this.groupWatch = new GroupMemberWatch(
      compiled.id,
      () => (this.kafka ? deps.groups.members(this.compiled.kafka, GROUP_DESCRIBE_TIMEOUT_MS) : Promise.resolve(undefined)),
      (outside, err) => this.onForeignMembers(outside, err),
    );
    this.share = new AssignmentShare(
      () => (this.kafka ? this.offsetSource(this.kafka).partitions().then((p) => p.length) : Promise.reject(new Error('not connected'))),
      (share) => this.deps.gates.setShare(this.compiled.id, share),
      (err) => this.log('warn', "cannot read the topic's partition count; the rate share stays as it was", { err: err.message }),
    );
    this.processor = new RecordProcessor(
      {
        sender: deps.sender,
        deadLetters: deps.deadLetters,
        metrics: deps.metrics,
        logger: deps.logger,
        gate: () => this.gate,
        breaker: () => this.breaker,
        concurrency: this.concurrency,
        parked: this.parked,
        maxMessageBytes: deps.settings.maxMessageBytes,
      },
      () => this.compiled,
    );
  }

  get config(): CompiledSubscription {
    return this.compiled;
  }

  get recordsInFlight(): number {
    return this.inFlight;
  }

  health(): DeliveryHealth {
    const policy = this.compiled.policy;
    return {
      circuit: { ...this.breaker.snapshot(), enabled: policy.circuitBreaker.enabled, openMs: this.breaker.openMs, lastOpenForMs: this.breaker.lastOpenForMs },
      inFlightLimit: this.concurrency.limit,
      maxInFlight: policy.maxInFlight,
      adaptive: policy.adaptiveConcurrency,
    };
  }

  snapshot(): ConsumerSnapshot {
    const foreign = this.groupWatch.members;
    return {
      subscriptionId: this.compiled.id,
      state: this.state,
      partitions: [...this.partitions.keys()].sort((a, b) => a - b),
      endpoint: this.health(),
      ...(foreign.length ? { foreignMembers: foreign } : {}),
    };
  }

  /** Members of the group that are not this subscription's kproxy consumers, as last seen. */
  get foreignMembers(): readonly GroupMember[] {
    return this.groupWatch.members;
  }

  private onForeignMembers(outside: readonly GroupMember[], err: Error | null): void {
    const group = this.compiled.kafka.groupId;
    if (err) this.log('warn', 'could not describe the consumer group to look for outside members', { group, err: err.message });
    else if (outside.length) {
      this.log('error', 'the consumer group has members outside kproxy: they take partitions and commit in this subscription\'s name', {
        group,
        members: outside.map((m) => `${m.clientId} at ${m.clientHost}`),
      });
    } else this.log('info', 'the consumer group has no members outside kproxy any more', { group });
  }

  /** Lag per owned partition from the client's cached high watermark; no broker round trip. */
  lag(): Array<{ partition: number; lag: number }> {
    const kafka = this.kafka;
    if (!kafka || this.state !== 'running') return [];
    const out: Array<{ partition: number; lag: number }> = [];
    for (const st of this.partitions.values()) {
      // Before anything is done (a head record failing since the start), the lag counts from
      // where this ownership started, so a stuck partition shows its lag everywhere.
      const position = this.committable(st) ?? (st.committed >= 0 ? st.committed : st.start >= 0 ? st.start : undefined);
      if (position === undefined) continue;
      try {
        const { highOffset } = kafka.getWatermarkOffsets(this.compiled.kafka.topic, st.partition);
        if (highOffset >= 0) out.push({ partition: st.partition, lag: Math.max(0, highOffset - position) });
      } catch {
        // not fetched yet: no watermark known
      }
    }
    return out;
  }

  /** ETL, endpoint, retry and rate changes: applied to the next record without touching the group. */
  update(compiled: CompiledSubscription): void {
    if (compiled.rebuildKey !== this.compiled.rebuildKey) throw new Error('Kafka or ordering settings changed: the consumer must be rebuilt');
    const previous = this.compiled;
    this.compiled = compiled;
    this.gate = this.deps.gates.attach(compiled.id, compiled.spec.endpoint.rateGroup, compiled.policy.ratePerSec);
    this.breaker = this.deps.breakers.attach(compiled.id, compiled.target.origin, compiled.policy.circuitBreaker, compiled.spec.owner);
    this.concurrency.configure(compiled.policy.maxInFlight, compiled.policy.adaptiveConcurrency);
    if (compiled.policy.keyParking && (!this.parked.loaded || !previous.policy.keyParking)) {
      // Off, it kept no account of new dead letters: read the store before the next record.
      this.parked.invalidate();
      this.reloadParked();
    }
    this.bounds = SubscriptionConsumer.bounds(compiled.policy, this.deps.settings.partitionBufferSize);
    this.dispatchAll();
  }

  /** The broker's answers for start positions and topic checks, through the process's lookup slots. */
  private offsetSource(consumer: RdKafkaConsumer): ConsumerOffsetSource {
    return new ConsumerOffsetSource(consumer, this.compiled.kafka.topic, START_QUERY_TIMEOUT_MS, this.deps.lookupSlots ?? null, this.lookups.signal);
  }

  start(): void {
    this.reloadParked();
    this.parkedTimer = setInterval(() => this.reloadParked(), PARKED_RELOAD_MS);
    this.parkedTimer.unref();
    this.pollLoop = this.run().catch((err: unknown) => {
      if (this.state === 'running' || this.state === 'starting') this.state = 'failed';
      this.log('error', 'consumer loop failed; it will be rebuilt', { err: (err as Error).message });
      this.deps.reportProblem?.(`the consumer stopped on an error and will be rebuilt: ${(err as Error).message}`);
    });
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async run(): Promise<void> {
    const kafka = await this.connect();
    if (!kafka || this.state !== 'starting') return;
    this.state = 'running';
    this.log('info', 'consumer started', { groupId: this.compiled.kafka.groupId });
    this.topicWatch = setInterval(() => void this.watchTopic(), TOPIC_WATCH_MS);
    this.topicWatch.unref();
    while (this.state === 'running') {
      // Pull only when too little is ready to run. Records left in librdkafka's queue cost no
      // re-fetch, while a partition paused by a full window drops its prefetch and stalls.
      if (this.scheduler.runnable >= this.pullBelow()) await this.idle();
      if (this.state !== 'running') break;
      const batch = await this.fetch(kafka);
      for (let i = 0; i < batch.length; i++) this.enqueue(batch[i]);
      this.consuming = false;
      this.dispatchAll();
    }
  }

  private async connect(): Promise<RdKafkaConsumer | null> {
    const { kafka: k } = this.compiled;
    const { settings } = this.deps;
    const session = k.client['session.timeout.ms'];
    const sessionMs = typeof session === 'number' ? session : settings.sessionTimeoutMs;
    // Under KIP-848 the broker owns session, heartbeat and assignment, and librdkafka refuses
    // these properties (CONFIGURATION.md, group.protocol); validation keeps them out of k.client.
    const membership: Record<string, string | number> =
      k.groupProtocol === 'consumer'
        ? { 'group.protocol': 'consumer' }
        : { 'session.timeout.ms': sessionMs, 'heartbeat.interval.ms': Math.max(100, Math.floor(sessionMs / 3)) };
    for (let wait = 1000; this.state === 'starting'; wait = Math.min(wait * 2, 30_000)) {
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
          'client.id': `kproxy-${settings.instanceId}-${this.compiled.id}`,
          'enable.auto.commit': false,
          'enable.auto.offset.store': false,
          // librdkafka's defaults prefetch up to 64 MB and 100k records per partition for each
          // consumer; a process runs many consumers, so each gets a small, fixed share.
          'queued.max.messages.kbytes': settings.prefetchKbytes,
          'queued.min.messages': 10_000,
          'log_level': settings.kafkaDebug ? 7 : 3,
          ...(settings.kafkaDebug ? { debug: settings.kafkaDebug, event_cb: true } : {}),
          rebalance_cb: (err: LibrdKafkaError, assignment: TopicPartition[]) => this.onRebalance(consumer, err, assignment),
          // The broker's answer to each commit; commitCb only reports that it was queued.
          offset_commit_cb: (err: LibrdKafkaError | undefined, offsets: CommittedOffset[]) => this.onCommitAnswer(err, offsets),
          // librdkafka signals when records arrive, so consume() never blocks a libuv pool thread
          // waiting for data (the approach of the library's own KafkaJS layer).
          queue_non_empty_cb: () => this.wakeFetch(),
        } as ConsumerGlobalConfig,
        // Where a partition starts is decided once, at its assignment (assignPartitions), never
        // by librdkafka. This only applies when a fetch position is no longer on the broker
        // while running: retention passed it (the log start is where the remaining records
        // are) or the topic was recreated (the new records start there too).
        { 'auto.offset.reset': 'earliest' },
      ) as RdKafkaConsumer;
      consumer.on('event.error', (err) => {
        const repeated = this.clientErrors.admit(err.message);
        if (repeated !== null) this.log('warn', 'kafka client error', { err: err.message, code: err.code, ...(repeated ? { repeated } : {}) });
      });
      if (settings.kafkaDebug) consumer.on('event.log', (e) => this.deps.logger.debug('librdkafka', { subscription: this.compiled.id, fac: e.fac, log: e.message }));
      try {
        await new Promise<void>((resolve, reject) =>
          consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())),
        );
        consumer.setDefaultConsumeTimeout(0);
        consumer.setDefaultIsTimeoutOnlyForFirstMessage(true);
        consumer.subscribe([k.topic]);
        this.kafka = consumer;
        this.unassignedSince = Date.now();
        // A stop that arrived while connecting: hand the client to shutdown() and leave.
        return this.state === 'starting' ? consumer : null;
      } catch (err) {
        this.log('warn', 'cannot reach the Kafka cluster; retrying', { brokers: k.brokers, err: (err as Error).message, retryInMs: wait });
        this.deps.reportProblem?.(`cannot reach the Kafka cluster at ${k.brokers}: ${(err as Error).message}`);
        consumer.disconnect();
        try {
          await sleep(wait, undefined, { signal: this.abort.signal });
        } catch {
          return null;
        }
      }
    }
    return null;
  }

  private async fetch(kafka: RdKafkaConsumer): Promise<Message[]> {
    const batch = await new Promise<Message[]>((resolve) => {
      // Pull about what can start soon: a large pull lands in one partition's window and pauses it.
      const want = Math.min(CONSUME_BATCH, Math.max(1, this.pullBelow() - this.scheduler.runnable));
      this.wakePending = false;
      this.consuming = true;
      kafka.consume(want, (err, messages) => {
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
    if (batch.length === 0 && this.state === 'running') {
      this.consuming = false;
      this.commits.noteIdle();
      await this.idle();
    }
    return batch;
  }

  private idle(): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wakeFetch(), this.pollAfterMs());
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /**
   * While holding, the rebalance that ends the hold is only served inside consume(), and records
   * already queued mean no queue_non_empty_cb announces it. A member without partitions is
   * waiting for an assignment it must take up promptly, or the group rebalances again (seen
   * with a joining instance whose wake-up did not arrive).
   */
  private pollAfterMs(): number {
    if (this.holdTimer || this.stalled) return HOLD_POLL_MS;
    const joining = Date.now() - this.unassignedSince < UNASSIGNED_FAST_FOR_MS;
    return this.partitions.size === 0 && joining ? UNASSIGNED_POLL_MS : IDLE_POLL_MS;
  }

  private wakeFetch(): void {
    const wake = this.wake;
    this.wake = null;
    if (wake) wake();
    else this.wakePending = true;
  }

  private onRebalance(consumer: RdKafkaConsumer, err: LibrdKafkaError, assignment: TopicPartition[]): void {
    this.rebalances = this.rebalances.then(() => this.rebalance(consumer, err, assignment));
  }

  private async rebalance(consumer: RdKafkaConsumer, err: LibrdKafkaError, assignment: TopicPartition[]): Promise<void> {
    const cooperative = consumer.rebalanceProtocol() === 'COOPERATIVE';
    this.releaseHold();
    try {
      if (err.code === CODES.ERRORS.ERR__ASSIGN_PARTITIONS) {
        await this.assignPartitions(consumer, assignment, cooperative);
      } else if (err.code === CODES.ERRORS.ERR__REVOKE_PARTITIONS) {
        // Commit what is done before the partitions move; records still in flight are not done
        // and will be delivered again by the new owner. A stop has already sent its final commit
        // and let go of the client (this.kafka is null) before closing it: the revoke that the
        // close fires can no longer commit, and has nothing left to.
        const offsets = this.doneOffsets(assignment.map((tp) => tp.partition));
        const closing = this.kafka !== consumer;
        if (offsets.length && !consumer.assignmentLost() && !closing) {
          try {
            consumer.commitSync(offsets);
          } catch (e) {
            this.resumeAt = new Map(offsets.map((o) => [o.partition, o.offset]));
            this.log('warn', 'commit on revoke failed; a partition handed back starts after what was delivered', {
              err: (e as Error).message,
              offsets: offsets.map((o) => `${o.partition}:${o.offset}`),
            });
          }
        }
        const paused: TopicPartition[] = [];
        for (const tp of assignment) {
          const st = this.partitions.get(tp.partition);
          if (!st) continue;
          // librdkafka keeps a partition's pause across unassign/assign.
          if (st.paused) paused.push({ topic: tp.topic, partition: tp.partition });
          st.revoke();
          this.scheduler.dropPartition(tp.partition);
          this.partitions.delete(tp.partition);
          for (const old of this.retired) if (old.partition === tp.partition) old.revoke();
        }
        // A closing client refuses resume (ERR__STATE) and will not be assigned again. Whatever
        // fails here, the unassign below must happen: librdkafka's close waits for it (seen on a
        // real broker: a stop hung 10 s after a refused resume skipped the unassign).
        if (paused.length && !closing) {
          try {
            consumer.resume(paused);
          } catch (e) {
            this.log('warn', 'resume on revoke failed', { partitions: paused.map((tp) => tp.partition), err: (e as Error).message });
          }
        }
        if (cooperative) consumer.incrementalUnassign(assignment);
        else consumer.unassign();
        if (this.partitions.size === 0) this.unassignedSince = Date.now();
        this.log('info', 'partitions revoked', { partitions: assignment.map((tp) => tp.partition) });
      } else {
        this.log('error', 'rebalance error', { err: err.message, code: err.code });
      }
      if (this.kafka === consumer) void this.share.changed(this.partitions.size);
    } catch (e) {
      this.log('error', 'rebalance handling failed', { err: (e as Error).message });
    }
  }

  /**
   * Takes up newly assigned partitions at positions decided once (StartPositionResolver), and
   * commits every position that is not the group's committed offset at once, so a stop, a crash
   * or a rebalance continues from it. A record of a previous ownership may still be settling:
   * its lane keeps later records of the same partition or key waiting, so order holds across
   * the reassignment.
   */
  private async assignPartitions(consumer: RdKafkaConsumer, assignment: TopicPartition[], cooperative: boolean): Promise<void> {
    // A partition handed straight back after a refused revoke commit starts after what this
    // member delivered, not at the stale committed offset. Nobody else owned it in between,
    // and should someone have, starting here only repeats records; it never skips one.
    const resume = this.resumeAt;
    this.resumeAt = null;
    const resolved = await this.startPositions(consumer, assignment.map((tp) => tp.partition), resume);
    const starts = resolved?.starts;
    let commit = false;
    for (const tp of assignment as TopicPartitionOffset[]) {
      const st = new PartitionState(tp.partition);
      this.partitions.set(tp.partition, st);
      st.topicId = resolved?.topicId ?? null;
      const start = starts?.get(tp.partition);
      if (!start) continue;
      tp.offset = start.offset;
      st.start = start.offset;
      st.expected = start.offset;
      if (start.committed !== null && start.committed <= start.offset) st.committed = start.committed;
      if (start.commit) {
        st.tracker.resumeAt(start.offset);
        commit = true;
      }
      this.noteStart(start);
    }
    if (commit) setImmediate(() => void this.commits.commitNow());
    if (cooperative) consumer.incrementalAssign(assignment);
    else consumer.assign(assignment);
    this.groupWatch.soon();
    // Another instance may have dead-lettered records of these partitions: read the parked keys
    // again before any of their records is dispatched.
    if (this.compiled.policy.keyParking) {
      this.parked.invalidate();
      this.reloadParked();
    }
    this.log('info', 'partitions assigned', {
      partitions: assignment.map((tp) => tp.partition),
      ...(starts ? { startAt: [...starts.values()].map((s) => `${s.partition}:${s.offset} (${s.reason})`) } : {}),
    });
  }

  /**
   * Where each partition starts, asked of the broker until it answers; null when the consumer
   * stops meanwhile (then librdkafka's committed offset applies, and nothing is consumed).
   */
  private async startPositions(
    consumer: RdKafkaConsumer,
    partitions: number[],
    resume: Map<number, number> | null,
  ): Promise<{ starts: Map<number, PartitionStart>; topicId: string | null } | null> {
    const { startFrom } = this.compiled.kafka;
    const source = this.offsetSource(consumer);
    const ledger = this.ledger();
    const stopped = new Promise<null>((resolve) => {
      if (this.lookups.signal.aborted) resolve(null);
      else this.lookups.signal.addEventListener('abort', () => resolve(null), { once: true });
    });
    const since = Date.now();
    for (let wait = 500; ; wait = Math.min(wait * 2, 10_000)) {
      if (this.kafka !== consumer || this.state !== 'running') return null;
      try {
        const resolved = await Promise.race([StartPositionResolver.resolve(source, ledger, partitions, startFrom, resume), stopped]);
        if (!resolved || this.kafka !== consumer || this.state !== 'running') return null;
        return { starts: new Map(resolved.starts.map((st) => [st.partition, st])), topicId: resolved.topicId };
      } catch (err) {
        this.log('warn', 'cannot learn where the assigned partitions start; asking again', { partitions, err: (err as Error).message, retryInMs: wait });
        if (Date.now() - since >= COMMIT_STALL_REPORT_MS) {
          this.deps.reportProblem?.(`cannot learn where partitions ${partitions.join(',')} start: ${(err as Error).message}`);
        }
        try {
          await sleep(wait, undefined, { signal: this.lookups.signal });
        } catch {
          return null;
        }
      }
    }
  }

  /** consumer_starts rows of this subscription, group and topic. */
  private ledger(): StartLedger {
    const { topic, groupId } = this.compiled.kafka;
    const key = { subscriptionId: this.compiled.id, groupId, topic };
    return {
      read: () => this.deps.starts.read(key, START_AGED_MS),
      record: (topicId, starts, replace) => this.deps.starts.record(key, topicId, starts, replace),
    };
  }

  /**
   * Notices a topic deleted and recreated under a running consumer whose fetch position the new
   * topic already passed (no offset goes back, so offsetJump cannot see it): every
   * TOPIC_WATCH_MS the topic's id (KIP-516) is compared with the one each partition state was
   * started under; a partition of another id starts over at the new topic's log start (seek).
   * librdkafka 2.15 keeps fetching at the old position there, so the new topic's records below
   * it were silently never read.
   */
  private async watchTopic(): Promise<void> {
    const kafka = this.kafka;
    if (!kafka || this.state !== 'running' || this.partitions.size === 0 || this.watching) return;
    this.watching = true;
    const { topic } = this.compiled.kafka;
    try {
      const source = this.offsetSource(kafka);
      const id = await source.topicId();
      const stale: PartitionState[] = [];
      for (const st of this.partitions.values()) {
        if (st.topicId === null) st.topicId = id;
        else if (st.topicId !== id) stale.push(st);
      }
      if (stale.length === 0) return;
      // Positions the new topic's log start has not passed only need the new id: its records
      // there are ahead of the position, and the old topic's below it are gone with it.
      const earliest = await source.offsets(
        stale.map((st) => st.partition),
        'earliest',
      );
      for (let i = stale.length - 1; i >= 0; i--) {
        if (earliest.get(stale[i].partition)! >= stale[i].expected) {
          stale[i].topicId = id;
          stale.splice(i, 1);
        }
      }
      if (stale.length === 0 || this.kafka !== kafka || this.state !== 'running') return;
      const restarted: Array<{ partition: number; offset: number; reason: 'new-partition' }> = [];
      for (const st of stale) {
        if (this.partitions.get(st.partition) !== st) continue;
        const at = earliest.get(st.partition)!;
        const fresh = this.rewind(st, at, { reason: 'the topic id changed: the topic was deleted and recreated', topicId: id });
        fresh.topicId = id;
        // Records the old position still brings (at or past it) are dropped until the seek's arrive.
        fresh.seekFloor = st.expected;
        restarted.push({ partition: st.partition, offset: at, reason: 'new-partition' });
        kafka.seek({ topic, partition: st.partition, offset: at }, START_QUERY_TIMEOUT_MS, (err) => {
          if (err) this.log('warn', 'seek to the new topic\'s log start failed', { partition: st.partition, offset: at, err: err.message });
        });
      }
      await this.deps.starts.record({ subscriptionId: this.compiled.id, groupId: this.compiled.kafka.groupId, topic }, id, restarted, true);
    } catch (err) {
      if (this.state !== 'running') return;
      const repeated = this.clientErrors.admit(`topic watch: ${(err as Error).message}`);
      if (repeated !== null) this.log('warn', 'cannot check the topic\'s id', { err: (err as Error).message, ...(repeated ? { repeated } : {}) });
    } finally {
      this.watching = false;
    }
  }

  /**
   * Replaces a partition's state whose offsets went back with a fresh one starting at `offset`,
   * committed at once; the old state's records in flight finish uncommitted, its buffered
   * ones are dropped (they are the old topic's). Counted, logged and alerted.
   */
  private rewind(st: PartitionState, offset: number, fields: Record<string, unknown>): PartitionState {
    this.deps.metrics.wentBack();
    this.log('warn', 'the partition\'s offsets went back: the topic was recreated or its log truncated; delivering from the new records on', {
      partition: st.partition,
      offset,
      expectedOffset: st.expected,
      droppedBuffered: st.buffered,
      ...fields,
    });
    st.retire();
    if (st.inFlight > 0) this.retired.add(st);
    this.scheduler.dropPartition(st.partition);
    const fresh = new PartitionState(st.partition);
    fresh.start = offset;
    fresh.expected = offset;
    fresh.rewoundFrom = st.expected;
    fresh.tracker.resumeAt(offset);
    this.partitions.set(st.partition, fresh);
    if (st.paused) {
      try {
        this.kafka?.resume([{ topic: this.compiled.kafka.topic, partition: st.partition }]);
      } catch (err) {
        this.log('warn', 'resume failed', { partition: st.partition, err: (err as Error).message });
      }
    }
    setImmediate(() => void this.commits.commitNow());
    return fresh;
  }

  /** Counts and logs a start that is not the plain committed offset. */
  private noteStart(start: PartitionStart): void {
    const { partition, offset, skipped } = start;
    if (skipped > 0) {
      this.deps.metrics.recordsSkipped(skipped);
      this.log('warn', 'the start position is below the log start: continuing at the log start; the records in between no longer exist on the broker', {
        partition,
        offset,
        skipped,
      });
    }
    if (start.reason === 'topic-recreated') {
      this.deps.metrics.wentBack();
      this.log('warn', 'the topic was deleted and recreated since this subscription took it up (another topic id): starting at the new topic\'s log start', { partition, offset });
    }
    if (start.reason === 'commits-lost') {
      this.log('warn', 'the group has no committed offsets although this subscription consumed the topic before (offset retention or topic deletion): starting at its first start or the log start, whichever is later', {
        partition,
        offset,
      });
      this.deps.reportProblem?.('the consumer group\'s committed offsets were gone (offset retention or topic deletion): started again at the first start or the log start, repeating rather than skipping');
    }
  }

  /**
   * A record that is not at the offset expected next. Ahead: a gap, which is normal (transaction
   * markers, compaction) unless the log start passed what this member had not read (retention
   * while it lagged, or a committed offset the broker no longer has: librdkafka then resets to
   * the log start): those records are counted as skipped. Behind: the partition's offsets went
   * back (the topic was recreated, the log truncated) when the record is below everything this
   * state has tracked or the log now ends before where it was: a fresh state takes over at the
   * record's offset and is committed; the old state's records in flight finish uncommitted.
   * Otherwise it is a record already held, kept once. Returns the state the record belongs to,
   * or undefined to drop the record.
   */
  private offsetJump(st: PartitionState, msg: Message): PartitionState | undefined {
    let low = -1;
    let high = -1;
    try {
      ({ lowOffset: low, highOffset: high } = this.kafka!.getWatermarkOffsets(msg.topic, msg.partition));
    } catch {
      // no watermark cached: nothing to compare with
    }
    if (msg.offset > st.expected) {
      if (low > st.expected && msg.offset >= low) {
        const skipped = low - st.expected;
        this.deps.metrics.recordsSkipped(skipped);
        this.log('warn', 'the log start passed records before they were read: continuing at the log start; the records in between no longer exist on the broker', {
          partition: msg.partition,
          offset: msg.offset,
          expectedOffset: st.expected,
          logStart: low,
          skipped,
        });
      }
      return st;
    }
    const floor = st.tracker.nextCommit() ?? st.start;
    if (!(msg.offset < floor || (high >= 0 && high < st.expected))) return undefined;
    return this.rewind(st, msg.offset, { highWatermark: high });
  }

  private enqueue(msg: Message): void {
    let st = this.partitions.get(msg.partition);
    if (!st) return;
    if (st.seekFloor >= 0) {
      if (msg.offset >= st.seekFloor) return;
      st.seekFloor = -1;
    }
    if (msg.offset !== st.expected && st.expected >= 0) {
      st = this.offsetJump(st, msg);
      if (!st) return;
    }
    try {
      st.tracker.track(msg.offset);
    } catch {
      // A record we already hold (re-fetched after a resume): keep the first copy.
      return;
    }
    st.expected = msg.offset + 1;
    this.scheduler.push(msg);
    // The window counts done records behind a stuck head too, so a head that never finishes
    // pauses its partition instead of letting the buffer grow.
    st.buffered++;
    if (this.kafka && st.shouldPause(this.bounds)) {
      try {
        this.kafka.pause([{ topic: msg.topic, partition: msg.partition }]);
      } catch (err) {
        st.paused = false;
        this.log('warn', 'pause failed', { partition: msg.partition, err: (err as Error).message });
      }
    }
  }

  /**
   * With delivery.keyParking, reads which keys have pending dead letters (ParkedKeys); until the
   * first read succeeds no record is dispatched, so a restarted consumer never sends a parked
   * key's record ahead of its dead letter. A failed read is logged and tried at the next tick.
   */
  private reloadParked(): void {
    if (!this.compiled.policy.keyParking) return;
    const first = !this.parked.loaded;
    this.parked.reload(() => this.deps.deadLetters.pendingKeys(this.compiled.id)).then(
      () => {
        if (first) this.dispatchAll();
      },
      (err: unknown) => this.log('warn', 'cannot read the parked keys; records wait until they are read', { ...sqlErrorSummary(err), retryInMs: PARKED_RELOAD_MS }),
    );
  }

  private dispatchAll(): void {
    if (this.state !== 'running' && !this.draining) return;
    if (this.compiled.policy.keyParking && !this.parked.loaded) return;
    if ((this.holdTimer || this.commitStalled()) && !this.draining) return;
    const { batchSize } = this.compiled.policy;
    const maxInFlight = this.concurrency.limit;
    if (this.open && batchSize <= 1) {
      // Batching was switched off live: the partial batch still goes out as the array it is.
      if (this.active >= maxInFlight) return;
      this.dispatchBatch(this.open.length);
    }
    if (batchSize > 1) {
      while (this.active < maxInFlight && this.dispatchBatch(batchSize)) {
        // one batch per turn
      }
      return;
    }
    while (this.active < maxInFlight) {
      const msg = this.scheduler.next();
      if (!msg) return;
      const st = this.takeOut(msg);
      if (!st) continue;
      this.active++;
      this.attempt(st, msg);
    }
  }

  /** A record the scheduler gave out goes into flight, unless its partition is gone (then it settles). */
  private takeOut(msg: Message): PartitionState | undefined {
    const st = this.partitions.get(msg.partition);
    if (!st || st.revoked) {
      this.scheduler.settle(msg);
      return undefined;
    }
    st.buffered--;
    if (msg.offset > st.maxStarted) st.maxStarted = msg.offset;
    st.inFlight++;
    this.inFlight++;
    return st;
  }

  private attempt(st: PartitionState, msg: Message): void {
    this.processor.process(msg, st.signal).then(
      (result) => {
        if (result === 'abandoned' && this.state === 'running' && !st.revoked) this.later(st, msg, null);
        else this.finish(st, msg, result === 'done');
      },
      (err: unknown) => this.later(st, msg, errorText(err)),
    );
  }

  /**
   * Tries a record again after 1 s; it keeps its lane and is never skipped. `err` is an
   * exception kproxy threw on it: after UNEXPECTED_FAILURE_LIMIT in a row the record is
   * dead-lettered (internal_error) instead, so a bug cannot hold its partition forever.
   */
  private later(st: PartitionState, msg: Message, err: string | null): void {
    const failures = this.failedAgain(msg, err);
    const last = failures >= UNEXPECTED_FAILURE_LIMIT;
    this.logUnexpected(last ? 'unexpected error while processing; dead-lettering the record' : 'unexpected error while processing; the record will be tried again', msg, err, failures);
    setTimeout(() => {
      if (this.state !== 'running' || st.revoked) this.finish(st, msg, false);
      else if (!last) this.attempt(st, msg);
      else {
        this.failures.delete(msg);
        this.processor.deadLetterUnexpected(msg, st.signal, err!, failures).then(
          (result) => this.finish(st, msg, result === 'done'),
          (e: unknown) => this.later(st, msg, errorText(e)),
        );
      }
    }, 1000 * Math.max(1, failures)).unref();
  }

  /** Exceptions in a row on `msg`, this one included; 0 when `err` is null (abandoned, not an exception). */
  private failedAgain(msg: Message, err: string | null): number {
    if (err === null) return 0;
    const failures = (this.failures.get(msg) ?? 0) + 1;
    this.failures.set(msg, failures);
    return failures;
  }

  private logUnexpected(what: string, msg: Message, err: string | null, failures: number, records?: number): void {
    this.log('error', what, {
      partition: msg.partition,
      offset: msg.offset,
      ...(records === undefined ? {} : { records }),
      err: err ?? 'abandoned while running',
      ...(failures > 0 ? { failures } : {}),
    });
  }

  private finish(st: PartitionState, msg: Message, done: boolean): void {
    this.active--;
    this.release(st, msg, done);
    this.afterRelease();
  }

  /**
   * Fills the open batch from the scheduler: the same lane first (its order holds inside the
   * batch), then, except in partition mode, other lanes. Sends it when full, when batchWaitMs
   * has passed, or at once when batchWaitMs is 0. False when nothing was sent.
   */
  private dispatchBatch(size: number): boolean {
    const batch = this.open ?? [];
    const sameLaneOnly = this.compiled.policy.ordering === 'partition';
    while (batch.length < size) {
      const last = batch.length > 0 ? batch[batch.length - 1].msg : undefined;
      let msg = last ? this.scheduler.nextInLane(last) : undefined;
      if (!msg && (!sameLaneOnly || !last)) msg = this.scheduler.next();
      if (!msg) break;
      const st = this.takeOut(msg);
      if (st) batch.push({ st, msg });
    }
    if (batch.length === 0) return false;
    const wait = this.compiled.policy.batchWaitMs;
    if (batch.length < size && wait > 0 && !this.draining) {
      if (!this.open) {
        this.open = batch;
        this.openSince = performance.now();
      }
      const left = wait - (performance.now() - this.openSince);
      // Waiting only makes sense when nothing else could go out meanwhile (in partition mode
      // another partition's records may be ready while this one's batch is short).
      if (left > 0 && this.scheduler.runnable === 0) {
        // Timers run on the event loop's cached millisecond clock and may fire a fraction early,
        // and batchWaitMs may have been lowered live: a timer due later than needed is replaced.
        const due = performance.now() + left;
        if (this.lingerTimer && this.lingerDue > due + 1) this.clearLinger();
        if (!this.lingerTimer) {
          this.lingerDue = due;
          this.lingerTimer = setTimeout(() => {
            this.lingerTimer = null;
            this.dispatchAll();
          }, Math.ceil(left));
        }
        return false;
      }
    }
    this.closeOpen();
    this.active++;
    this.attemptBatch(batch);
    return true;
  }

  private closeOpen(): void {
    this.open = null;
    this.clearLinger();
  }

  private clearLinger(): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = null;
  }

  private attemptBatch(items: BatchItem[]): void {
    const live: BatchItem[] = [];
    for (const it of items) {
      if (it.st.revoked) this.release(it.st, it.msg, false);
      else live.push(it);
    }
    if (live.length === 0) {
      this.active--;
      this.afterRelease();
      return;
    }
    const cancel = batchCancel(live);
    this.processor.processBatch(live.map((it) => it.msg), cancel.signal).then(
      (results) => {
        cancel.dispose();
        const again: BatchItem[] = [];
        for (let i = 0; i < live.length; i++) {
          const it = live[i];
          if (results[i] === 'abandoned' && this.state === 'running' && !it.st.revoked) again.push(it);
          else this.release(it.st, it.msg, results[i] === 'done');
        }
        // Members whose partition moved were dropped; the rest go again as one batch.
        if (again.length) this.laterBatch(again, null);
        else {
          this.active--;
          this.afterRelease();
        }
      },
      (err: unknown) => {
        cancel.dispose();
        this.laterBatch(live, errorText(err));
      },
    );
  }

  /** later() for a batch: its records go again together, or, after the limit, to the dead-letter store one by one. */
  private laterBatch(items: BatchItem[], err: string | null): void {
    const head = items[0].msg;
    const failures = this.failedAgain(head, err);
    const last = failures >= UNEXPECTED_FAILURE_LIMIT;
    this.logUnexpected(
      last ? 'unexpected error while processing a batch; dead-lettering its records' : 'unexpected error while processing a batch; its records will be tried again',
      head,
      err,
      failures,
      items.length,
    );
    setTimeout(() => {
      if (this.state !== 'running') {
        for (const it of items) this.release(it.st, it.msg, false);
        this.active--;
        this.afterRelease();
      } else if (!last) this.attemptBatch(items);
      else {
        this.failures.delete(head);
        this.deadLetterBatch(items, err!, failures);
      }
    }, 1000 * Math.max(1, failures)).unref();
  }

  /**
   * Dead-letters a batch kproxy failed on: members whose partition moved are dropped (their new
   * owner delivers them), and a member whose row could not be written goes round again alone
   * with the others that failed, not with those already stored.
   */
  private deadLetterBatch(items: BatchItem[], err: string, failures: number): void {
    const live: BatchItem[] = [];
    for (const it of items) {
      if (it.st.revoked) this.release(it.st, it.msg, false);
      else live.push(it);
    }
    // allSettled never rejects; what follows is the same bookkeeping as every other settle path.
    void Promise.allSettled(live.map((it) => this.processor.deadLetterUnexpected(it.msg, it.st.signal, err, failures))).then((settled) => {
      const failed: BatchItem[] = [];
      let reason: unknown;
      for (let i = 0; i < live.length; i++) {
        const r = settled[i];
        if (r.status === 'fulfilled') this.release(live[i].st, live[i].msg, r.value === 'done');
        else {
          failed.push(live[i]);
          reason ??= r.reason;
        }
      }
      if (failed.length) this.laterBatch(failed, errorText(reason));
      else {
        this.active--;
        this.afterRelease();
      }
    });
  }

  /** A record leaves flight: its lane may go on, and when done it counts toward the commit. */
  private release(st: PartitionState, msg: Message, done: boolean): void {
    st.inFlight--;
    this.inFlight--;
    if (st.inFlight === 0 && this.retired.size > 0) this.retired.delete(st);
    this.scheduler.settle(msg);
    if (done && !st.revoked) {
      st.tracker.markDone(msg.offset);
      this.lastDoneAt = Date.now();
      this.unconfirmed++;
      if (this.uncommittedSince === 0) this.uncommittedSince = this.lastDoneAt;
      this.commits.noteDone();
    }
    this.maybeResume(st);
  }

  private afterRelease(): void {
    this.dispatchAll();
    if (this.inFlight === 0) this.wakeIdle();
    if (this.wake && this.scheduler.runnable < this.pullBelow()) this.wakeFetch();
  }

  /**
   * When a partition is paused. Pausing drops librdkafka's prefetch and costs a re-fetch, so
   * neither bound is below what the configured concurrency keeps in flight. Unstarted records
   * cost a message each and are bounded by PARTITION_BUFFER_SIZE; done records behind a stuck
   * head cost an offset each, so the window may be ten times larger.
   */
  private static bounds(policy: CompiledSubscription['policy'], buffer: number): BufferBounds {
    const inFlight = SubscriptionConsumer.readyTarget(policy);
    return { buffered: Math.max(buffer, inFlight), window: Math.min(MAX_WINDOW, Math.max(10 * buffer, inFlight)) };
  }

  private pullBelow(): number {
    return SubscriptionConsumer.readyTarget(this.compiled.policy);
  }

  /** Records worth having ready: two rounds of the deliveries the policy allows at once. */
  private static readyTarget(policy: CompiledSubscription['policy']): number {
    return 2 * policy.maxInFlight * policy.batchSize;
  }

  private maybeResume(st: PartitionState): void {
    if (!this.kafka || !st.shouldResume(this.bounds)) return;
    try {
      this.kafka.resume([{ topic: this.compiled.kafka.topic, partition: st.partition }]);
    } catch (err) {
      this.log('warn', 'resume failed', { partition: st.partition, err: (err as Error).message });
    }
  }

  private doneOffsets(only?: number[]): Array<{ topic: string; partition: number; offset: number }> {
    const out: Array<{ topic: string; partition: number; offset: number }> = [];
    for (const st of this.partitions.values()) {
      if (only && !only.includes(st.partition)) continue;
      const next = this.committable(st);
      if (next !== undefined && next > st.committed) out.push({ topic: this.compiled.kafka.topic, partition: st.partition, offset: next });
    }
    return out;
  }

  /**
   * The offset to commit for a partition: after its done prefix, or, once every record it
   * returned is done, the client's position, which also steps over what the client consumed
   * but never returns: transaction markers and, under read_committed, aborted records. Without
   * that a partition ending in a commit marker would show a lag of 1 forever. Never while a
   * consume() is out or its records are not yet tracked: the position already counts records
   * this consumer has not seen (a revoke served between the two would commit past them).
   */
  private committable(st: PartitionState): number | undefined {
    const next = st.tracker.nextCommit();
    const kafka = this.kafka;
    if (st.tracker.pending > 0 || !kafka || this.consuming) return next;
    try {
      const [tp] = kafka.position([{ topic: this.compiled.kafka.topic, partition: st.partition }]);
      // An invalid position (nothing returned since the assignment) comes without an offset.
      if (tp && typeof tp.offset === 'number' && tp.offset > (next ?? st.committed)) return tp.offset;
    } catch {
      // not assigned to the client (any more): the tracker's answer stands
    }
    return next;
  }

  /**
   * Commits what is done and, while running, waits for the broker's answer: only a success
   * moves `committed`, so a failed commit is sent again. During a stop nobody polls for the
   * answer; closing the client waits for the commit instead.
   */
  private async flushCommit(): Promise<void> {
    const kafka = this.kafka;
    const offsets = this.doneOffsets();
    if (!kafka || offsets.length === 0) return;
    const sentAt = Date.now();
    const covered = this.unconfirmed;
    const confirm = this.state === 'running';
    if (confirm) this.commitSentAt = sentAt;
    const answer = confirm ? this.receipts.expect(offsets, COMMIT_ANSWER_TIMEOUT_MS) : null;
    const queued = await new Promise<{ message: string; code?: number } | null>((resolve) => {
      try {
        this.deps.metrics.commitSent();
        kafka.commitCb(offsets, (err) => resolve(err));
      } catch (err) {
        resolve(err as Error);
      }
    });
    if (queued) {
      if (!answer || !this.receipts.settle(queued, offsets)) this.commitFailed(queued.message, queued.code, offsets);
    }
    if (!answer) return;
    const outcome = await answer;
    this.commitSentAt = 0;
    if (outcome.ok) {
      this.markCommitted(offsets);
      this.commitConfirmed(sentAt, covered);
      this.releaseHold();
    } else if (this.state === 'running') this.commitFailed(outcome.error, outcome.code, offsets);
  }

  /** A commit sent at `sentAt`, when `covered` records were unconfirmed, was confirmed. */
  private commitConfirmed(sentAt: number, covered: number): void {
    this.uncommittedSince = this.lastDoneAt >= sentAt ? sentAt : 0;
    this.unconfirmed = Math.max(0, this.unconfirmed - covered);
    if (!this.stalled) return;
    this.stalled = false;
    this.log('info', 'commits are confirmed again: delivering', { heldMs: Date.now() - this.stalledSince });
    setImmediate(() => this.dispatchAll());
  }

  /**
   * True while done records have waited too long for a confirmed commit (see
   * COMMIT_STALL_MIN_MS): new deliveries wait, so a rejoin after a coordinator outage repeats
   * only what was delivered before the stall, not everything since. Records in flight finish.
   */
  private commitStalled(): boolean {
    if (this.uncommittedSince === 0) return false;
    const now = Date.now();
    const waited = now - this.uncommittedSince;
    const slowAnswer = this.commitSentAt !== 0 && now - this.commitSentAt >= COMMIT_SLOW_MS;
    if (waited < Math.max(COMMIT_STALL_MIN_MS, 3 * this.deps.settings.commitIntervalMs) && !(slowAnswer && this.unconfirmed > COMMIT_STALL_RECORDS)) {
      return false;
    }
    // Done records of revoked partitions are dropped, not committed: only pending ones count.
    if (this.doneOffsets().length === 0) {
      this.uncommittedSince = 0;
      this.unconfirmed = 0;
      this.stalled = false;
      return false;
    }
    if (this.stalled) {
      if (!this.stallReported && now - this.stalledSince >= COMMIT_STALL_REPORT_MS) {
        this.stallReported = true;
        this.deps.reportProblem?.(`no offset commit confirmed for ${Math.round((now - this.stalledSince) / 1000)} s: new deliveries are held until one is`);
      }
      return true;
    }
    this.stalled = true;
    this.stalledSince = now;
    this.stallReported = false;
    this.log('warn', 'no commit confirmed for a while: holding new deliveries until one is', { waitedMs: waited, unconfirmed: this.unconfirmed });
    // A commit must keep going out while nothing becomes done, and the fetch loop must come
    // round soon (it may be parked on the 5 s idle poll) to serve the answer.
    this.commits.noteIdle();
    this.wakeFetch();
    return true;
  }

  /** An answer nobody waits for (a stop's final commit, or one that came after its timeout) still counts. */
  private onCommitAnswer(err: { message: string; code?: number } | undefined, offsets: CommittedOffset[]): void {
    if (this.receipts.settle(err, offsets)) return;
    if (err) this.commitFailed(err.message, err.code, offsets);
    else {
      this.markCommitted(offsets);
      if (this.doneOffsets().length === 0) this.commitConfirmed(Date.now(), this.unconfirmed);
    }
  }

  private markCommitted(offsets: readonly CommittedOffset[]): void {
    for (const o of offsets) {
      const st = this.partitions.get(o.partition);
      // An answer for the state a rewind replaced names offsets this state has not reached.
      if (st && o.offset > st.committed && !(st.rewoundFrom >= 0 && o.offset > st.expected)) st.committed = o.offset;
    }
  }

  private commitFailed(err: string, code: number | undefined, offsets: readonly CommittedOffset[]): void {
    this.deps.metrics.commitFailed();
    this.commits.failed();
    const repeated = this.clientErrors.admit(`commit: ${err}`);
    if (repeated !== null) {
      this.log('warn', 'offset commit failed; will retry', { err, code, offsets: offsets.map((o) => `${o.partition}:${o.offset}`), ...(repeated ? { repeated } : {}) });
    }
    if (code !== undefined && MEMBERSHIP_CHANGING.has(code) && this.state === 'running' && !this.holdTimer) {
      this.log('info', 'group is rebalancing: holding new deliveries until partitions are assigned again', {});
      // A rebalance that never reaches this member must not hold it forever.
      this.holdTimer = setTimeout(() => this.releaseHold(), this.deps.settings.sessionTimeoutMs);
      // The fetch loop may be parked on the 5 s idle poll; the rebalance is served inside consume().
      this.wakeFetch();
    }
  }

  private releaseHold(): void {
    if (!this.holdTimer) return;
    clearTimeout(this.holdTimer);
    this.holdTimer = null;
    // Called from inside consume() too (rebalance callback): dispatch after it returns.
    setImmediate(() => this.dispatchAll());
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(this.inFlight === 0), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private async shutdown(): Promise<void> {
    const wasRunning = this.state === 'running';
    this.state = 'stopping';
    this.lookups.abort();
    // A look in flight needs nothing of this consumer (it runs in GroupDescriber's process): not awaited.
    void this.groupWatch.stop();
    if (this.parkedTimer) clearInterval(this.parkedTimer);
    this.parkedTimer = null;
    if (this.topicWatch) clearInterval(this.topicWatch);
    this.topicWatch = null;
    this.wakeFetch();
    if (!wasRunning) this.abort.abort();
    await this.pollLoop;
    // No consume() serves commit answers from here on: the final commit is confirmed by close().
    this.receipts.abandon('the consumer is stopping');
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = null;
    // Lanes may have started records past ones still buffered (key mode, a batch in partition
    // mode). Leaving those holes would hold the commit back and make the next owner deliver the
    // later ones twice, so the drain finishes them too; records past everything started wait.
    this.scheduler.retain((m) => {
      const st = this.partitions.get(m.partition);
      return !!st && !st.revoked && m.offset < st.maxStarted;
    });
    this.draining = wasRunning;
    this.dispatchAll();
    const drained = await this.waitIdle(this.deps.settings.drainTimeoutMs);
    this.draining = false;
    // Never sent (a partial batch left by a drain timeout): not done, delivered again after a restart.
    const open = this.open;
    this.closeOpen();
    if (open) for (const it of open) this.release(it.st, it.msg, false);
    this.scheduler.clear();
    if (!drained) {
      this.log('warn', 'drain timeout: abandoning in-flight records, they will be delivered again', { inFlight: this.inFlight });
    }
    this.abort.abort();
    for (const st of this.partitions.values()) st.revoke();
    for (const st of this.retired) st.revoke();
    this.retired.clear();
    await this.waitIdle(this.compiled.target.timeoutMs + 1000);
    await this.commits.stop();
    await this.commits.commitNow();
    // An assignment still deciding its start positions gives up (lookups aborted) and assigns
    // while the client is connected: once closing, the binding refuses assign, and librdkafka's
    // close would wait for it.
    await this.rebalances;
    const kafka = this.kafka;
    this.kafka = null;
    if (kafka) {
      // With every broker gone, librdkafka's close can wait forever; a stop must not.
      const closed = await Promise.race([
        new Promise<boolean>((resolve) => kafka.disconnect(() => resolve(true))),
        sleep(DISCONNECT_TIMEOUT_MS).then(() => false),
      ]);
      if (!closed) this.log('warn', 'the Kafka client did not close in time; leaving it behind', { timeoutMs: DISCONNECT_TIMEOUT_MS });
    }
    this.partitions.clear();
    this.state = 'stopped';
    this.log('info', 'consumer stopped', {});
  }

  private log(level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown>): void {
    this.deps.logger[level](msg, { subscription: this.compiled.id, topic: this.compiled.kafka.topic, ...fields });
  }
}

/**
 * A batch is given up only when every member's partition is revoked (or the consumer stops,
 * which revokes all): one moved partition must not cancel a POST the endpoint may already have
 * processed, since a re-sent batch has different members and another idempotency key. Members
 * of a revoked partition are simply not marked done when the batch settles.
 */
function batchCancel(items: readonly BatchItem[]): { signal: AbortSignal; dispose(): void } {
  const signals: AbortSignal[] = [];
  for (const it of items) if (!signals.includes(it.st.signal)) signals.push(it.st.signal);
  if (signals.length === 1) return { signal: signals[0], dispose: () => undefined };
  const all = new AbortController();
  let remaining = signals.filter((s) => !s.aborted).length;
  const onAbort = () => {
    if (--remaining === 0) all.abort();
  };
  if (remaining === 0) all.abort();
  else for (const s of signals) if (!s.aborted) s.addEventListener('abort', onAbort, { once: true });
  return {
    signal: all.signal,
    dispose: () => {
      for (const s of signals) s.removeEventListener('abort', onAbort);
    },
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

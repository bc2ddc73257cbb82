import type { Message } from '@confluentinc/kafka-javascript';
import type { JsonLogger } from '../../common/logging/json.logger';
import { sqlErrorSummary } from '../../database/sql-failure';
import { AdaptiveConcurrency } from '../../delivery/adaptive-concurrency';
import type { CircuitBreaker, CircuitSnapshot } from '../../delivery/circuit-breaker';
import type { CircuitBreakerRegistry } from '../../delivery/circuit-breaker.registry';
import type { RateGate } from '../../delivery/rate-gate';
import type { RateGateRegistry } from '../../delivery/rate-gate.registry';
import type { SubscriptionMetrics } from '../../metrics/subscription-metrics';
import type { GroupDescriber } from '../groups/group-describer.service';
import type { ConsumerStartsRepository } from '../offsets/consumer-starts.repository';
import type { GroupMember } from '../../model/group-member';
import type { BoundedConcurrency } from '../../common/concurrency/bounded-concurrency';
import { AssignmentShare } from './assignment-share';
import { CommitManager } from './commit-manager';
import type { DeadLetterSink, ParkedKeySource, RecordSender } from './delivery-ports';
import type { CompiledSubscription } from './compiled-subscription';
import { GroupMemberWatch } from './group-member-watch';
import { KafkaSession, type ConsumerSettings, type RebalanceEvent, type SubscriptionLog } from './kafka-session';
import { ParkedKeys } from './parked-keys';
import { PartitionLedger, type CommitOffsets, type Watermarks } from './partition-ledger';
import { PartitionStarts } from './partition-starts';
import type { PartitionState } from './partition-state';
import { RecordDispatcher } from './record-dispatcher';
import { RebalanceHandler } from './rebalance-handler';
import { RecordProcessor } from './record-processor';
import { TopicWatch } from './topic-watch';

export type { ConsumerSettings } from './kafka-session';

export interface ConsumerDeps {
  readonly sender: RecordSender;
  readonly gates: RateGateRegistry;
  readonly breakers: CircuitBreakerRegistry;
  readonly deadLetters: DeadLetterSink & ParkedKeySource;
  /** Whether this subscription took its topic up before, when Kafka no longer says so. */
  readonly starts: Pick<ConsumerStartsRepository, 'read' | 'record'>;
  readonly metrics: SubscriptionMetrics;
  /** A child logger bound to the subscription's id and topic (JsonLogger.child). */
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
  /**
   * Records behind on the partitions it owns here, from the high watermarks its own fetches
   * brought (no extra Kafka call); 0 while not running. Absent in heartbeats written before issue 20.
   */
  lag?: number;
}

const CONSUME_BATCH = 500;
/** How long the outside-member look waits for the coordinator (ms). */
const GROUP_DESCRIBE_TIMEOUT_MS = 3_000;
/** How often the parked keys are read again (keys re-delivered from another instance leave then), ms. */
const PARKED_RELOAD_MS = 5_000;
const DISCONNECT_TIMEOUT_MS = 10_000;
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

/**
 * One Kafka consumer for one subscription: the state machine, the fetch loop, and the order of
 * start and stop over its parts. KafkaSession talks to Kafka; PartitionLedger keeps the account
 * of each assigned partition; RecordDispatcher runs delivery units under the ordering mode and
 * the in-flight limit; CommitManager commits done offsets and holds deliveries while commits
 * cannot land; RebalanceHandler (with PartitionStarts) takes partitions up and gives them back;
 * TopicWatch notices a recreated topic. Pattern: Knative's dispatcher (ConsumerVerticle,
 * OffsetManager) and uForwarder (fetcher, InflightMessageTracker, CheckpointManager).
 */
export class SubscriptionConsumer {
  private state: ConsumerState = 'starting';
  private readonly abort = new AbortController();
  /** Aborted when the consumer stops: start-position lookups give up, so the close is not held. */
  private readonly lookups = new AbortController();
  private readonly session: KafkaSession;
  private readonly ledger: PartitionLedger;
  private readonly dispatcher: RecordDispatcher;
  private readonly commits: CommitManager;
  private readonly starts: PartitionStarts;
  private gate: RateGate;
  private breaker: CircuitBreaker;
  private readonly concurrency: AdaptiveConcurrency;
  private readonly parked = new ParkedKeys();
  private parkedTimer: NodeJS.Timeout | null = null;
  private pollLoop: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private readonly rebalances: RebalanceHandler;
  private readonly topicWatch: TopicWatch;
  /** When this member joined or last lost all its partitions (ms): it polls fast for a while after (pollAfterMs). */
  private unassignedSince = 0;
  /** Looks for consumers outside kproxy in this subscription's group after each assignment. */
  private readonly groupWatch: GroupMemberWatch;
  /** Tells the rate gates which part of the topic's partitions this instance owns (cluster-wide rates). */
  private readonly share: AssignmentShare;
  private readonly log: SubscriptionLog;
  private readonly positionOf = (partition: number): number | undefined => this.session.position(partition);
  private readonly watermarksOf = (partition: number): Watermarks => this.session.watermarks(partition);

  constructor(
    private compiled: CompiledSubscription,
    private readonly deps: ConsumerDeps,
  ) {
    const { settings, metrics } = deps;
    const reportProblem = (message: string) => deps.reportProblem?.(message);
    // deps.logger is the subscription's child logger: every line carries subscription and topic.
    this.log = (level, msg, fields) => deps.logger[level](msg, fields);
    this.session = new KafkaSession(
      compiled.id,
      compiled.kafka,
      settings,
      {
        rebalance: (event) => this.rebalances.handle(event),
        commitAnswer: (err, offsets) => this.commits.onAnswer(err, offsets),
        unreachable: reportProblem,
      },
      this.log,
      deps.lookupSlots ?? null,
      this.lookups.signal,
    );
    this.ledger = new PartitionLedger(compiled.kafka.topic, compiled.policy, settings.partitionBufferSize, {
      skipped: (partition, fields) => {
        metrics.recordsSkipped(fields.skipped);
        this.log(
          'warn',
          'the log start passed records before they were read: continuing at the log start; the records in between no longer exist on the broker',
          {
            partition,
            ...fields,
          },
        );
      },
      rewound: (old, fresh, offset, fields) => this.rewound(old, offset, fields),
    });
    this.commits = new CommitManager(
      {
        send: (offsets) => this.session.commit(offsets),
        doneOffsets: () => this.doneOffsets(),
        confirmed: (offsets) => this.ledger.markCommitted(offsets),
        running: () => this.state === 'running',
        dispatch: () => this.dispatcher.dispatch(),
        wakeFetch: () => this.session.wakeUp(),
        reportProblem,
        log: this.log,
        commitSent: () => metrics.commitSent(),
        commitFailed: () => metrics.commitFailed(),
        membershipChanging: (code) => KafkaSession.membershipChanging(code),
      },
      settings,
    );
    this.gate = deps.gates.attach(compiled.id, compiled.spec.endpoint.rateGroup, compiled.policy.ratePerSec);
    this.breaker = deps.breakers.attach(compiled.id, compiled.target.origin, compiled.policy.circuitBreaker, compiled.spec.owner);
    this.concurrency = new AdaptiveConcurrency(compiled.policy.maxInFlight, compiled.policy.adaptiveConcurrency);
    const processor = new RecordProcessor(
      {
        sender: deps.sender,
        deadLetters: deps.deadLetters,
        metrics,
        logger: deps.logger,
        gate: () => this.gate,
        breaker: () => this.breaker,
        concurrency: this.concurrency,
        parked: this.parked,
        maxMessageBytes: settings.maxMessageBytes,
      },
      () => this.compiled,
    );
    this.dispatcher = new RecordDispatcher(compiled.policy.ordering, this.ledger, processor, {
      policy: () => this.compiled.policy,
      limit: () => this.concurrency.limit,
      running: () => this.state === 'running',
      blocked: () => this.compiled.policy.keyParking && !this.parked.loaded,
      held: () => this.commits.held(),
      released: (st, counted) => this.released(st, counted),
      wantRecords: (runnable) => {
        if (this.session.waiting && runnable < this.pullBelow()) this.session.wakeUp();
      },
      logUnexpected: (what, fields) => this.log('error', what, fields),
    });
    this.starts = new PartitionStarts(() => this.compiled, { starts: deps.starts, metrics, log: this.log, reportProblem }, this.lookups.signal);
    this.rebalances = new RebalanceHandler(this.session, this.ledger, this.starts, this.positionOf, {
      commits: this.commits,
      running: () => this.state === 'running',
      assigned: () => {
        this.groupWatch.soon();
        // Another instance may have dead-lettered records of these partitions: read the parked
        // keys again before any of their records is dispatched.
        if (this.compiled.policy.keyParking) {
          this.parked.invalidate();
          this.reloadParked();
        }
      },
      ownershipChanged: (partitions) => void this.share.changed(partitions),
      unassigned: () => (this.unassignedSince = Date.now()),
      dropBuffered: (partition) => this.dispatcher.dropPartition(partition),
      log: this.log,
    });
    this.topicWatch = new TopicWatch(this.session, this.ledger, this.starts, () => this.state === 'running', this.log);
    this.groupWatch = new GroupMemberWatch(
      compiled.id,
      () => (this.session.live ? deps.groups.members(this.compiled.kafka, GROUP_DESCRIBE_TIMEOUT_MS) : Promise.resolve(undefined)),
      (outside, err) => this.onForeignMembers(outside, err),
    );
    this.share = new AssignmentShare(
      () =>
        this.session
          .offsetSource()
          ?.partitions()
          .then((p) => p.length) ?? Promise.reject(new Error('not connected')),
      (share) => this.deps.gates.setShare(this.compiled.id, share),
      (err) => this.log('warn', "cannot read the topic's partition count; the rate share stays as it was", { err: err.message }),
    );
  }

  get config(): CompiledSubscription {
    return this.compiled;
  }

  get recordsInFlight(): number {
    return this.dispatcher.recordsInFlight;
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
      partitions: this.ledger.partitions(),
      endpoint: this.health(),
      ...(foreign.length ? { foreignMembers: foreign } : {}),
      lag: this.lag().reduce((sum, l) => sum + l.lag, 0),
    };
  }

  /** Members of the group that are not this subscription's kproxy consumers, as last seen. */
  get foreignMembers(): readonly GroupMember[] {
    return this.groupWatch.members;
  }

  /**
   * Lag per owned partition from the client's cached high watermark, or, for a lagging partition
   * not being fetched (paused, or its prefetch queue full), from the broker's answer to an earlier
   * call's request (KafkaSession.refreshStaleWatermarks); this call never waits on the broker.
   */
  lag(): Array<{ partition: number; lag: number }> {
    if (!this.session.live || this.state !== 'running') return [];
    const lag = this.ledger.lag(this.positionOf, (partition) => this.session.watermarks(partition).high);
    let lagging: number[] | null = null;
    for (const l of lag) if (l.lag > 0) (lagging ??= []).push(l.partition);
    if (lagging) this.session.refreshStaleWatermarks(lagging);
    return lag;
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
    this.ledger.configure(compiled.policy);
    this.dispatcher.dispatch();
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
    const connected = await this.session.connect(() => this.state === 'starting', this.abort.signal);
    this.unassignedSince = Date.now();
    if (!connected || this.state !== 'starting') return;
    this.state = 'running';
    this.log('info', 'consumer started', { groupId: this.compiled.kafka.groupId });
    this.topicWatch.start();
    while (this.state === 'running') {
      // Pull only when too little is ready to run. Records left in librdkafka's queue cost no
      // re-fetch, while a partition paused by a full window drops its prefetch and stalls.
      if (this.dispatcher.runnable >= this.pullBelow()) await this.session.waitForRecords(this.pollAfterMs());
      if (this.state !== 'running') break;
      // Pull about what can start soon: a large pull lands in one partition's window and pauses it.
      const want = Math.min(CONSUME_BATCH, Math.max(1, this.pullBelow() - this.dispatcher.runnable));
      const batch = await this.session.consume(want);
      if (batch.length === 0 && this.state === 'running') {
        this.session.settled();
        this.commits.noteIdle();
        await this.session.waitForRecords(this.pollAfterMs());
      }
      for (let i = 0; i < batch.length; i++) this.admit(batch[i]);
      this.session.settled();
      this.dispatcher.dispatch();
    }
  }

  /**
   * While holding, the rebalance that ends the hold is only served inside consume(), and records
   * already queued mean no queue_non_empty_cb announces it. A member without partitions is
   * waiting for an assignment it must take up promptly, or the group rebalances again (seen
   * with a joining instance whose wake-up did not arrive).
   */
  private pollAfterMs(): number {
    if (this.commits.holding) return HOLD_POLL_MS;
    const joining = Date.now() - this.unassignedSince < UNASSIGNED_FAST_FOR_MS;
    return this.ledger.size === 0 && joining ? UNASSIGNED_POLL_MS : IDLE_POLL_MS;
  }

  /** Records worth having ready before fetching more. */
  private pullBelow(): number {
    return PartitionLedger.readyTarget(this.compiled.policy);
  }

  /** A fetched record goes to its lane if the ledger admits it; a partition whose window or buffer filled is paused. */
  private admit(msg: Message): void {
    const st = this.ledger.admit(msg, this.watermarksOf);
    if (!st) return;
    this.dispatcher.push(msg);
    if (this.session.live && this.ledger.shouldPause(st) && !this.session.pause(msg.partition)) st.paused = false;
  }

  /** A record left flight: counted toward the commit when done; its partition resumes once drained enough. */
  private released(st: PartitionState, counted: boolean): void {
    if (counted) this.commits.noteDone();
    if (this.session.live && this.ledger.shouldResume(st)) this.session.resume([st.partition]);
  }

  private doneOffsets(only?: readonly number[]): CommitOffsets {
    return this.session.live ? this.ledger.doneOffsets(this.positionOf, only) : [];
  }

  /** The ledger replaced a partition's state whose offsets went back: counted, logged, its buffered records dropped, committed at once. */
  private rewound(old: PartitionState, offset: number, fields: Record<string, unknown>): void {
    this.deps.metrics.wentBack();
    this.log('warn', "the partition's offsets went back: the topic was recreated or its log truncated; delivering from the new records on", {
      partition: old.partition,
      offset,
      expectedOffset: old.expected,
      droppedBuffered: old.buffered,
      ...fields,
    });
    this.dispatcher.dropPartition(old.partition);
    if (old.paused) this.session.resume([old.partition]);
    setImmediate(() => void this.commits.commitNow());
  }

  /**
   * With delivery.keyParking, reads which keys have pending dead letters (ParkedKeys); until the
   * first read succeeds no record is dispatched, so a restarted consumer never sends a parked
   * key's record ahead of its dead letter. A failed read is logged and tried at the next tick.
   */
  private reloadParked(): void {
    if (!this.compiled.policy.keyParking) return;
    const first = !this.parked.loaded;
    this.parked
      .reload(() => this.deps.deadLetters.pendingKeys(this.compiled.id))
      .then(
        () => {
          if (first) this.dispatcher.dispatch();
        },
        (err: unknown) =>
          this.log('warn', 'cannot read the parked keys; records wait until they are read', { ...sqlErrorSummary(err), retryInMs: PARKED_RELOAD_MS }),
      );
  }

  private onForeignMembers(outside: readonly GroupMember[], err: Error | null): void {
    const group = this.compiled.kafka.groupId;
    if (err) this.log('warn', 'could not describe the consumer group to look for outside members', { group, err: err.message });
    else if (outside.length) {
      this.log('error', "the consumer group has members outside kproxy: they take partitions and commit in this subscription's name", {
        group,
        members: outside.map((m) => `${m.clientId} at ${m.clientHost}`),
      });
    } else this.log('info', 'the consumer group has no members outside kproxy any more', { group });
  }

  /**
   * Stop: fetching ends, the drain finishes what is in flight (and holes below it) within
   * DRAIN_TIMEOUT_MS, the final commit goes out, and the client closes (leaving the group).
   */
  private async shutdown(): Promise<void> {
    const wasRunning = this.state === 'running';
    this.state = 'stopping';
    this.lookups.abort();
    // A look in flight needs nothing of this consumer (it runs in GroupDescriber's process): not awaited.
    void this.groupWatch.stop();
    if (this.parkedTimer) clearInterval(this.parkedTimer);
    this.parkedTimer = null;
    this.topicWatch.stop();
    this.session.wakeUp();
    if (!wasRunning) this.abort.abort();
    await this.pollLoop;
    // No consume() serves commit answers from here on: the final commit is confirmed by close().
    this.commits.quiesce();
    const drained = await this.dispatcher.drain(wasRunning, this.deps.settings.drainTimeoutMs);
    if (!drained) {
      this.log('warn', 'drain timeout: abandoning in-flight records, they will be delivered again', { inFlight: this.dispatcher.recordsInFlight });
    }
    this.abort.abort();
    this.ledger.revokeAll();
    await this.dispatcher.waitIdle(this.compiled.target.timeoutMs + 1000);
    await this.commits.close();
    // An assignment still deciding its start positions gives up (lookups aborted) and assigns
    // while the client is connected: once closing, the binding refuses assign, and librdkafka's
    // close would wait for it.
    await this.rebalances.settled();
    if (!(await this.session.close(DISCONNECT_TIMEOUT_MS))) {
      this.log('warn', 'the Kafka client did not close in time; leaving it behind', { timeoutMs: DISCONNECT_TIMEOUT_MS });
    }
    this.ledger.clear();
    this.state = 'stopped';
    this.log('info', 'consumer stopped', {});
  }
}

import type { Message } from '@confluentinc/kafka-javascript';
import type { JsonLogger } from '../../common/logging/json.logger';
import { RepeatSuppressor } from '../../common/logging/repeat-suppressor';
import { sqlErrorSummary } from '../../database/sql-failure';
import { AdaptiveConcurrency } from '../../delivery/adaptive-concurrency';
import type { CircuitBreaker, CircuitSnapshot } from '../../delivery/circuit-breaker';
import type { CircuitBreakerRegistry } from '../../delivery/circuit-breaker.registry';
import type { RateGate } from '../../delivery/rate-gate';
import type { RateGateRegistry } from '../../delivery/rate-gate.registry';
import type { SubscriptionMetrics } from '../../metrics/subscription-metrics';
import type { GroupDescriber } from '../groups/group-describer.service';
import type { ConsumerStartsRepository } from '../offsets/consumer-starts.repository';
import type { GroupMember } from '../offsets/kafka-group-client';
import type { BoundedConcurrency } from '../status/bounded-concurrency';
import { AssignmentShare } from './assignment-share';
import { CommitManager } from './commit-manager';
import type { DeadLetterSink, ParkedKeySource, RecordSender } from './delivery-ports';
import type { CompiledSubscription } from './compiled-subscription';
import { GroupMemberWatch } from './group-member-watch';
import { KafkaSession, type ConsumerSettings, type RebalanceEvent, type SubscriptionLog } from './kafka-session';
import { ParkedKeys } from './parked-keys';
import { PartitionLedger, type CommitOffsets } from './partition-ledger';
import { PartitionStarts } from './partition-starts';
import type { PartitionState } from './partition-state';
import { RecordDispatcher } from './record-dispatcher';
import { RecordProcessor } from './record-processor';

export type { ConsumerSettings } from './kafka-session';

export interface ConsumerDeps {
  readonly sender: RecordSender;
  readonly gates: RateGateRegistry;
  readonly breakers: CircuitBreakerRegistry;
  readonly deadLetters: DeadLetterSink & ParkedKeySource;
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
/** How long the outside-member look waits for the coordinator (ms). */
const GROUP_DESCRIBE_TIMEOUT_MS = 3_000;
/** How often the parked keys are read again (keys re-delivered from another instance leave then), ms. */
const PARKED_RELOAD_MS = 5_000;
/**
 * How often a running consumer compares its topic's id with the one it started under (a
 * recreated topic). Every 10 s cost 100 idle subscriptions 4 % more of a core (7.8 → 12.1 %).
 */
const TOPIC_WATCH_MS = 30_000;
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
/** Topic-check failures repeat during an outage: one line per window per message. */
const WATCH_ERROR_LOG_WINDOW_MS = 30_000;

/**
 * One Kafka consumer for one subscription: the state machine and the order of start and stop
 * over four parts. KafkaSession talks to Kafka; PartitionLedger keeps the account of each
 * assigned partition; RecordDispatcher runs delivery units under the ordering mode and the
 * in-flight limit; CommitManager commits done offsets and holds deliveries while commits cannot
 * land. This class fetches, admits records into the ledger, serves rebalances, and drains and
 * closes on stop.
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
  /** Done offsets whose revoke commit the broker refused, for partitions handed straight back. */
  private resumeAt: Map<number, number> | null = null;
  /**
   * Rebalance events, handled one after another: an assignment waits for the broker's answers
   * on where its partitions start, and a revoke must not overtake it.
   */
  private rebalances: Promise<void> = Promise.resolve();
  /** A topic-id check is running (watchTopic). */
  private watching = false;
  private topicWatch: NodeJS.Timeout | null = null;
  private readonly watchErrors = new RepeatSuppressor(WATCH_ERROR_LOG_WINDOW_MS);
  /** When this member joined or last lost all its partitions (ms): it polls fast for a while after (pollAfterMs). */
  private unassignedSince = 0;
  /** Looks for consumers outside kproxy in this subscription's group after each assignment. */
  private readonly groupWatch: GroupMemberWatch;
  /** Tells the rate gates which part of the topic's partitions this instance owns (cluster-wide rates). */
  private readonly share: AssignmentShare;
  private readonly log: SubscriptionLog;
  private readonly positionOf = (partition: number): number | undefined => this.session.position(partition);

  constructor(
    private compiled: CompiledSubscription,
    private readonly deps: ConsumerDeps,
  ) {
    const { settings, metrics } = deps;
    const reportProblem = (message: string) => deps.reportProblem?.(message);
    this.log = (level, msg, fields) => deps.logger[level](msg, { subscription: this.compiled.id, topic: this.compiled.kafka.topic, ...fields });
    this.session = new KafkaSession(
      compiled.id,
      compiled.kafka,
      settings,
      {
        rebalance: (event) => this.onRebalance(event),
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
        this.log('warn', 'the log start passed records before they were read: continuing at the log start; the records in between no longer exist on the broker', {
          partition,
          ...fields,
        });
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
    this.groupWatch = new GroupMemberWatch(
      compiled.id,
      () => (this.session.live ? deps.groups.members(this.compiled.kafka, GROUP_DESCRIBE_TIMEOUT_MS) : Promise.resolve(undefined)),
      (outside, err) => this.onForeignMembers(outside, err),
    );
    this.share = new AssignmentShare(
      () => this.session.offsetSource()?.partitions().then((p) => p.length) ?? Promise.reject(new Error('not connected')),
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
    };
  }

  /** Members of the group that are not this subscription's kproxy consumers, as last seen. */
  get foreignMembers(): readonly GroupMember[] {
    return this.groupWatch.members;
  }

  /** Lag per owned partition from the client's cached high watermark; no broker round trip. */
  lag(): Array<{ partition: number; lag: number }> {
    if (!this.session.live || this.state !== 'running') return [];
    return this.ledger.lag(this.positionOf, (partition) => this.session.watermarks(partition).high);
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
    this.topicWatch = setInterval(() => void this.watchTopic(), TOPIC_WATCH_MS);
    this.topicWatch.unref();
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
    const st = this.ledger.admit(msg, (partition) => this.session.watermarks(partition));
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

  private onRebalance(event: RebalanceEvent): void {
    this.rebalances = this.rebalances.then(() => this.rebalance(event));
  }

  private async rebalance(event: RebalanceEvent): Promise<void> {
    this.commits.releaseHold();
    try {
      if (event.kind === 'assign') await this.assign(event.assignment, event.cooperative);
      else if (event.kind === 'revoke') this.revoke(event.assignment, event.cooperative);
      else this.log('error', 'rebalance error', { err: event.message, code: event.code });
      if (this.session.live) void this.share.changed(this.ledger.size);
    } catch (e) {
      this.log('error', 'rebalance handling failed', { err: (e as Error).message });
    }
  }

  /**
   * Takes up newly assigned partitions at positions decided once (PartitionStarts), and commits
   * every position that is not the group's committed offset at once, so a stop, a crash or a
   * rebalance continues from it. A record of a previous ownership may still be settling: its
   * lane keeps later records of the same partition or key waiting, so order holds across the
   * reassignment.
   */
  private async assign(assignment: Extract<RebalanceEvent, { kind: 'assign' }>['assignment'], cooperative: boolean): Promise<void> {
    // A partition handed straight back after a refused revoke commit starts after what this
    // member delivered, not at the stale committed offset. Nobody else owned it in between,
    // and should someone have, starting here only repeats records; it never skips one.
    const resume = this.resumeAt;
    this.resumeAt = null;
    const resolved = await this.starts.resolve(
      () => this.session.offsetSource(),
      () => this.session.live && this.state === 'running',
      assignment.map((tp) => tp.partition),
      resume,
    );
    let commit = false;
    for (const tp of assignment) {
      const start = resolved?.starts.get(tp.partition);
      if (this.ledger.assign(tp.partition, start, resolved?.topicId ?? null)) commit = true;
      if (!start) continue;
      tp.offset = start.offset;
      this.starts.note(start);
    }
    if (commit) setImmediate(() => void this.commits.commitNow());
    this.session.assign(assignment, cooperative);
    this.groupWatch.soon();
    // Another instance may have dead-lettered records of these partitions: read the parked keys
    // again before any of their records is dispatched.
    if (this.compiled.policy.keyParking) {
      this.parked.invalidate();
      this.reloadParked();
    }
    this.log('info', 'partitions assigned', {
      partitions: assignment.map((tp) => tp.partition),
      ...(resolved ? { startAt: [...resolved.starts.values()].map((s) => `${s.partition}:${s.offset} (${s.reason})`) } : {}),
    });
  }

  /**
   * Commits what is done before the partitions move; records still in flight are not done and
   * will be delivered again by the new owner. A stop has already sent its final commit and let
   * go of the client before closing it: the revoke that the close fires can no longer commit,
   * and has nothing left to.
   */
  private revoke(assignment: Extract<RebalanceEvent, { kind: 'revoke' }>['assignment'], cooperative: boolean): void {
    const partitions = assignment.map((tp) => tp.partition);
    const closing = !this.session.live;
    const offsets = this.doneOffsets(partitions);
    if (offsets.length && !this.session.assignmentLost() && !closing) {
      try {
        this.session.commitSync(offsets);
      } catch (e) {
        this.resumeAt = new Map(offsets.map((o) => [o.partition, o.offset]));
        this.log('warn', 'commit on revoke failed; a partition handed back starts after what was delivered', {
          err: (e as Error).message,
          offsets: offsets.map((o) => `${o.partition}:${o.offset}`),
        });
      }
    }
    const paused = this.ledger.revoke(partitions);
    for (const p of partitions) this.dispatcher.dropPartition(p);
    // A closing client refuses resume (ERR__STATE) and will not be assigned again. Whatever
    // fails here, the unassign below must happen: librdkafka's close waits for it (seen on a
    // real broker: a stop hung 10 s after a refused resume skipped the unassign).
    if (!closing) this.session.resume(paused, 'resume on revoke failed');
    this.session.unassign(assignment, cooperative);
    if (this.ledger.size === 0) this.unassignedSince = Date.now();
    this.log('info', 'partitions revoked', { partitions });
  }

  /**
   * Notices a topic deleted and recreated under a running consumer whose fetch position the new
   * topic already passed (no offset goes back, so the ledger's offset check cannot see it):
   * every TOPIC_WATCH_MS the topic's id (KIP-516) is compared with the one each partition state
   * was started under; a partition of another id starts over at the new topic's log start
   * (seek). librdkafka 2.15 keeps fetching at the old position there, so the new topic's
   * records below it were silently never read.
   */
  private async watchTopic(): Promise<void> {
    const source = this.session.offsetSource();
    if (!source || this.state !== 'running' || this.ledger.size === 0 || this.watching) return;
    this.watching = true;
    try {
      const id = await source.topicId();
      const stale: PartitionState[] = [];
      for (const st of this.ledger.values()) {
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
      if (stale.length === 0 || !this.session.live || this.state !== 'running') return;
      const restarted: Array<{ partition: number; offset: number; reason: 'new-partition' }> = [];
      for (const st of stale) {
        if (this.ledger.get(st.partition) !== st) continue;
        const at = earliest.get(st.partition)!;
        const fresh = this.ledger.rewind(st, at, { reason: 'the topic id changed: the topic was deleted and recreated', topicId: id });
        fresh.topicId = id;
        // Records the old position still brings (at or past it) are dropped until the seek's arrive.
        fresh.seekFloor = st.expected;
        restarted.push({ partition: st.partition, offset: at, reason: 'new-partition' });
        this.session.seek(st.partition, at, 'seek to the new topic\'s log start failed');
      }
      await this.starts.record(id, restarted);
    } catch (err) {
      if (this.state !== 'running') return;
      const repeated = this.watchErrors.admit(`topic watch: ${(err as Error).message}`);
      if (repeated !== null) this.log('warn', 'cannot check the topic\'s id', { err: (err as Error).message, ...(repeated ? { repeated } : {}) });
    } finally {
      this.watching = false;
    }
  }

  /** The ledger replaced a partition's state whose offsets went back: counted, logged, its buffered records dropped, committed at once. */
  private rewound(old: PartitionState, offset: number, fields: Record<string, unknown>): void {
    this.deps.metrics.wentBack();
    this.log('warn', 'the partition\'s offsets went back: the topic was recreated or its log truncated; delivering from the new records on', {
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
    this.parked.reload(() => this.deps.deadLetters.pendingKeys(this.compiled.id)).then(
      () => {
        if (first) this.dispatcher.dispatch();
      },
      (err: unknown) => this.log('warn', 'cannot read the parked keys; records wait until they are read', { ...sqlErrorSummary(err), retryInMs: PARKED_RELOAD_MS }),
    );
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
    if (this.topicWatch) clearInterval(this.topicWatch);
    this.topicWatch = null;
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
    await this.rebalances;
    if (!(await this.session.close(DISCONNECT_TIMEOUT_MS))) {
      this.log('warn', 'the Kafka client did not close in time; leaving it behind', { timeoutMs: DISCONNECT_TIMEOUT_MS });
    }
    this.ledger.clear();
    this.state = 'stopped';
    this.log('info', 'consumer stopped', {});
  }
}

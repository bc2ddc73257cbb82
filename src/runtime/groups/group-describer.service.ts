import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { JsonLogger } from '../../common/logging/json.logger';
import type { KafkaPropertyValue } from '../../model/kafka-properties';
import type { KafkaSettings } from '../consumers/compiled-subscription';
import type { GroupMember } from '../../model/group-member';

/** One question to the child: the members of `groupId` on the cluster `client` reaches. */
export interface GroupDescribeRequest {
  id: number;
  /** librdkafka properties of the cluster (brokers, SASL, TLS); never logged. */
  client: Readonly<Record<string, KafkaPropertyValue>>;
  groupId: string;
  /** Per admin call (ListGroups, then DescribeGroups), ms. */
  timeoutMs: number;
}

/** The child's answer: members (null: the broker cannot list groups), or the error's message. */
export type GroupDescribeAnswer = { id: number; members: GroupMember[] | null } | { id: number; error: string };

interface Pending {
  resolve: (members: GroupMember[] | null) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** Beyond the two admin calls' own timeouts, how long the child may take before it is taken for hung (ms). */
const ANSWER_GRACE_MS = 5_000;

/**
 * Describes consumer groups (their members) in a child process, so that a fault in the Kafka
 * binding's DescribeGroups (a segmentation fault or a spin on a per-group error,
 * confluentinc/confluent-kafka-javascript issue 531, open in 1.10.1) costs one look instead of
 * the proxy: a crashed child fails the looks in flight and the next look starts a new one; a
 * child that does not answer within both calls' timeouts plus {@link ANSWER_GRACE_MS} is killed.
 *
 * The child (group-describe.child.ts) starts on the first look and keeps one admin client per
 * distinct cluster configuration, closed after 60 s unused.
 */
@Injectable()
export class GroupDescriber implements OnApplicationShutdown {
  /** The child's entry point; tests point it at a stand-in. */
  script = join(__dirname, 'group-describe.child.js');
  /** See {@link ANSWER_GRACE_MS}; tests shorten it. */
  answerGraceMs = ANSWER_GRACE_MS;
  private child: ChildProcess | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly logger: JsonLogger) {}

  /**
   * The members of the subscription's consumer group, from its coordinator.
   *
   * @param timeoutMs per admin call (ListGroups, then DescribeGroups)
   * @returns the members ([] for a group that is empty, dead or unknown to every broker); null
   *   when the cluster cannot list groups (librdkafka's mock broker)
   * @throws Error with the broker's or client's reason, or saying the child died or hung: a
   *   look to be tried again later
   */
  members(kafka: Pick<KafkaSettings, 'client' | 'groupId'>, timeoutMs: number): Promise<GroupMember[] | null> {
    if (this.closed) return Promise.reject(new Error('shutting down'));
    let child: ChildProcess;
    try {
      child = this.child ?? this.spawn();
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const waitMs = 2 * timeoutMs + this.answerGraceMs;
      const timer = setTimeout(() => {
        this.logger.warn('the group describe process did not answer in time; killing it', { waitMs, pid: child.pid });
        child.kill('SIGKILL');
      }, waitMs);
      this.pending.set(id, { resolve, reject, timer });
      const request: GroupDescribeRequest = { id, client: kafka.client, groupId: kafka.groupId, timeoutMs };
      child.send(request, (err) => {
        if (err) this.settle(id, new Error(`cannot reach the group describe process: ${err.message}`));
      });
    });
  }

  /** A child with looks in flight may be spinning (the reason it exists): it is killed, not asked. */
  onApplicationShutdown(): void {
    this.closed = true;
    const child = this.child;
    if (!child) return;
    if (this.pending.size > 0) child.kill('SIGKILL');
    else if (child.connected) child.disconnect();
  }

  private spawn(): ChildProcess {
    if (!existsSync(this.script)) throw new Error(`the group describe process's script is missing (${this.script}); build kproxy first`);
    // No inherited execArgv: the proxy's own flags (heap, inspector) are not the child's.
    const child = fork(this.script, [], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'json' });
    child.unref();
    child.channel?.unref();
    // Whatever ends the proxy ends the child: an orphan would spin on with a core.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.on('message', (answer: GroupDescribeAnswer) => this.settle(answer.id, 'error' in answer ? new Error(answer.error) : answer.members));
    child.on('error', (err) => this.logger.warn('the group describe process failed', { err: err.message, pid: child.pid }));
    child.on('exit', (code, signal) => {
      process.removeListener('exit', killOnExit);
      if (this.child === child) this.child = null;
      if (this.pending.size === 0 && (this.closed || code === 0)) return;
      const how = signal ? `signal ${signal}` : `exit code ${code}`;
      this.logger.warn('the group describe process exited; looks in flight fail and the next look starts a new one', { how, inFlight: this.pending.size });
      for (const id of [...this.pending.keys()]) this.settle(id, new Error(`the group describe process exited (${how}) before answering`));
    });
    this.child = child;
    return child;
  }

  private settle(id: number, outcome: GroupMember[] | null | Error): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome);
  }
}

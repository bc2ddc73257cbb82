import type { LocalKafkaOptions } from '../../scripts/kafka/kafka-cluster';
import { MockKafkaCluster } from '../../scripts/mock-kafka/mock-kafka-cluster';
import { resetDatabase } from './database';
import { KafkaTestClient } from './kafka-client';
import { ProxyOptions, ProxyProcess } from './proxy-process';
import { RealKafka } from './real-kafka';
import { Responder, SinkServer } from './sink-server';
import { MOCK_KAFKA_BINARY, sharedKafkaBrokers } from './test-env';

/** The broker a suite runs against: a real Apache Kafka, or the mock where a scenario needs its fault injection. */
export type TestKafka = RealKafka | MockKafkaCluster;

/**
 * Which broker a suite gets:
 * - `shared` (default): the run's real Kafka (KAFKA_BROKERS or the one the global set-up started);
 * - `{ nodes, name }`: a private real cluster the suite may stop, kill and freeze brokers of;
 * - `mock`: librdkafka's mock cluster, only for what a real broker cannot be made to do
 *   (request-error injection); the suite says why.
 */
export type KafkaChoice = 'shared' | 'mock' | { nodes: number; name: string; options?: Partial<LocalKafkaOptions> };

export function mockBroker(kafka: TestKafka): MockKafkaCluster {
  if (!(kafka instanceof MockKafkaCluster)) throw new Error('this scenario injects request errors and needs the mock broker (useTestWorld({ kafka: "mock" }))');
  return kafka;
}

export function realKafka(kafka: TestKafka): RealKafka {
  if (!(kafka instanceof RealKafka)) throw new Error('this scenario needs a real Kafka');
  return kafka;
}

async function startKafka(choice: KafkaChoice): Promise<TestKafka> {
  if (choice === 'mock') return MockKafkaCluster.start({ binary: MOCK_KAFKA_BINARY });
  if (choice === 'shared') return RealKafka.connect(sharedKafkaBrokers());
  return RealKafka.startPrivate(choice.name, choice.nodes, choice.options);
}

/** What every integration suite runs against: empty tables, a broker, a sink, proxies. */
export class TestWorld {
  readonly proxies: ProxyProcess[] = [];

  private constructor(
    readonly kafka: TestKafka,
    readonly client: KafkaTestClient,
    readonly sink: SinkServer,
  ) {}

  static async start(responder?: Responder, kafkaChoice: KafkaChoice = 'shared'): Promise<TestWorld> {
    await resetDatabase();
    const kafka = await startKafka(kafkaChoice);
    try {
      return new TestWorld(kafka, new KafkaTestClient(kafka.bootstrap), await SinkServer.start(responder));
    } catch (err) {
      // Nobody else holds the broker yet: a private cluster would outlive the suite.
      await kafka.stop();
      throw err;
    }
  }

  async startProxy(options?: ProxyOptions): Promise<ProxyProcess> {
    const proxy = await ProxyProcess.start(options);
    this.proxies.push(proxy);
    return proxy;
  }

  /**
   * Stops everything it started, each step even when one before it failed or hung (a client
   * that never closes must not leave brokers running: Jest would wait on them forever).
   */
  async stop(): Promise<void> {
    const steps: Array<[string, () => Promise<unknown>]> = [
      ...this.proxies.map((p) => [`proxy ${p.baseUrl}`, () => p.stop()] as [string, () => Promise<unknown>]),
      ['the test Kafka client', () => this.client.close()],
      ['the sink', () => this.sink.stop()],
      ['the broker', () => this.kafka.stop()],
    ];
    const failed: string[] = [];
    for (const [what, step] of steps) {
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        step().then(
          () => null,
          (err: Error) => err.message,
        ),
        new Promise<string>((resolve) => (timer = setTimeout(() => resolve('did not stop within 30 s'), 30_000))),
      ]);
      clearTimeout(timer);
      if (outcome !== null) failed.push(`${what}: ${outcome}`);
    }
    if (failed.length) throw new Error(`tear-down: ${failed.join('; ')}`);
  }
}

export interface WorldContext {
  world: TestWorld;
  kafka: TestKafka;
  client: KafkaTestClient;
  sink: SinkServer;
  /** The suite's main proxy (absent when the suite starts its own). */
  proxy: ProxyProcess;
}

/** Registers the suite's set-up and tear-down; fields are filled in by beforeAll. */
export function useTestWorld(options: { responder?: Responder; proxy?: ProxyOptions | false; kafka?: KafkaChoice } = {}): WorldContext {
  const ctx = {} as WorldContext;
  beforeAll(async () => {
    const world = await TestWorld.start(options.responder, options.kafka);
    Object.assign(ctx, { world, kafka: world.kafka, client: world.client, sink: world.sink });
    if (options.proxy !== false) ctx.proxy = await world.startProxy(options.proxy);
  }, 120_000);
  afterAll(() => ctx.world?.stop(), 300_000);
  return ctx;
}

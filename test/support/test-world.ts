import { MockKafkaCluster } from '../../scripts/mock-kafka/mock-kafka-cluster';
import { resetDatabase } from './database';
import { KafkaTestClient } from './kafka-client';
import { ProxyOptions, ProxyProcess } from './proxy-process';
import { Responder, SinkServer } from './sink-server';
import { ExternalKafka } from './external-kafka';
import { EXTERNAL_KAFKA_BROKERS, MOCK_KAFKA_BINARY } from './test-env';

/** The broker the suites run against: the mock cluster, or a real one from KAFKA_BROKERS. */
export type TestKafka = MockKafkaCluster | ExternalKafka;

/** For scenarios that need the mock broker's fault injection (outages, request errors). */
export const describeWithMockBroker: jest.Describe = EXTERNAL_KAFKA_BROKERS ? describe.skip : describe;

export function mockBroker(kafka: TestKafka): MockKafkaCluster {
  if (!(kafka instanceof MockKafkaCluster)) throw new Error('this scenario injects broker faults and needs the mock broker (unset KAFKA_BROKERS)');
  return kafka;
}

/** What every integration suite runs against: empty tables, a mock cluster, a sink, proxies. */
export class TestWorld {
  readonly proxies: ProxyProcess[] = [];

  private constructor(
    readonly kafka: TestKafka,
    readonly client: KafkaTestClient,
    readonly sink: SinkServer,
  ) {}

  static async start(responder?: Responder): Promise<TestWorld> {
    await resetDatabase();
    const kafka = EXTERNAL_KAFKA_BROKERS
      ? await ExternalKafka.connect(EXTERNAL_KAFKA_BROKERS)
      : await MockKafkaCluster.start({ binary: MOCK_KAFKA_BINARY });
    return new TestWorld(kafka, new KafkaTestClient(kafka.bootstrap), await SinkServer.start(responder));
  }

  async startProxy(options?: ProxyOptions): Promise<ProxyProcess> {
    const proxy = await ProxyProcess.start(options);
    this.proxies.push(proxy);
    return proxy;
  }

  async stop(): Promise<void> {
    for (const p of this.proxies) await p.stop();
    await this.client.close();
    await this.sink.stop();
    await this.kafka.stop();
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
export function useTestWorld(options: { responder?: Responder; proxy?: ProxyOptions | false } = {}): WorldContext {
  const ctx = {} as WorldContext;
  beforeAll(async () => {
    const world = await TestWorld.start(options.responder);
    Object.assign(ctx, { world, kafka: world.kafka, client: world.client, sink: world.sink });
    if (options.proxy !== false) ctx.proxy = await world.startProxy(options.proxy);
  });
  afterAll(() => ctx.world?.stop());
  return ctx;
}

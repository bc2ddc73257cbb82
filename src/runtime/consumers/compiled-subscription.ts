import type { DeliveryPolicySpec } from '../../model/delivery-spec';
import { DeliveryTarget } from '../../delivery/delivery-target';
import { RetryPolicy } from '../../delivery/retry-policy';
import { EtlPipeline } from '../../etl/etl-pipeline';
import type { KafkaPropertyValue } from '../../model/kafka-properties';
import type { SubscriptionSpec } from '../../subscriptions/dto/subscription-spec.schema';
import { kafkaClientProperties } from './kafka-client-properties';

export interface KafkaSettings {
  readonly brokers: string;
  readonly topic: string;
  readonly groupId: string;
  readonly startFrom: 'earliest' | 'latest';
  /** `classic`, or `consumer` (KIP-848), under which the broker owns session, heartbeat and assignment. */
  readonly groupProtocol: 'classic' | 'consumer';
  /** How to reach the cluster (brokers, SASL, TLS, allow-listed properties); holds secrets, never log it. */
  readonly client: Readonly<Record<string, KafkaPropertyValue>>;
}

/**
 * One config version of a subscription, compiled once: the per-message path never re-reads or
 * re-parses configuration. `rebuildKey` changes only when the consumer itself must be rebuilt
 * (Kafka settings, or the ordering mode, which decides how buffered records are laned).
 */
export class CompiledSubscription {
  readonly kafka: KafkaSettings;
  /** Identifies the cluster, topic and group. */
  readonly kafkaKey: string;
  readonly rebuildKey: string;
  readonly liveKey: string;
  readonly etl: EtlPipeline;
  readonly target: DeliveryTarget;
  readonly retry: RetryPolicy;
  readonly policy: DeliveryPolicySpec;

  /** Equal for equal specs: a refresh that finds the same key keeps this compiled version. */
  static specKey(spec: SubscriptionSpec): string {
    return JSON.stringify(spec);
  }

  constructor(
    readonly id: number,
    readonly spec: SubscriptionSpec,
    readonly specKey: string = CompiledSubscription.specKey(spec),
  ) {
    this.kafka = {
      brokers: spec.kafka.brokers,
      topic: spec.kafka.topic,
      groupId: spec.kafka.groupId ?? `kproxy.${spec.name}`,
      startFrom: spec.kafka.startFrom,
      groupProtocol: spec.kafka.groupProtocol,
      client: kafkaClientProperties(spec.kafka.brokers, spec.kafka.security, spec.kafka.properties),
    };
    this.kafkaKey = JSON.stringify(this.kafka);
    this.rebuildKey = JSON.stringify([this.kafka, spec.delivery.ordering]);
    this.liveKey = JSON.stringify([spec.name, spec.etl, spec.endpoint, spec.delivery]);
    this.etl = EtlPipeline.compile(spec.etl);
    this.target = new DeliveryTarget(spec.endpoint);
    this.retry = new RetryPolicy(spec.delivery);
    this.policy = spec.delivery;
  }

  get name(): string {
    return this.spec.name;
  }
}

import { Injectable } from '@nestjs/common';
import { BoundedConcurrency } from '../common/concurrency/bounded-concurrency';
import { DomainErrorCode } from '../common/errors/domain-error-code.enum';
import { DomainException } from '../common/errors/domain.exception';
import type { RequestActor } from '../common/request-context/request-actor';
import { AppConfig } from '../config/app.config';
import { DeliveryTarget } from '../delivery/delivery-target';
import { EtlPipeline } from '../etl/etl-pipeline';
import { kafkaClientProperties } from '../runtime/consumers/kafka-client-properties';
import type { SubscriptionSpec } from '../subscriptions/dto/subscription-spec.schema';
import { SubscriptionsService } from '../subscriptions/subscriptions.service';
import { TicketsService } from '../tickets/tickets.service';
import type { PreviewRequest, SubscriptionPreviewRequest } from './dto/preview-request.schema';
import { EtlPreview, type PreviewResult } from './etl-preview';
import { PreviewRecords } from './preview-record';
import { TopicTailReader, type TailPartition } from './topic-tail-reader';

/** How long reading the last records may take in all, ms. */
export const PREVIEW_READ_TIMEOUT_MS = 10_000;
/** Key and value bytes one preview reads from the topic at most. */
export const PREVIEW_READ_MAX_BYTES = 8 * 1_048_576;
/** The x-kafka-topic a preview without a kafka section shows. */
const NO_TOPIC = '<topic>';

export interface PreviewAnswer extends PreviewResult {
  /** `records`: pasted; `topic`: the last records read from the topic. */
  readonly source: 'records' | 'topic';
  readonly topic: string;
  /** Where the topic was read (source topic), else null. */
  readonly read: { readonly partitions: TailPartition[]; readonly complete: boolean } | null;
}

type PreviewedSpec = Pick<SubscriptionSpec, 'etl' | 'endpoint' | 'delivery'> & { kafka?: SubscriptionSpec['kafka'] };

/**
 * The ETL preview routes: what a subscription (given, or stored) does with sample records, pasted
 * or read from the topic (TopicTailReader: no group joined, nothing committed). Reading Kafka
 * runs librdkafka's blocking calls on the shared thread pool, so at most 2 previews read at once
 * and 8 wait (then 429 BUSY).
 */
@Injectable()
export class EtlPreviewService {
  private readonly reads = new BoundedConcurrency(2, 8, 'previews reading a topic');

  constructor(
    private readonly subscriptions: SubscriptionsService,
    private readonly tickets: TicketsService,
    private readonly config: AppConfig,
  ) {}

  /**
   * A preview of a subscription not stored (a ticket being written). A requester reads a topic
   * only on brokers some subscription already uses (403 PREVIEW_BROKERS_UNKNOWN): kproxy must not
   * open connections to any host:port a requester names; and only a topic PREVIEW_REQUESTER_TOPICS
   * lets it read (403 PREVIEW_TOPIC_NOT_ALLOWED), since the records of a topic another team
   * consumes are that team's, and a preview must not read around the ticket's approval.
   */
  async previewSpec(req: PreviewRequest, actor: RequestActor): Promise<PreviewAnswer> {
    const spec = req.subscription;
    if (req.lastRecords !== undefined && actor.role === 'requester') {
      await this.assertKnownBrokers(spec.kafka!.brokers);
      await this.assertTopicReadable(spec.kafka!, actor);
    }
    return this.preview(spec, req);
  }

  /** A preview under the stored config; a requester only of its own team's subscription (403 OTHER_TEAMS_SUBSCRIPTION). */
  async previewStored(id: number, req: SubscriptionPreviewRequest, actor: RequestActor): Promise<PreviewAnswer> {
    if (actor.role === 'requester') await this.subscriptions.assertReadableBy(id, actor);
    const { spec } = await this.subscriptions.loadRunnable(id);
    return this.preview(spec, req);
  }

  /**
   * An operator's preview of a ticket: the subscription its approval would create, secrets
   * included (they never appear in the answer: headers and URLs are masked as always), so the
   * topic's last records can be read from a cluster that needs the ticket's SASL credentials.
   * @throws DomainException TICKET_NOT_FOUND, TICKET_SPEC_INVALID, and what previewSpec throws when reading
   */
  async previewTicket(id: number, req: SubscriptionPreviewRequest): Promise<PreviewAnswer> {
    return this.preview(await this.tickets.specFor(id), req);
  }

  private async preview(spec: PreviewedSpec, req: SubscriptionPreviewRequest): Promise<PreviewAnswer> {
    const topic = spec.kafka?.topic ?? NO_TOPIC;
    const config = {
      topic,
      etl: EtlPipeline.compile(spec.etl),
      target: new DeliveryTarget(spec.endpoint),
      url: spec.endpoint.url,
      batchSize: spec.delivery.batchSize,
      maxBatchBytes: spec.delivery.maxBatchBytes,
      ordering: spec.delivery.ordering,
      maxMessageBytes: this.config.maxMessageBytes,
    };
    if (req.records) {
      return {
        source: 'records',
        topic,
        read: null,
        ...EtlPreview.run(
          config,
          req.records.map((r) => PreviewRecords.fromSample(r, topic)),
        ),
      };
    }
    const kafka = spec.kafka!;
    const client = kafkaClientProperties(kafka.brokers, kafka.security, kafka.properties);
    const tail = await this.reads.run(() =>
      TopicTailReader.read(client, kafka.brokers, kafka.topic, req.lastRecords!, { timeoutMs: PREVIEW_READ_TIMEOUT_MS, maxBytes: PREVIEW_READ_MAX_BYTES }),
    );
    return { source: 'topic', topic, read: { partitions: tail.partitions, complete: tail.complete }, ...EtlPreview.run(config, tail.records) };
  }

  /**
   * PREVIEW_REQUESTER_TOPICS for a requester's tail read: `none` refuses every topic, `own` allows
   * a topic only its team's subscriptions consume, `unclaimed` also one no subscription consumes.
   * A topic consumed by a subscription of another team (or of the operators, owner null) is
   * refused under every setting, unless the requester brings its own SASL credentials: then the
   * cluster's ACLs decide what it may read. Topics match by name on any cluster (conservative).
   */
  private async assertTopicReadable(kafka: NonNullable<PreviewedSpec['kafka']>, actor: RequestActor): Promise<void> {
    if (kafka.security?.sasl) return;
    const mode = this.config.previewRequesterTopics;
    const consumers = await this.subscriptions.topicConsumers(kafka.topic);
    const others = consumers.filter((c) => c.owner === null || c.owner !== actor.team);
    const problem =
      mode === 'none'
        ? 'this proxy lets requesters preview pasted records only (PREVIEW_REQUESTER_TOPICS=none)'
        : others.length
          ? "another team's or the operators' subscription consumes it, so its records are not yours to read"
          : mode === 'own' && consumers.length === 0
            ? 'no subscription of your team consumes it (PREVIEW_REQUESTER_TOPICS=own)'
            : null;
    if (problem === null) return;
    throw new DomainException(
      DomainErrorCode.PreviewTopicNotAllowed,
      `kafka.topic: ${problem}; paste sample records instead, give your own kafka.security.sasl credentials, or ask an operator to preview it from the approval view`,
      { fields: [{ path: 'subscription.kafka.topic', message: problem }] },
    );
  }

  private async assertKnownBrokers(brokers: string): Promise<void> {
    const known = new Set((await this.subscriptions.knownBrokers()).flatMap(hostPorts));
    const unknown = hostPorts(brokers).filter((b) => !known.has(b));
    if (unknown.length) {
      throw new DomainException(
        DomainErrorCode.PreviewBrokersUnknown,
        `kafka.brokers: no subscription uses ${unknown.join(', ')}; a requester token may read the last records only from clusters kproxy already consumes (paste records instead, or ask an operator)`,
        { fields: [{ path: 'subscription.kafka.brokers', message: `no subscription uses ${unknown.join(', ')}` }] },
      );
    }
  }
}

function hostPorts(list: string): string[] {
  return list
    .split(',')
    .map((b) =>
      b
        .trim()
        .toLowerCase()
        .replace(/\.:(\d+)$/, ':$1'),
    )
    .filter(Boolean);
}

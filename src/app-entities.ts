import { AuditEntryEntity } from './audit/audit-entry.entity';
import { InstanceEntity } from './cluster/instance.entity';
import { MetricSampleEntity } from './cluster/metrics-history/metric-sample.entity';
import { DeadLetterEntity } from './dead-letters/dead-letter.entity';
import { EndpointEntity } from './subscriptions/entities/endpoint.entity';
import { EtlConfigEntity } from './subscriptions/entities/etl-config.entity';
import { KafkaSourceEntity } from './subscriptions/entities/kafka-source.entity';
import { SubscriptionEntity } from './subscriptions/entities/subscription.entity';
import { TicketEntity } from './tickets/ticket.entity';

/**
 * Every table's entity class, for typeormOptions(): the app module, the CLIs and the tests map
 * these. Listed here, beside the app module, because each entity belongs to its feature folder
 * and those sit above src/database (docs/decisions/0016).
 */
export const APP_ENTITIES = [
  KafkaSourceEntity,
  EtlConfigEntity,
  EndpointEntity,
  SubscriptionEntity,
  DeadLetterEntity,
  InstanceEntity,
  TicketEntity,
  AuditEntryEntity,
  MetricSampleEntity,
];

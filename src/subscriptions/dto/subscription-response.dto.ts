import { formatZodIssues } from '../../common/validation/format-zod-issues';
import { SubscriptionEntity } from '../entities/subscription.entity';
import { SubscriptionMapper } from '../subscription.mapper';
import { parseSubscriptionSpec } from './subscription-spec.schema';

/**
 * What the API returns for a subscription: the stored config with secrets masked. A requester
 * reading another team's (or the operators') subscription gets `summary`: only id, name,
 * owner, topic, status, version and times; the config sections are absent.
 */
export class SubscriptionResponseDto {
  /** "full" (operators; the owning team) or "summary" (anyone else holding a requester token). */
  view: 'full' | 'summary';
  id: number;
  name: string;
  /** The requester team it belongs to; null: the operators'. */
  owner: string | null;
  kafka: unknown;
  etl: unknown;
  endpoint: Record<string, unknown>;
  delivery: unknown;
  hosts: unknown;
  /** Instances it runs on when `hosts` is empty; null = the SUBSCRIPTION_REPLICAS default. */
  replicas: unknown;
  status: string;
  /** Goes up with every change; the ETag is this number as a strong tag (`"7"`), for If-Match. */
  version: number;
  alerts: unknown;
  /** Why the stored row cannot run (rows written with SQL are checked too); null when valid. */
  configErrors: string[] | null;
  createdAt: string;
  updatedAt: string;

  /** `input` is the row in API shape with its secrets opened; `secretErrors` names those that did not open. */
  static from(row: SubscriptionEntity, input: Record<string, unknown>, secretErrors: string[]): SubscriptionResponseDto {
    const parsed = secretErrors.length ? null : parseSubscriptionSpec(input);
    const masked = SubscriptionMapper.maskInput(input);
    const dto = new SubscriptionResponseDto();
    Object.assign(dto, {
      view: 'full',
      id: row.id,
      name: row.name,
      owner: row.owner ?? null,
      kafka: masked.kafka,
      etl: input.etl,
      endpoint: masked.endpoint,
      delivery: input.delivery,
      hosts: input.hosts,
      replicas: input.replicas ?? null,
      status: row.status,
      version: row.version,
      alerts: masked.alerts,
      configErrors: !parsed ? secretErrors : parsed.success ? null : formatZodIssues(parsed.error.issues),
      createdAt: row.createdAt?.toISOString(),
      updatedAt: row.updatedAt?.toISOString(),
    });
    return dto;
  }

  /** What a requester sees of a subscription that is not its team's. */
  static summary(row: SubscriptionEntity): SubscriptionResponseDto {
    return Object.assign(new SubscriptionResponseDto(), {
      view: 'summary',
      id: row.id,
      name: row.name,
      owner: row.owner ?? null,
      kafka: { topic: row.kafka.topic },
      status: row.status,
      version: row.version,
      createdAt: row.createdAt?.toISOString(),
      updatedAt: row.updatedAt?.toISOString(),
    });
  }
}

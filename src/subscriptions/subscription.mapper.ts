import type { FieldProblem } from '../common/errors/domain.exception';
import { SecretBox } from '../secrets/secret-box';
import { EndpointEntity } from './entities/endpoint.entity';
import { EtlConfigEntity } from './entities/etl-config.entity';
import { KafkaSourceEntity } from './entities/kafka-source.entity';
import { SubscriptionEntity } from './entities/subscription.entity';
import type { SubscriptionSpec } from './dto/subscription-spec.schema';
import { SubscriptionSecrets } from './subscription-secrets';

export const MASK = '****';

/** Rows ↔ the API shape. Rows written by hand are read as-is, so validation sees exactly what is stored. */
export class SubscriptionMapper {
  static toInput(row: SubscriptionEntity): Record<string, unknown> {
    return {
      name: row.name,
      owner: row.owner ?? null,
      kafka: {
        brokers: row.kafka.brokers,
        topic: row.kafka.topic,
        groupId: row.kafka.groupId,
        startFrom: row.kafka.startFrom,
        groupProtocol: row.kafka.groupProtocol ?? 'classic',
        security: row.kafka.security ?? null,
        properties: row.kafka.properties ?? {},
      },
      etl: row.etl ? { filter: row.etl.filterRules ?? [], fields: row.etl.fields ?? null } : null,
      endpoint: {
        url: row.endpoint.url,
        method: row.endpoint.method,
        headers: row.endpoint.headers ?? {},
        timeoutMs: row.endpoint.timeoutMs,
        successStatus: row.endpoint.successStatus ?? [],
        errcodePath: row.endpoint.errcodePath,
        errcodeOk: row.endpoint.errcodeOk ?? [0],
        itemResultsPath: row.endpoint.itemResultsPath ?? null,
        rateGroup: row.endpoint.rateGroup,
        recordHeaders: row.endpoint.recordHeaders ?? {},
      },
      delivery: {
        maxRetries: row.maxRetries,
        backoffMs: row.backoffMs,
        maxBackoffMs: row.maxBackoffMs,
        ratePerSec: Number(row.ratePerSec),
        ordering: row.ordering,
        maxInFlight: row.maxInFlight,
        batchSize: row.batchSize,
        batchWaitMs: row.batchWaitMs,
        maxBatchBytes: row.maxBatchBytes,
        ...(row.circuitBreaker ? { circuitBreaker: row.circuitBreaker } : {}),
        adaptiveConcurrency: row.adaptiveConcurrency ?? true,
        keyParking: row.keyParking ?? false,
      },
      hosts: row.hosts ?? [],
      replicas: row.replicas ?? null,
      status: row.status,
      alerts: row.alerts ?? null,
    };
  }

  static apply(row: SubscriptionEntity, spec: SubscriptionSpec): SubscriptionEntity {
    row.name = spec.name;
    row.owner = spec.owner;
    const kafka = row.kafka ?? new KafkaSourceEntity();
    kafka.brokers = spec.kafka.brokers;
    kafka.topic = spec.kafka.topic;
    kafka.groupId = spec.kafka.groupId ?? `kproxy.${spec.name}`;
    kafka.startFrom = spec.kafka.startFrom;
    kafka.groupProtocol = spec.kafka.groupProtocol;
    kafka.security = spec.kafka.security;
    kafka.properties = Object.keys(spec.kafka.properties).length ? spec.kafka.properties : null;
    row.kafka = kafka;
    if (spec.etl) {
      const etl = row.etl ?? new EtlConfigEntity();
      etl.filterRules = spec.etl.filter;
      etl.fields = spec.etl.fields;
      row.etl = etl;
    } else {
      row.etl = null;
    }
    const endpoint = row.endpoint ?? new EndpointEntity();
    endpoint.url = spec.endpoint.url;
    endpoint.method = spec.endpoint.method;
    endpoint.headers = spec.endpoint.headers;
    endpoint.timeoutMs = spec.endpoint.timeoutMs;
    endpoint.successStatus = spec.endpoint.successStatus;
    endpoint.errcodePath = spec.endpoint.errcodePath;
    endpoint.errcodeOk = spec.endpoint.errcodeOk;
    endpoint.itemResultsPath = spec.endpoint.itemResultsPath;
    endpoint.rateGroup = spec.endpoint.rateGroup;
    endpoint.recordHeaders = Object.keys(spec.endpoint.recordHeaders).length ? spec.endpoint.recordHeaders : null;
    row.endpoint = endpoint;
    row.maxRetries = spec.delivery.maxRetries;
    row.backoffMs = spec.delivery.backoffMs;
    row.maxBackoffMs = spec.delivery.maxBackoffMs;
    row.ratePerSec = spec.delivery.ratePerSec;
    row.ordering = spec.delivery.ordering;
    row.maxInFlight = spec.delivery.maxInFlight;
    row.batchSize = spec.delivery.batchSize;
    row.batchWaitMs = spec.delivery.batchWaitMs;
    row.maxBatchBytes = spec.delivery.maxBatchBytes;
    row.circuitBreaker = spec.delivery.circuitBreaker;
    row.adaptiveConcurrency = spec.delivery.adaptiveConcurrency;
    row.keyParking = spec.delivery.keyParking;
    row.hosts = spec.hosts;
    row.replicas = spec.replicas;
    row.status = spec.status;
    row.alerts = spec.alerts;
    return row;
  }

  /** A subscription body (API input shape) as answers show it: secret fields, URL credentials and webhook paths masked. */
  static maskInput(input: Record<string, unknown>): Record<string, unknown> {
    return SubscriptionSecrets.map(input, maskSecret);
  }

  /**
   * An endpoint URL with its credentials masked: user name, password and every query value
   * become "****" (query names stay, so a reader sees which parameters are sent).
   */
  static maskEndpointUrl(value: string): string {
    try {
      const url = new URL(value);
      if (url.username) url.username = MASK;
      if (url.password) url.password = MASK;
      if (url.search) {
        // A parameter without "=" is a bare token: its name is the secret.
        const masked = url.search
          .slice(1)
          .split('&')
          .filter(Boolean)
          .map((part) => (part.includes('=') ? `${part.slice(0, part.indexOf('='))}=${MASK}` : MASK))
          .join('&');
        url.search = masked ? `?${masked}` : '';
      }
      return url.toString();
    } catch {
      return MASK;
    }
  }

  /** Chat webhooks carry their token in the path (Slack, WeCom, DingTalk): only the origin is shown. */
  static maskWebhookUrl(value: string): string {
    try {
      const url = new URL(value);
      return url.pathname === '/' && !url.search && !url.password && !url.username ? value : `${url.origin}/${MASK}`;
    } catch {
      return value;
    }
  }

  /**
   * A client that sends back what it read keeps the stored secret instead of storing the mask,
   * where `keep(path)` allows it (not when the secret would go to a new destination).
   */
  static unmaskSecrets<T>(incoming: T, stored: unknown, keep: (path: string) => boolean = () => true): T {
    return SubscriptionSecrets.map(incoming, (path, value) => {
      const previous = SubscriptionSecrets.at(stored, path);
      return previous !== undefined && keep(path) && value === maskSecret(path, previous) ? previous : value;
    });
  }

  /** Secret fields that still hold a mask: storing one would replace the secret with "****". */
  static maskedSecretProblems(input: unknown): FieldProblem[] {
    const problems: FieldProblem[] = [];
    SubscriptionSecrets.map(input, (path, value) => {
      const masked = path === 'alerts.webhookUrl' ? value.endsWith(`/${MASK}`) : path === 'endpoint.url' ? value.includes(MASK) : value === MASK;
      if (masked) {
        const why = path.startsWith('kafka.')
          ? 'a masked value keeps the stored secret only while kafka.brokers, security.protocol and sasl.mechanism stay the same'
          : path.startsWith('endpoint.')
            ? 'a masked value keeps the stored secret only while the endpoint URL keeps its origin'
            : 'there is no stored value to keep';
        problems.push({ path, message: `is masked; send the secret itself (${why})` });
      }
      return value;
    });
    return problems;
  }
}

function maskSecret(path: string, value: string): string {
  // A value still sealed (its key is missing) has no origin worth showing.
  if (SecretBox.isSealed(value)) return MASK;
  if (path === 'alerts.webhookUrl') return SubscriptionMapper.maskWebhookUrl(value);
  if (path === 'endpoint.url') return SubscriptionMapper.maskEndpointUrl(value);
  return MASK;
}

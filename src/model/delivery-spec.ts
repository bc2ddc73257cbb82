import type { JsonNumber } from '../common/json/json-number';

export const HTTP_METHODS = ['POST', 'PUT', 'PATCH'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** Bounded so a batch's x-kafka-records header stays within common server header limits. */
export const MAX_BATCH_SIZE = 500;

/**
 * Bounds of `delivery.maxBatchBytes`, the bytes of one batch POST's JSON array body. The default
 * is nginx's default client_max_body_size (1 MiB); the ceiling keeps one request's buffer sane.
 */
export const MIN_BATCH_BYTES = 1024;
export const MAX_BATCH_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_BATCH_BYTES = 1024 * 1024;

export const ORDERING_MODES = ['partition', 'key', 'unordered'] as const;
export type OrderingMode = (typeof ORDERING_MODES)[number];

/** `delivery.circuitBreaker`: when the endpoint counts as down, and how it is probed. */
export interface CircuitBreakerSpec {
  /** false: every record spends its own retries, as before the breaker. */
  enabled: boolean;
  /** Share of the attempts in the window that must say "unavailable" for the breaker to open (0–1]. */
  failureRatio: number;
  /**
   * Unavailable answers in a row that open the breaker; also how many the window must hold
   * before the ratio counts (so one failure never opens it).
   */
  minFailures: number;
  /** The sliding window the counts cover, ms. */
  windowMs: number;
  /** Wait before the first probe after the breaker opens, ms; doubled after each failed probe. */
  probeIntervalMs: number;
  /** Cap of the probe interval, ms. */
  maxProbeIntervalMs: number;
}

export interface EndpointSpec {
  url: string;
  method: HttpMethod;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Empty = any 2xx. */
  successStatus: number[];
  errcodePath: string | null;
  /** Numbers a double would alter are JsonNumber (exact). */
  errcodeOk: Array<number | string | JsonNumber>;
  /**
   * Batches only: where a successful batch response lists one result per record, in array order
   * (`$.results` holding an array, or `$.results[*].code`); each is compared with errcodeOk like
   * the errcode, and records whose result is not in it are dead-lettered alone. Null = none.
   */
  itemResultsPath: string | null;
  /** Subscriptions naming the same group share one rate gate (the lowest of their rates). */
  rateGroup: string | null;
  /** Kafka record header name to the HTTP header it is sent as. */
  recordHeaders: Record<string, string>;
}

export interface DeliveryPolicySpec {
  maxRetries: number;
  backoffMs: number;
  maxBackoffMs: number;
  ratePerSec: number;
  ordering: OrderingMode;
  /** Deliveries (single records or batches) in flight at once. */
  maxInFlight: number;
  /** > 1: POST a JSON array of up to this many records. */
  batchSize: number;
  /** How long a partial batch waits for more records before it is sent. */
  batchWaitMs: number;
  /** Bytes a batch's JSON array body may hold; a larger batch goes as consecutive smaller ones. */
  maxBatchBytes: number;
  /** When the endpoint counts as down and records wait for it instead of spending their retries. */
  circuitBreaker: CircuitBreakerSpec;
  /** true: maxInFlight is a ceiling and the limit adapts to the endpoint's latency (AdaptiveConcurrency). */
  adaptiveConcurrency: boolean;
  /** Key mode, batchSize 1: later records of a key with a pending dead letter are parked behind it (ParkedKeys). */
  keyParking: boolean;
}

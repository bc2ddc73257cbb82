export const HTTP_METHODS = ['POST', 'PUT', 'PATCH'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export const ORDERING_MODES = ['partition', 'key', 'unordered'] as const;
export type OrderingMode = (typeof ORDERING_MODES)[number];

export interface EndpointSpec {
  url: string;
  method: HttpMethod;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Empty = any 2xx. */
  successStatus: number[];
  errcodePath: string | null;
  errcodeOk: Array<number | string>;
}

export interface DeliveryPolicySpec {
  maxRetries: number;
  backoffMs: number;
  maxBackoffMs: number;
  ratePerSec: number;
  ordering: OrderingMode;
  maxInFlight: number;
}

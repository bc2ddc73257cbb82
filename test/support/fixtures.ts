let seq = 0;

/** Unique names per test so suites sharing one database and broker never collide. */
export function unique(prefix: string): string {
  seq += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${seq}`;
}

export function subscriptionBody(opts: {
  name: string;
  brokers: string;
  topic: string;
  url: string;
  etl?: unknown;
  endpoint?: Record<string, unknown>;
  delivery?: Record<string, unknown>;
  status?: 'running' | 'stopped';
}): Record<string, unknown> {
  return {
    name: opts.name,
    kafka: { brokers: opts.brokers, topic: opts.topic, startFrom: 'earliest' },
    ...(opts.etl ? { etl: opts.etl } : {}),
    endpoint: { url: opts.url, timeoutMs: 2000, ...opts.endpoint },
    delivery: { maxRetries: 2, backoffMs: 20, maxBackoffMs: 200, maxInFlight: 4, ...opts.delivery },
    status: opts.status ?? 'running',
  };
}

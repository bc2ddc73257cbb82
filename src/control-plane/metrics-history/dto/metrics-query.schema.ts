import { z } from 'zod';

/** Units a `window` may end in, in ms. */
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000 } as const;

/**
 * GET /api/subscriptions/:id/metrics's query: `window`, how far back the series goes, as a whole
 * number of seconds, minutes or hours ("90s", "15m", "1h"; default 1h). Whether it fits the
 * sampling interval and the retention is the service's check (those are settings).
 */
export const metricsQuerySchema = z.strictObject({
  window: z
    .string()
    .regex(/^[1-9][0-9]{0,4}[smh]$/, 'must be a whole number of seconds, minutes or hours, such as 90s, 15m or 1h')
    .default('1h'),
});

export type MetricsQuery = z.output<typeof metricsQuerySchema>;

/** "15m" → 900000; the text has passed metricsQuerySchema. */
export function windowMs(window: string): number {
  return Number(window.slice(0, -1)) * UNIT_MS[window.slice(-1) as keyof typeof UNIT_MS];
}

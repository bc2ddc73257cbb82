import { z } from 'zod';

/** A `limit` query parameter: a whole number from 1 to 500, `fallback` when absent. */
export const limitParam = (fallback: number) =>
  z
    .string()
    .regex(/^\d{1,4}$/, 'must be a whole number between 1 and 500')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be at least 1').max(500, 'must be at most 500'))
    .default(fallback);

import { z } from 'zod';
import { TEAM_NAME } from '../../config/app.config';

export const SUBSCRIPTION_SORTS = ['id', '-id', 'name', '-name'] as const;
export type SubscriptionSort = (typeof SUBSCRIPTION_SORTS)[number];

const flag = z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true');

/**
 * Where a page of GET /api/subscriptions ends: the sort it was read in and the last row's key
 * in that sort (its id, or its name), as base64url JSON. Opaque to clients: they pass on the
 * `cursor` of the Link rel="next" header.
 */
export const SubscriptionCursor = {
  encode(sort: SubscriptionSort, last: { id: number; name: string }): string {
    return Buffer.from(JSON.stringify([sort, sort.endsWith('name') ? last.name : last.id])).toString('base64url');
  },

  /** The key after which the next page starts, or a message saying why `cursor` is not one for `sort`. */
  decode(cursor: string, sort: SubscriptionSort): { after: number | string } | { problem: string } {
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    } catch {
      return { problem: 'must be the cursor of a Link rel="next" header of this list' };
    }
    if (!Array.isArray(parsed) || parsed.length !== 2) return { problem: 'must be the cursor of a Link rel="next" header of this list' };
    const [from, after] = parsed as [unknown, unknown];
    if (from !== sort) return { problem: `was made for sort=${String(from)}, not sort=${sort}; start again without it` };
    const byName = sort.endsWith('name');
    if (byName ? typeof after !== 'string' : !Number.isSafeInteger(after)) return { problem: 'must be the cursor of a Link rel="next" header of this list' };
    return { after: after as number | string };
  },
};

/**
 * The query of GET /api/subscriptions. Every parameter is optional, and without `limit` and
 * `cursor` the answer is the whole (filtered) list, as before paging existed (API.md: "→ array").
 * - q: a case-insensitive substring of the name or the topic (1-128 characters);
 * - topic: the exact topic; status: running | stopped (the stored, desired state);
 * - owner: the requester team it belongs to (the team of the ticket that asked for it);
 * - lagOver: total lag, summed over the instances running it (as their heartbeats report it,
 *   records), above this many records;
 * - breakerOpen: whether some instance running it has its endpoint's circuit breaker open or
 *   half-open (heartbeats);
 * - pendingDeadLetters: whether it has pending dead letters;
 * - sort: id | -id | name | -name (default id; names sort by their bytes, utf8mb4_bin);
 * - limit: 1-500 rows a page; cursor: where the previous page ended (Link rel="next").
 */
export const subscriptionListQuerySchema = z
  .strictObject({
    q: z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters').optional(),
    topic: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a topic name')
      .optional(),
    status: z.enum(['running', 'stopped'], { error: 'must be running or stopped' }).optional(),
    owner: z.string().regex(TEAM_NAME, 'must be a team name (1-64 lower-case letters, digits, . _ -)').optional(),
    lagOver: z
      .string()
      .regex(/^\d{1,15}$/, 'must be a whole number of records, 0 or more')
      .transform(Number)
      .optional(),
    breakerOpen: flag.optional(),
    pendingDeadLetters: flag.optional(),
    sort: z.enum(SUBSCRIPTION_SORTS, { error: `must be one of ${SUBSCRIPTION_SORTS.join(', ')}` }).default('id'),
    limit: z
      .string()
      .regex(/^\d{1,4}$/, 'must be a whole number between 1 and 500')
      .transform(Number)
      .pipe(z.number().int().min(1, 'must be at least 1').max(500, 'must be at most 500'))
      .optional(),
    cursor: z.string().max(1024, 'must be the cursor of a Link rel="next" header of this list').optional(),
  })
  .transform((query, ctx) => {
    if (query.cursor === undefined) return { ...query, after: undefined };
    const decoded = SubscriptionCursor.decode(query.cursor, query.sort);
    if ('problem' in decoded) {
      ctx.addIssue({ code: 'custom', path: ['cursor'], message: decoded.problem });
      return z.NEVER;
    }
    return { ...query, after: decoded.after };
  });

export type SubscriptionListQuery = z.output<typeof subscriptionListQuerySchema>;

/** Whether the query asks for a page (limit or cursor); without one the answer is the whole list, as before paging existed. */
export function isPaged(query: SubscriptionListQuery): boolean {
  return query.limit !== undefined || query.cursor !== undefined;
}

import { formatZodIssues } from '../../common/validation/format-zod-issues';
import { isPaged, SubscriptionCursor, subscriptionListQuerySchema } from './subscription-list-query.schema';

const problems = (input: unknown) => {
  const parsed = subscriptionListQuerySchema.safeParse(input);
  return parsed.success ? [] : formatZodIssues(parsed.error.issues);
};

describe('subscription list query', () => {
  it('reads no parameter as the whole list in id order, unpaged (the answer API.md has always given)', () => {
    const query = subscriptionListQuerySchema.parse({});
    expect(query).toEqual({ sort: 'id', after: undefined });
    expect(isPaged(query)).toBe(false);
  });

  it('reads every filter, the sort and a page', () => {
    const query = subscriptionListQuerySchema.parse({
      q: 'Orders',
      topic: 'orders.v2',
      status: 'running',
      owner: 'billing',
      lagOver: '1000',
      breakerOpen: 'true',
      pendingDeadLetters: 'false',
      sort: '-name',
      limit: '25',
    });
    expect(query).toEqual({
      q: 'Orders',
      topic: 'orders.v2',
      status: 'running',
      owner: 'billing',
      lagOver: 1000,
      breakerOpen: true,
      pendingDeadLetters: false,
      sort: '-name',
      limit: 25,
      after: undefined,
    });
    expect(isPaged(query)).toBe(true);
  });

  it('takes the cursor of a page back as the key to continue after, for the sort it was made in', () => {
    const byName = SubscriptionCursor.encode('name', { id: 7, name: 'orders-to-billing' });
    expect(subscriptionListQuerySchema.parse({ sort: 'name', cursor: byName })).toMatchObject({ after: 'orders-to-billing', sort: 'name' });
    const byId = SubscriptionCursor.encode('-id', { id: 7, name: 'x' });
    const query = subscriptionListQuerySchema.parse({ sort: '-id', cursor: byId });
    expect(query.after).toBe(7);
    expect(isPaged(query)).toBe(true);
  });

  it('names every bad parameter', () => {
    expect(
      problems({ q: '', topic: 'a b', status: 'paused', owner: 'Billing', lagOver: '-1', breakerOpen: 'yes', sort: 'topic', limit: '501', colour: 'red' }),
    ).toEqual([
      'q: must not be empty',
      'topic: must be a topic name',
      'status: must be running or stopped',
      'owner: must be a team name (1-64 lower-case letters, digits, . _ -)',
      'lagOver: must be a whole number of records, 0 or more',
      'breakerOpen: must be true or false',
      'sort: must be one of id, -id, name, -name',
      'limit: must be at most 500',
      'colour: is not a known field',
    ]);
    expect(problems({ limit: '0' })).toEqual(['limit: must be at least 1']);
  });

  it('refuses a cursor that is not one, or one made for another sort', () => {
    expect(problems({ cursor: 'not-a-cursor' })).toEqual(['cursor: must be the cursor of a Link rel="next" header of this list']);
    expect(problems({ cursor: Buffer.from('["id","seven"]').toString('base64url') })).toEqual([
      'cursor: must be the cursor of a Link rel="next" header of this list',
    ]);
    const byName = SubscriptionCursor.encode('name', { id: 7, name: 'a' });
    expect(problems({ sort: 'id', cursor: byName })).toEqual(['cursor: was made for sort=name, not sort=id; start again without it']);
  });
});

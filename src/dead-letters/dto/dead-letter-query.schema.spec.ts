import { formatZodIssues } from '../../common/validation/format-zod-issues';
import { deadLetterBulkJobSchema } from './dead-letter-bulk-job.schema';
import { deadLetterQuerySchema } from './dead-letter-query.schema';

const problemsOf = (schema: typeof deadLetterQuerySchema | typeof deadLetterBulkJobSchema, input: unknown) => {
  const parsed = schema.safeParse(input);
  return parsed.success ? [] : formatZodIssues(parsed.error.issues);
};

describe('dead letter list query', () => {
  it('reads the filters, the time range as instants, and the page', () => {
    expect(
      deadLetterQuerySchema.parse({
        subscriptionId: '7',
        state: 'pending',
        reason: 'retries_exhausted',
        createdFrom: '2026-05-01T10:00:00Z',
        createdTo: '2026-05-01T14:00:00+02:00',
        beforeId: '900',
      }),
    ).toEqual({
      subscriptionId: 7,
      state: 'pending',
      reason: 'retries_exhausted',
      createdFrom: new Date('2026-05-01T10:00:00.000Z'),
      createdTo: new Date('2026-05-01T12:00:00.000Z'),
      beforeId: 900,
      limit: 50,
    });
  });

  it('names every bad parameter, and an empty time range', () => {
    expect(problemsOf(deadLetterQuerySchema, { reason: 'tired', createdFrom: 'yesterday', state: 'lost' })).toEqual([
      'state: must be one of pending, redelivered, discarded',
      expect.stringMatching(/^reason: must be one of no_value, too_large, .*parked$/),
      'createdFrom: must be a time in ISO 8601 with its offset, e.g. 2026-05-01T10:00:00Z',
    ]);
    expect(problemsOf(deadLetterQuerySchema, { createdFrom: '2026-05-01T10:00:00Z', createdTo: '2026-05-01T10:00:00Z' })).toEqual([
      'createdTo: must be after createdFrom',
    ]);
  });
});

describe('dead letter bulk job body', () => {
  it('takes a selection by ids or a filter, numbers as JSON numbers', () => {
    expect(deadLetterBulkJobSchema.parse({ action: 'discard', ids: [3, 4] })).toEqual({ action: 'discard', ids: [3, 4] });
    expect(deadLetterBulkJobSchema.parse({ action: 'redeliver', filter: { subscriptionId: 7, reason: 'rejected' }, limit: 10 })).toEqual({
      action: 'redeliver',
      filter: { subscriptionId: 7, reason: 'rejected' },
      limit: 10,
    });
  });

  it('wants exactly one of ids and filter, a filter naming something, and only pending rows', () => {
    expect(problemsOf(deadLetterBulkJobSchema, { action: 'discard' })).toEqual([
      'ids: send either ids (a selection) or filter (everything it matches), not both and not neither',
    ]);
    expect(problemsOf(deadLetterBulkJobSchema, { action: 'discard', ids: [1], filter: { subscriptionId: 1 } })).toEqual([
      'ids: send either ids (a selection) or filter (everything it matches), not both and not neither',
    ]);
    expect(problemsOf(deadLetterBulkJobSchema, { action: 'discard', filter: {} })).toEqual([
      'filter: must name at least one of subscriptionId, topic, reason, createdFrom, createdTo (an empty filter would take every pending dead letter)',
    ]);
    expect(problemsOf(deadLetterBulkJobSchema, { action: 'purge', ids: [], filter: { state: 'discarded', subscriptionId: '7' } })).toEqual([
      'action: must be redeliver or discard',
      'ids: must name at least one dead letter',
      'filter.subscriptionId: must be a subscription id',
      'filter.state: must be pending: only pending dead letters can be re-delivered or discarded',
    ]);
  });
});

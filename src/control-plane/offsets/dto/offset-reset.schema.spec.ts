import { formatZodIssues } from '../../../common/validation/format-zod-issues';
import { offsetResetSchema } from './offset-reset.schema';

const problems = (input: unknown) => {
  const parsed = offsetResetSchema.safeParse(input);
  return parsed.success ? [] : formatZodIssues(parsed.error.issues);
};

describe('offset reset body', () => {
  it('accepts each target with what it needs', () => {
    expect(offsetResetSchema.parse({ to: 'earliest' })).toEqual({ to: 'earliest', restart: false });
    expect(problems({ to: 'timestamp', timestamp: 1700000000000, restart: true })).toEqual([]);
    expect(problems({ to: 'offsets', offsets: [{ partition: 0, offset: 5 }] })).toEqual([]);
  });

  it('names what is missing or wrong', () => {
    expect(problems({ to: 'timestamp' })).toEqual(['timestamp: is required when "to" is "timestamp"']);
    expect(problems({ to: 'offsets' })).toEqual(['offsets: is required when "to" is "offsets"']);
    expect(
      problems({
        to: 'offsets',
        offsets: [
          { partition: 0, offset: 1 },
          { partition: 0, offset: 2 },
        ],
      }),
    ).toEqual(['offsets.1.partition: partition 0 is listed twice']);
    expect(problems({ to: 'offsets', offsets: [{ partition: -1, offset: 1.5 }] })).toEqual([
      'offsets.0.partition: must be 0 or more',
      'offsets.0.offset: must be a whole number',
    ]);
    expect(problems({ to: 'now', extra: 1 })).toEqual(['to: must be one of earliest, latest, timestamp, offsets', 'extra: is not a known field']);
  });
});

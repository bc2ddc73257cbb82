import { z } from 'zod';
import { DomainException } from '../errors/domain.exception';
import { ZodValidationPipe } from './zod-validation.pipe';

const schema = z.strictObject({
  name: z.string().min(1, 'must not be empty'),
  endpoint: z.strictObject({ url: z.string().startsWith('http', 'must use http or https') }),
  filter: z.array(z.strictObject({ op: z.enum(['eq', 'neq'], { error: 'must be eq or neq' }) })).optional(),
});

function refusal(value: unknown): DomainException {
  try {
    new ZodValidationPipe(schema).transform(value);
  } catch (err) {
    return err as DomainException;
  }
  throw new Error('the pipe accepted it');
}

describe('ZodValidationPipe', () => {
  it('names every bad field in fields, with the same lines in the message', () => {
    const err = refusal({ name: '', endpoint: { url: 'ftp://x' }, filter: [{ op: 'like' }], colour: 'blue' });
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.fields).toEqual([
      { path: 'name', message: 'must not be empty' },
      { path: 'endpoint.url', message: 'must use http or https' },
      { path: 'filter.0.op', message: 'must be eq or neq' },
      { path: 'colour', message: 'is not a known field' },
    ]);
    expect(err.details).toEqual(err.fields!.map((f) => `${f.path}: ${f.message}`));
  });

  it('says a missing field is required and a body that is not an object is one', () => {
    expect(refusal({ endpoint: { url: 'http://x' } }).fields).toEqual([{ path: 'name', message: 'is required' }]);
    expect(refusal([1])).toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: [{ path: 'body', message: 'must be a JSON object' }],
      details: ['body: must be a JSON object'],
    });
  });
});

import { DomainErrorCode } from '../common/errors/domain-error-code.enum';
import { DomainException } from '../common/errors/domain.exception';
import { VersionPrecondition } from './version-precondition';

describe('VersionPrecondition (If-Match, RFC 9110 §13.1.1)', () => {
  it('is absent without the header', () => {
    expect(VersionPrecondition.parse(undefined)).toBeNull();
  });

  it('matches any version with *', () => {
    expect(VersionPrecondition.parse(' * ')!.matches(42)).toBe(true);
  });

  it('matches one strong tag of a list, never a weak one', () => {
    const p = VersionPrecondition.parse('W/"3", "5" ,"7"')!;
    expect([3, 5, 7, 8].map((v) => p.matches(v))).toEqual([false, true, true, false]);
    expect(VersionPrecondition.parse(['"9"', '"10"'])!.matches(10)).toBe(true);
  });

  it('keeps a comma inside an opaque tag', () => {
    expect(VersionPrecondition.parse('"a,b", "4"')!.matches(4)).toBe(true);
  });

  it('answers 412 naming the current version', () => {
    const err = catchError(() => VersionPrecondition.parse('"2"')!.assert(11, 3));
    expect(err).toMatchObject({
      code: DomainErrorCode.VersionMismatch,
      details: 'subscription 11 is at version 3, not 2; read it again and reapply your change',
    });
  });

  it('refuses a header that is not a list of entity tags, naming it', () => {
    for (const bad of ['5', '"5', 'W/5', '"5" "6"']) {
      const err = catchError(() => VersionPrecondition.parse(bad));
      expect(err).toMatchObject({ code: DomainErrorCode.InvalidIfMatch, details: [expect.stringMatching(/^If-Match: .* is not an entity tag/)] });
    }
  });

  it('renders a version as a strong ETag', () => {
    expect(VersionPrecondition.etag(7)).toBe('"7"');
  });
});

function catchError(fn: () => unknown): DomainException {
  try {
    fn();
  } catch (err) {
    return err as DomainException;
  }
  throw new Error('expected an error');
}

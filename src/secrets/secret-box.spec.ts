import { randomBytes } from 'node:crypto';
import { SecretBox, SecretUnreadableError } from './secret-box';

describe('SecretBox', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);

  it('seals to a tagged value that hides the text and opens back', () => {
    const box = new SecretBox(newKey);
    const sealed = box.seal('Bearer s3cr3t', 'endpoint.headers.Authorization');
    expect(sealed).toMatch(new RegExp(`^enc:v1:${SecretBox.keyId(newKey)}:[A-Za-z0-9_-]+$`));
    expect(sealed).not.toContain('s3cr3t');
    expect(box.seal('Bearer s3cr3t', 'endpoint.headers.Authorization')).not.toBe(sealed);
    expect(box.open(sealed, 'endpoint.headers.Authorization')).toBe('Bearer s3cr3t');
  });

  it('passes plain values through, as rows written by hand hold them', () => {
    expect(new SecretBox(newKey).open('Bearer plain', 'x')).toBe('Bearer plain');
  });

  it('opens values sealed with a previous key and marks them for resealing', () => {
    const sealedOld = new SecretBox(oldKey).seal('pw', 'kafka.security.sasl.password');
    const rotated = new SecretBox(newKey, [oldKey]);
    expect(rotated.open(sealedOld, 'kafka.security.sasl.password')).toBe('pw');
    expect(rotated.needsResealing(sealedOld)).toBe(true);
    expect(rotated.needsResealing(rotated.seal('pw', 'f'))).toBe(false);
    expect(rotated.needsResealing('plain')).toBe(true);
  });

  it('refuses an unknown key, another field and tampering, naming the reason', () => {
    const sealed = new SecretBox(oldKey).seal('pw', 'a');
    expect(() => new SecretBox(newKey).open(sealed, 'a')).toThrow(/sealed with key [0-9a-f]{8}, which is neither SECRETS_KEY/);
    const box = new SecretBox(oldKey);
    expect(() => box.open(sealed, 'b')).toThrow(SecretUnreadableError);
    const last = sealed.at(-2) === 'A' ? 'B' : 'A';
    expect(() => box.open(`${sealed.slice(0, -2)}${last}${sealed.at(-1)}`, 'a')).toThrow(/altered/);
    expect(() => box.open('enc:v1:', 'a')).toThrow(SecretUnreadableError);
  });
});

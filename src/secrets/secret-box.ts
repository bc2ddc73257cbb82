import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID_CHARS = 8;

/** Why a stored secret cannot be read: the key it was sealed with is not configured, or it was altered. */
export class SecretUnreadableError extends Error {}

/**
 * AES-256-GCM for secrets at rest. A sealed value reads `enc:v1:<key id>:<base64url iv|tag|data>`;
 * the key id (a hash prefix, never the key) says which configured key opens it, so keys can be
 * rotated while old values stay readable. The field name is authenticated too, so a sealed value
 * copied into another field does not open.
 */
export class SecretBox {
  private readonly currentId: string;
  private readonly keys = new Map<string, Buffer>();

  constructor(current: Buffer, previous: readonly Buffer[] = []) {
    if (current.length !== 32) throw new Error('a secrets key must be 32 bytes');
    this.currentId = SecretBox.keyId(current);
    this.keys.set(this.currentId, current);
    for (const key of previous) this.keys.set(SecretBox.keyId(key), key);
  }

  static keyId(key: Buffer): string {
    return createHash('sha256').update(key).digest('hex').slice(0, KEY_ID_CHARS);
  }

  static isSealed(value: unknown): value is string {
    return typeof value === 'string' && value.startsWith(PREFIX);
  }

  get keyId(): string {
    return this.currentId;
  }

  seal(plain: string, field: string): string {
    const key = this.keys.get(this.currentId)!;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(field));
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${PREFIX}${this.currentId}:${Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64url')}`;
  }

  /** Plain values (rows written by hand) come back as they are. */
  open(value: string, field: string): string {
    if (!SecretBox.isSealed(value)) return value;
    const rest = value.slice(PREFIX.length);
    const colon = rest.indexOf(':');
    const id = rest.slice(0, colon);
    // Only a well-formed key id is ever repeated back; anything else is just damaged.
    if (colon !== KEY_ID_CHARS || !/^[0-9a-f]+$/.test(id)) throw new SecretUnreadableError('is a damaged sealed value');
    const key = this.keys.get(id);
    if (!key) throw new SecretUnreadableError(`was sealed with key ${id}, which is neither SECRETS_KEY nor in SECRETS_PREVIOUS_KEYS`);
    const raw = Buffer.from(rest.slice(colon + 1), 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretUnreadableError('is a damaged sealed value');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(field));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretUnreadableError(`does not open with key ${id}: it was altered or belongs to another field`);
    }
  }

  /** True when the value is plain or sealed with an older key, so a rotation should seal it again. */
  needsResealing(value: string): boolean {
    return !value.startsWith(`${PREFIX}${this.currentId}:`);
  }
}

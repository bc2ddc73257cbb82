import { Injectable } from '@nestjs/common';
import type { FieldProblem } from '../common/errors/domain.exception';
import { SecretBox, SecretUnreadableError } from '../secrets/secret-box';

/**
 * Endpoint headers known to carry no credential. Every other header's value is secret: masked in
 * answers and sealed at rest. A deny-list of words cannot keep up with the names vendors give
 * their keys (x-functions-key, Ocp-Apim-Subscription-Key, X-Auth-Key, Authentication, …).
 */
export const PUBLIC_HEADERS: ReadonlySet<string> = new Set([
  'accept',
  'accept-charset',
  'accept-encoding',
  'accept-language',
  'cache-control',
  'content-encoding',
  'content-language',
  'content-type',
  'pragma',
  'prefer',
  'user-agent',
  'x-correlation-id',
  'x-request-id',
]);

/** True when an endpoint header's value is a secret (any name not on PUBLIC_HEADERS, case-insensitive). */
export function isSecretHeader(name: string): boolean {
  return !PUBLIC_HEADERS.has(name.toLowerCase());
}

/**
 * True when an endpoint URL is a secret field: it carries user info or a query string (where
 * API keys and SAS tokens travel), or it is already sealed.
 */
export function isSecretUrl(value: string): boolean {
  if (SecretBox.isSealed(value)) return true;
  try {
    const url = new URL(value);
    return url.username !== '' || url.password !== '' || url.search !== '';
  } catch {
    return false;
  }
}

type Visit = (path: string, value: string) => string;

/**
 * The secret fields of a subscription body (API input shape, also the shape tickets store):
 * every endpoint header not on PUBLIC_HEADERS, the endpoint URL when it carries credentials
 * (isSecretUrl), the alert webhook URL (chat webhooks carry their token in it), the
 * SASL password and the TLS private key and its password. One list serves masking, sealing,
 * opening and rotation, so a new secret field is added in one place.
 */
@Injectable()
export class SubscriptionSecrets {
  constructor(private readonly box: SecretBox) {}

  /** A copy with every secret field passed through `visit`; everything else is shared, not copied. */
  static map<T>(input: T, visit: Visit): T {
    if (!isObject(input)) return input;
    const out: Record<string, unknown> = { ...input };
    const endpoint = out.endpoint;
    if (isObject(endpoint)) {
      const next: Record<string, unknown> = { ...endpoint };
      if (typeof endpoint.url === 'string' && isSecretUrl(endpoint.url)) next.url = visit('endpoint.url', endpoint.url);
      if (isObject(endpoint.headers)) {
        const headers: Record<string, unknown> = { ...endpoint.headers };
        for (const [name, value] of Object.entries(headers)) {
          if (typeof value === 'string' && isSecretHeader(name)) headers[name] = visit(`endpoint.headers.${name}`, value);
        }
        next.headers = headers;
      }
      out.endpoint = next;
    }
    const alerts = out.alerts;
    if (isObject(alerts) && typeof alerts.webhookUrl === 'string') {
      out.alerts = { ...alerts, webhookUrl: visit('alerts.webhookUrl', alerts.webhookUrl) };
    }
    const kafka = out.kafka;
    const security = isObject(kafka) ? kafka.security : undefined;
    if (isObject(kafka) && isObject(security)) {
      const next: Record<string, unknown> = { ...security };
      for (const [section, fields] of [
        ['sasl', ['password']],
        ['tls', ['key', 'keyPassword']],
      ] as const) {
        const part = security[section];
        if (!isObject(part)) continue;
        const copy: Record<string, unknown> = { ...part };
        for (const field of fields) {
          const value = copy[field];
          if (typeof value === 'string') copy[field] = visit(`kafka.security.${section}.${field}`, value);
        }
        next[section] = copy;
      }
      out.kafka = { ...kafka, security: next };
    }
    return out as T;
  }

  /** The value at a secret path of a body, if it is a string. */
  static at(input: unknown, path: string): string | undefined {
    let found: string | undefined;
    SubscriptionSecrets.map(input, (p, v) => {
      if (p === path) found = v;
      return v;
    });
    return found;
  }

  /**
   * Secret fields a client sent already sealed. The API refuses them: a sealed value copied from
   * the database (or a backup) would otherwise be opened by kproxy and sent wherever the new
   * subscription points, handing the secret to someone who never had the key.
   */
  static sealedInputProblems(input: unknown): FieldProblem[] {
    const problems: FieldProblem[] = [];
    SubscriptionSecrets.map(input, (path, value) => {
      if (SecretBox.isSealed(value)) problems.push({ path, message: 'looks like a sealed value (enc:v1:…); send the secret itself' });
      return value;
    });
    return problems;
  }

  seal<T>(input: T): T {
    return SubscriptionSecrets.map(input, (path, value) => (SecretBox.isSealed(value) ? value : this.box.seal(value, path)));
  }

  /**
   * Like seal, but a secret equal to the one stored at the same path keeps its stored
   * ciphertext: sealing draws a new IV, so without this every edit would rewrite every column
   * holding a secret, over a concurrent change to it (issue 14, item 11).
   */
  sealKeeping<T>(input: T, stored: unknown): T {
    return SubscriptionSecrets.map(input, (path, value) => {
      if (SecretBox.isSealed(value)) return value;
      const previous = SubscriptionSecrets.at(stored, path);
      if (previous !== undefined && SecretBox.isSealed(previous) && this.openOrNull(previous, path) === value) return previous;
      return this.box.seal(value, path);
    });
  }

  private openOrNull(value: string, path: string): string | null {
    try {
      return this.box.open(value, path);
    } catch (err) {
      if (err instanceof SecretUnreadableError) return null;
      throw err;
    }
  }

  /** Plain values pass through; a value no configured key opens is named in `errors` and left sealed. */
  open<T>(input: T): { input: T; errors: string[] } {
    const errors: string[] = [];
    const opened = SubscriptionSecrets.map(input, (path, value) => {
      try {
        return this.box.open(value, path);
      } catch (err) {
        if (!(err instanceof SecretUnreadableError)) throw err;
        errors.push(`${path}: ${err.message}`);
        return value;
      }
    });
    return { input: opened, errors };
  }

  /** Opens with any configured key and seals with the current one; null when nothing changes. */
  reseal<T>(input: T): T | null {
    let changed = false;
    const { input: opened, errors } = this.open(input);
    if (errors.length) throw new SecretUnreadableError(errors.join('; '));
    SubscriptionSecrets.map(input, (_path, value) => {
      if (this.box.needsResealing(value)) changed = true;
      return value;
    });
    return changed ? this.seal(opened) : null;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

import { Injectable } from '@nestjs/common';
import { AuditLog } from '../audit/audit-log.service';
import type { RequestActor } from '../common/request-context/request-actor';
import type { EntityManager } from 'typeorm';
import { DomainErrorCode } from '../common/errors/domain-error-code.enum';
import { OutboundGuard } from '../delivery/outbound-guard';
import { DomainException } from '../common/errors/domain.exception';
import { formatZodIssues } from '../common/validation/format-zod-issues';
import { SubscriptionResponseDto } from './dto/subscription-response.dto';
import { parseSubscriptionSpec, SubscriptionSpec } from './dto/subscription-spec.schema';
import { SubscriptionEntity } from './entities/subscription.entity';
import { SubscriptionChangeFeed } from './subscription-change-feed';
import { SubscriptionMapper } from './subscription.mapper';
import { SubscriptionSecrets } from './subscription-secrets';
import { SubscriptionsRepository } from './subscriptions.repository';

const SECTIONS = ['kafka', 'etl', 'endpoint', 'delivery', 'alerts'] as const;

export interface StoredSubscription {
  readonly id: number;
  readonly name: string;
  /** The validated config, or the reasons the stored row cannot run. */
  readonly spec: SubscriptionSpec | null;
  readonly errors: string[];
}

@Injectable()
export class SubscriptionsService {
  constructor(
    private readonly repository: SubscriptionsRepository,
    private readonly changes: SubscriptionChangeFeed,
    private readonly guard: OutboundGuard,
    private readonly secrets: SubscriptionSecrets,
    private readonly audit: AuditLog,
  ) {}

  /** Refuses a config that would send to a link-local or metadata address, or off the allow-list. */
  assertOutboundAllowed(spec: SubscriptionSpec): void {
    const problems: string[] = [];
    const check = (field: string, url: string | null | undefined) => {
      const problem = url ? this.guard.problemWithUrl(url) : null;
      if (problem) problems.push(`${field}: ${problem}`);
    };
    check('endpoint.url', spec.endpoint.url);
    check('alerts.webhookUrl', spec.alerts?.webhookUrl);
    if (problems.length) throw new DomainException(DomainErrorCode.InvalidInput, problems);
  }

  /** Refuses secret fields sent sealed (copied ciphertext) or still masked. */
  assertSecretsInFull(input: unknown, sent: unknown = input): void {
    const problems = [...SubscriptionSecrets.sealedInputProblems(sent), ...SubscriptionMapper.maskedSecretProblems(input)];
    if (problems.length) throw new DomainException(DomainErrorCode.InvalidInput, problems);
  }

  async list(): Promise<SubscriptionResponseDto[]> {
    return (await this.repository.findAll()).map((row) => this.view(row));
  }

  async get(id: number): Promise<SubscriptionResponseDto> {
    return this.view(await this.require(id));
  }

  async create(spec: SubscriptionSpec, actor: RequestActor): Promise<SubscriptionResponseDto> {
    this.assertSecretsInFull(spec);
    this.assertOutboundAllowed(spec);
    const row = SubscriptionMapper.apply(new SubscriptionEntity(), this.secrets.seal(spec));
    const saved = await this.saveUnique(() => this.repository.save(row), row.name);
    await this.changes.announce();
    const created = this.view((await this.repository.findById(saved.id)) ?? saved);
    await this.audit.record({ action: 'subscription.create', resourceType: 'subscription', resourceId: created.id, after: created }, actor);
    return created;
  }

  /**
   * Creates a subscription inside the caller's transaction and returns its id; the caller
   * announces the change once its transaction has committed.
   */
  async createWithin(em: EntityManager, input: unknown): Promise<number> {
    const opened = this.secrets.open(input);
    if (opened.errors.length) throw new DomainException(DomainErrorCode.Conflict, ['the stored request has secrets no configured key opens:', ...opened.errors]);
    const parsed = parseSubscriptionSpec(opened.input);
    if (!parsed.success) throw new DomainException(DomainErrorCode.InvalidInput, formatZodIssues(parsed.error.issues));
    this.assertOutboundAllowed(parsed.data);
    const row = SubscriptionMapper.apply(new SubscriptionEntity(), this.secrets.seal(parsed.data));
    return (await this.saveUnique(() => this.repository.saveWithin(em, row), row.name)).id;
  }

  announceChange(): Promise<void> {
    return this.changes.announce();
  }

  /** Partial update: sections merge field by field; arrays and maps inside them are replaced. */
  async patch(id: number, body: Record<string, unknown>, actor: RequestActor): Promise<SubscriptionResponseDto> {
    const row = await this.require(id);
    const before = this.view(row);
    const current = this.secrets.open(SubscriptionMapper.toInput(row)).input;
    let merged: Record<string, unknown> = { ...current };
    for (const [key, value] of Object.entries(body)) {
      const section = SECTIONS.includes(key as (typeof SECTIONS)[number]);
      const base = current[key];
      // defineProperty, not assignment: a "__proto__" key must stay a key (which validation
      // then refuses), never become merged's prototype and vanish from what is validated.
      Object.defineProperty(merged, key, {
        value: section && isPlainObject(value) && isPlainObject(base) ? { ...(base as object), ...(value as object) } : value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    const endpoint = merged.endpoint;
    if (isPlainObject(endpoint)) merged.endpoint = { ...endpoint, url: SubscriptionMapper.unmaskUrl(endpoint.url, row.endpoint.url) };
    // A kept secret must not follow the subscription to a destination it was never meant for.
    const sameBrokers = (merged.kafka as Record<string, unknown> | undefined)?.brokers === row.kafka.brokers;
    const sameOrigin = originOf((merged.endpoint as Record<string, unknown> | undefined)?.url) === originOf(row.endpoint.url);
    merged = SubscriptionMapper.unmaskSecrets(merged, current, (path) =>
      path.startsWith('kafka.') ? sameBrokers : path.startsWith('endpoint.') ? sameOrigin : true,
    );
    this.assertSecretsInFull(merged, body);
    const parsed = parseSubscriptionSpec(merged);
    if (!parsed.success) throw new DomainException(DomainErrorCode.InvalidInput, formatZodIssues(parsed.error.issues));
    this.assertOutboundAllowed(parsed.data);
    const updated = SubscriptionMapper.apply(row, this.secrets.seal(parsed.data));
    await this.saveUnique(() => this.repository.save(updated), updated.name);
    await this.changes.announce();
    const after = await this.get(id);
    await this.audit.record({ action: 'subscription.update', resourceType: 'subscription', resourceId: id, before, after }, actor);
    return after;
  }

  async setStatus(id: number, status: 'running' | 'stopped', actor: RequestActor): Promise<SubscriptionResponseDto> {
    const previous = (await this.require(id)).status;
    await this.repository.setStatus(id, status);
    await this.changes.announce();
    if (previous !== status) {
      await this.audit.record({ action: status === 'running' ? 'subscription.start' : 'subscription.stop', resourceType: 'subscription', resourceId: id, before: { status: previous }, after: { status } }, actor);
    }
    return this.get(id);
  }

  /** Back to running after an aborted reset, unless someone changed the status meanwhile. */
  async restoreRunning(id: number): Promise<void> {
    if (await this.repository.setStatusIf(id, 'stopped', 'running')) await this.changes.announce();
  }

  async remove(id: number, actor: RequestActor): Promise<void> {
    const row = await this.require(id);
    const before = this.view(row);
    await this.repository.delete(row);
    await this.changes.announce();
    await this.audit.record({ action: 'subscription.delete', resourceType: 'subscription', resourceId: id, before }, actor);
  }

  /** Every stored subscription with its validated config, for the runtime. */
  async loadAll(): Promise<StoredSubscription[]> {
    return (await this.repository.findAll()).map((row) => this.toStored(row));
  }

  /** One stored subscription with its validated config; 404 when it does not exist. */
  async load(id: number): Promise<StoredSubscription> {
    return this.toStored(await this.require(id));
  }

  /** Like load, but a config that cannot run is a conflict naming what to fix. */
  async loadRunnable(id: number): Promise<StoredSubscription & { spec: SubscriptionSpec }> {
    const stored = await this.load(id);
    if (!stored.spec) {
      throw new DomainException(DomainErrorCode.Conflict, [
        `subscription ${id} has an invalid stored config; fix it first (PATCH or SQL):`,
        ...stored.errors,
      ]);
    }
    return stored as StoredSubscription & { spec: SubscriptionSpec };
  }

  /** What answers show: the stored row with secrets opened, then masked, and why it cannot run. */
  private view(row: SubscriptionEntity): SubscriptionResponseDto {
    const { input, errors } = this.secrets.open(SubscriptionMapper.toInput(row));
    return SubscriptionResponseDto.from(row, input, errors);
  }

  private toStored(row: SubscriptionEntity): StoredSubscription {
    const { input, errors } = this.secrets.open(SubscriptionMapper.toInput(row));
    if (errors.length) return { id: row.id, name: row.name, spec: null, errors };
    const parsed = parseSubscriptionSpec(input);
    return parsed.success
      ? { id: row.id, name: row.name, spec: parsed.data, errors: [] }
      : { id: row.id, name: row.name, spec: null, errors: formatZodIssues(parsed.error.issues) };
  }

  private async require(id: number): Promise<SubscriptionEntity> {
    const row = Number.isSafeInteger(id) && id > 0 ? await this.repository.findById(id) : null;
    if (!row) throw DomainException.notFound('subscription', id);
    return row;
  }

  private async saveUnique(save: () => Promise<SubscriptionEntity>, name: string): Promise<SubscriptionEntity> {
    try {
      return await save();
    } catch (err) {
      if ((err as { code?: string }).code === 'ER_DUP_ENTRY') {
        throw new DomainException(DomainErrorCode.Conflict, `a subscription named "${name}" already exists; choose another name`);
      }
      throw err;
    }
  }
}

function originOf(url: unknown): string | null {
  try {
    return typeof url === 'string' ? new URL(url).origin : null;
  } catch {
    return null;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

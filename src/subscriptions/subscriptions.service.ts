import { Injectable } from '@nestjs/common';
import { AuditLog } from '../audit/audit-log.service';
import type { RequestActor } from '../common/request-context/request-actor';
import type { EntityManager } from 'typeorm';
import { DomainErrorCode } from '../common/errors/domain-error-code.enum';
import { OutboundGuard } from '../delivery/outbound-guard';
import { DomainException, type FieldProblem } from '../common/errors/domain.exception';
import { formatZodIssues, zodFieldProblems } from '../common/validation/format-zod-issues';
import { SubscriptionResponseDto } from './dto/subscription-response.dto';
import { parseSubscriptionSpec, SubscriptionSpec } from './dto/subscription-spec.schema';
import { SubscriptionEntity } from './entities/subscription.entity';
import { SubscriptionChangeFeed } from './subscription-change-feed';
import { SubscriptionMapper } from './subscription.mapper';
import { SubscriptionSecrets } from './subscription-secrets';
import { SubscriptionsRepository, type SubscriptionSearch } from './subscriptions.repository';
import type { VersionPrecondition } from './version-precondition';

const SECTIONS = ['kafka', 'etl', 'endpoint', 'delivery', 'alerts'] as const;

/** How often a PATCH without If-Match is merged again onto a row that changed under it before it gives up with 409. */
const PATCH_ATTEMPTS = 5;

export type SubscriptionStatus = 'running' | 'stopped';

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

  /** Refuses a config that would send to a link-local or metadata address, or off the allow-list (400 DESTINATION_NOT_ALLOWED). */
  assertOutboundAllowed(spec: SubscriptionSpec): void {
    const problems: FieldProblem[] = [];
    const check = (path: string, url: string | null | undefined) => {
      const problem = url ? this.guard.problemWithUrl(url) : null;
      if (problem) problems.push({ path, message: problem });
    };
    check('endpoint.url', spec.endpoint.url);
    check('alerts.webhookUrl', spec.alerts?.webhookUrl);
    if (problems.length) throw DomainException.forFields(DomainErrorCode.DestinationNotAllowed, problems);
  }

  /** Refuses secret fields sent sealed (copied ciphertext) or still masked (400 SECRET_NOT_SENT). */
  assertSecretsInFull(input: unknown, sent: unknown = input): void {
    const problems = [...SubscriptionSecrets.sealedInputProblems(sent), ...SubscriptionMapper.maskedSecretProblems(input)];
    if (problems.length) throw DomainException.forFields(DomainErrorCode.SecretNotSent, problems);
  }

  /**
   * A page of the subscriptions `search` matches, with the
   * number matching in all and whether more rows follow (SubscriptionsRepository.search).
   * A requester sees its own team's in full and the others as summaries.
   */
  async search(search: SubscriptionSearch, actor?: RequestActor): Promise<{ rows: SubscriptionResponseDto[]; total: number; more: boolean }> {
    const found = await this.repository.search(search);
    const rows = found.rows.map((row) => (SubscriptionsService.fullViewFor(row, actor) ? this.view(row) : SubscriptionResponseDto.summary(row)));
    return { rows, total: found.total, more: found.more };
  }

  /** One subscription, as `search` shows it to this actor; 404 SUBSCRIPTION_NOT_FOUND when it does not exist. */
  async get(id: number, actor?: RequestActor): Promise<SubscriptionResponseDto> {
    const row = await this.require(id);
    return SubscriptionsService.fullViewFor(row, actor) ? this.view(row) : SubscriptionResponseDto.summary(row);
  }

  /** 403 OTHER_TEAMS_SUBSCRIPTION unless the actor may see the subscription in full (status, for instance, shows its endpoint's health). */
  async assertReadableBy(id: number, actor: RequestActor): Promise<void> {
    const row = await this.require(id);
    if (!SubscriptionsService.fullViewFor(row, actor)) {
      throw new DomainException(
        DomainErrorCode.OtherTeamsSubscription,
        `subscription ${id} belongs to ${row.owner ? `team "${row.owner}"` : 'the operators'}; your requester token is team "${actor.team}"`,
      );
    }
  }

  /** Operators and open mode see everything; a requester only its own team's subscriptions. */
  static fullViewFor(row: { owner: string | null }, actor: RequestActor | undefined): boolean {
    return !actor || actor.role !== 'requester' || (row.owner !== null && row.owner === actor.team);
  }

  /**
   * A consumer group belongs to one subscription per Kafka cluster: a second member would take
   * part of the first one's partitions and commit in its name. Clusters are told apart by their
   * broker addresses (sharing one host:port means the same cluster). 409 GROUP_IN_USE naming the holder.
   */
  async assertGroupFree(spec: SubscriptionSpec, exceptId: number | null = null, anyCluster = false): Promise<void> {
    const holder = await this.groupHolder(spec.kafka.groupId ?? `kproxy.${spec.name}`, anyCluster ? null : spec.kafka.brokers, exceptId, spec.name);
    if (holder) {
      const problem = `consumer group "${holder.groupId}" belongs to subscription ${holder.id} ("${holder.name}")${anyCluster ? '' : ` on ${spec.kafka.brokers}`}; every subscription needs its own group — leave groupId out to get kproxy.<name>`;
      throw new DomainException(DomainErrorCode.GroupInUse, `kafka.groupId: ${problem}`, { fields: [{ path: 'kafka.groupId', message: problem }] });
    }
  }

  /**
   * The subscription (other than `exceptId`) that holds `groupId` on the cluster of `brokers`
   * (null: on any cluster), or null. Broker lists sharing a host:port are one cluster; the same
   * cluster spelled differently (another broker of it, an IP) is not recognised, which is why
   * tickets check every cluster.
   */
  async groupHolder(
    groupId: string,
    brokers: string | null,
    exceptId: number | null = null,
    nameOf: string | null = null,
  ): Promise<{ id: number; name: string; groupId: string } | null> {
    const mine = brokers === null ? null : brokerSet(brokers);
    for (const row of await this.repository.findByGroupId(groupId)) {
      // The same name is a duplicate subscription: the name's own 409 says it better.
      if (row.id === exceptId || (exceptId === null && row.name === nameOf)) continue;
      if (mine === null || [...brokerSet(row.brokers)].some((b) => mine.has(b))) return { id: row.id, name: row.name, groupId };
    }
    return null;
  }

  /** Subscriptions whose endpoint is in `rateGroup`, with their owners and rates. */
  rateGroupMembers(rateGroup: string): Promise<{ id: number; name: string; owner: string | null; ratePerSec: number }[]> {
    return this.repository.findByRateGroup(rateGroup);
  }

  /** Subscriptions consuming a topic, with their owners. */
  topicConsumers(topic: string): Promise<{ id: number; name: string; owner: string | null }[]> {
    return this.repository.findByTopic(topic);
  }

  /** Broker lists some subscription already uses. */
  knownBrokers(): Promise<string[]> {
    return this.repository.knownBrokers();
  }

  async create(spec: SubscriptionSpec, actor: RequestActor): Promise<SubscriptionResponseDto> {
    this.assertSecretsInFull(spec);
    this.assertOutboundAllowed(spec);
    await this.assertGroupFree(spec);
    const row = SubscriptionMapper.apply(new SubscriptionEntity(), this.secrets.seal(spec));
    const saved = await this.saveUnique(() => this.repository.transaction((em) => this.repository.insertWithin(em, row)), row.name);
    await this.changes.announce();
    const created = this.view(saved);
    await this.audit.record({ action: 'subscription.create', resourceType: 'subscription', resourceId: created.id, after: created }, actor);
    return created;
  }

  /**
   * Creates a subscription inside the caller's transaction and answers it as stored there (an
   * audit entry must not show a change made after the commit); the caller announces the change
   * once its transaction has committed. `input` is a ticket's stored request: one the current
   * rules refuse is a 400 TICKET_SPEC_INVALID, one with secrets no key opens a 409 SECRETS_UNREADABLE.
   */
  async createWithin(em: EntityManager, input: unknown, groupOnAnyCluster = false): Promise<SubscriptionResponseDto> {
    const opened = this.secrets.open(input);
    if (opened.errors.length)
      throw new DomainException(DomainErrorCode.SecretsUnreadable, ['the stored request has secrets no configured key opens:', ...opened.errors]);
    const parsed = parseSubscriptionSpec(opened.input);
    if (!parsed.success) throw DomainException.forFields(DomainErrorCode.TicketSpecInvalid, zodFieldProblems(parsed.error.issues));
    this.assertOutboundAllowed(parsed.data);
    await this.assertGroupFree(parsed.data, null, groupOnAnyCluster);
    const row = SubscriptionMapper.apply(new SubscriptionEntity(), this.secrets.seal(parsed.data));
    return this.view(await this.saveUnique(() => this.repository.insertWithin(em, row), row.name));
  }

  announceChange(): Promise<void> {
    return this.changes.announce();
  }

  /**
   * Partial update: sections merge field by field; arrays and maps inside them are replaced.
   * Only the columns the body changes are written, on the version the merge was made from: when
   * another write landed in between, the body is merged again onto the new state (up to
   * PATCH_ATTEMPTS times, then 409 CONCURRENT_UPDATE). With If-Match the client named the version
   * it edited, so a moved version is a 412 VERSION_MISMATCH instead (RFC 9110 §13.1.1).
   */
  async patch(
    id: number,
    body: Record<string, unknown>,
    actor: RequestActor,
    precondition: VersionPrecondition | null = null,
  ): Promise<SubscriptionResponseDto> {
    for (let attempt = 1; attempt <= PATCH_ATTEMPTS; attempt++) {
      const row = await this.require(id);
      precondition?.assert(id, row.version);
      const before = this.view(row);
      const snapshot = this.repository.snapshot(row);
      const stored = { group: row.kafka.groupId, brokers: row.kafka.brokers };
      const merged = this.merge(row, body);
      if ((merged.kafka.groupId ?? `kproxy.${merged.name}`) !== stored.group || merged.kafka.brokers !== stored.brokers) await this.assertGroupFree(merged, id);
      const updated = SubscriptionMapper.apply(row, this.secrets.sealKeeping(merged, SubscriptionMapper.toInput(row)));
      const saved = await this.saveUnique(() => this.repository.update(snapshot, updated, Object.hasOwn(body, 'status')), updated.name);
      if (!saved) continue;
      await this.changes.announce();
      const after = this.view(saved);
      await this.audit.record({ action: 'subscription.update', resourceType: 'subscription', resourceId: id, before, after }, actor);
      return after;
    }
    if (precondition) await this.require(id).then((row) => precondition.assert(id, row.version));
    throw new DomainException(
      DomainErrorCode.ConcurrentUpdate,
      `subscription ${id} changed ${PATCH_ATTEMPTS} times while this PATCH was being applied; send it again`,
    );
  }

  /** The stored config with the body merged in, validated; 400 VALIDATION_FAILED naming every bad field. */
  private merge(row: SubscriptionEntity, body: Record<string, unknown>): SubscriptionSpec {
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
    // A kept secret must not follow the subscription to a destination it was never meant for:
    // Kafka secrets stay only while brokers, protocol and mechanism stay; endpoint secrets only
    // while the URL keeps its origin.
    const sameKafka = sameKafkaDestination(merged.kafka, current.kafka);
    const sameOrigin = originOf((merged.endpoint as Record<string, unknown> | undefined)?.url) === originOf((current.endpoint as Record<string, unknown>).url);
    merged = SubscriptionMapper.unmaskSecrets(merged, current, (path) =>
      path.startsWith('kafka.') ? sameKafka : path.startsWith('endpoint.') ? sameOrigin : true,
    );
    this.assertSecretsInFull(merged, body);
    const parsed = parseSubscriptionSpec(merged);
    if (!parsed.success) throw DomainException.forFields(DomainErrorCode.ValidationFailed, zodFieldProblems(parsed.error.issues));
    this.assertOutboundAllowed(parsed.data);
    return parsed.data;
  }

  /** Start or stop; only the status is written, so a concurrent PATCH of other fields stands. */
  async setStatus(
    id: number,
    status: SubscriptionStatus,
    actor: RequestActor,
    precondition: VersionPrecondition | null = null,
  ): Promise<SubscriptionResponseDto> {
    const changed = await this.changeStatus(id, status, actor, (row) => {
      precondition?.assert(id, row.version);
      return true;
    });
    return changed!.subscription;
  }

  /**
   * Sets the status and answers it with the status_version this command left, which a later
   * `setStatusUnlessChosen` compares against (the offset reset stops, then restarts).
   */
  async setStatusMarked(id: number, status: SubscriptionStatus, actor: RequestActor): Promise<{ subscription: SubscriptionResponseDto; mark: number }> {
    return (await this.changeStatus(id, status, actor, () => true))!;
  }

  /**
   * Sets the status only if no status command (start, stop, a PATCH sending status) came since
   * the one that answered `mark`; false when one did, and nothing is written.
   */
  async setStatusUnlessChosen(id: number, status: SubscriptionStatus, actor: RequestActor, mark: number): Promise<boolean> {
    return (await this.changeStatus(id, status, actor, (row) => row.statusVersion === mark)) !== null;
  }

  private async changeStatus(
    id: number,
    status: SubscriptionStatus,
    actor: RequestActor,
    check: (row: SubscriptionEntity) => boolean,
  ): Promise<{ subscription: SubscriptionResponseDto; mark: number } | null> {
    const changed = Number.isSafeInteger(id) && id > 0 ? await this.repository.setStatus(id, status, check) : 'missing';
    if (changed === 'missing') throw DomainException.notFound(DomainErrorCode.SubscriptionNotFound, 'subscription', id);
    if (changed === 'refused') return null;
    await this.changes.announce();
    const { before, after } = changed;
    if (before.status !== after.status) {
      await this.audit.record(
        {
          action: status === 'running' ? 'subscription.start' : 'subscription.stop',
          resourceType: 'subscription',
          resourceId: id,
          before: { status: before.status, version: before.version },
          after: { status: after.status, version: after.version },
        },
        actor,
      );
    }
    return { subscription: this.view(after), mark: after.statusVersion };
  }

  async remove(id: number, actor: RequestActor, precondition: VersionPrecondition | null = null): Promise<void> {
    const removed = Number.isSafeInteger(id) && id > 0 ? await this.repository.delete(id, (row) => precondition?.assert(id, row.version)) : null;
    if (!removed) throw DomainException.notFound(DomainErrorCode.SubscriptionNotFound, 'subscription', id);
    await this.changes.announce();
    await this.audit.record({ action: 'subscription.delete', resourceType: 'subscription', resourceId: id, before: this.view(removed) }, actor);
  }

  /** Every stored subscription with its validated config, for the runtime. */
  async loadAll(): Promise<StoredSubscription[]> {
    return (await this.repository.findAll()).map((row) => this.toStored(row));
  }

  /** One stored subscription with its validated config; 404 when it does not exist. */
  async load(id: number): Promise<StoredSubscription> {
    return this.toStored(await this.require(id));
  }

  /** Like load, but a config that cannot run is a 409 SUBSCRIPTION_CONFIG_INVALID naming what to fix. */
  async loadRunnable(id: number): Promise<StoredSubscription & { spec: SubscriptionSpec }> {
    const stored = await this.load(id);
    if (!stored.spec) {
      throw new DomainException(DomainErrorCode.SubscriptionConfigInvalid, [
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
    if (!row) throw DomainException.notFound(DomainErrorCode.SubscriptionNotFound, 'subscription', id);
    return row;
  }

  private async saveUnique<T>(save: () => Promise<T>, name: string): Promise<T> {
    try {
      return await save();
    } catch (err) {
      if ((err as { code?: string }).code === 'ER_DUP_ENTRY') {
        throw new DomainException(DomainErrorCode.SubscriptionNameTaken, `a subscription named "${name}" already exists; choose another name`);
      }
      throw err;
    }
  }
}

/** The host:port pairs of a broker list, lower-cased. */
function brokerSet(brokers: string): Set<string> {
  // "host.:9092" is "host:9092" (a fully qualified name's trailing dot).
  return new Set(
    brokers
      .split(',')
      .map((b) =>
        b
          .trim()
          .toLowerCase()
          .replace(/\.:(\d+)$/, ':$1'),
      )
      .filter(Boolean),
  );
}

/** Same brokers, security protocol and SASL mechanism: where a kept Kafka secret would be sent. */
function sameKafkaDestination(next: unknown, stored: unknown): boolean {
  const a = isPlainObject(next) ? next : {};
  const b = isPlainObject(stored) ? stored : {};
  const security = (k: Record<string, unknown>) => (isPlainObject(k.security) ? k.security : {});
  const mechanism = (k: Record<string, unknown>) => {
    const sasl = security(k).sasl;
    return isPlainObject(sasl) ? sasl.mechanism : undefined;
  };
  return a.brokers === b.brokers && security(a).protocol === security(b).protocol && mechanism(a) === mechanism(b);
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

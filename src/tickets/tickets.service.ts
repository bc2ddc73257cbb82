import { Injectable } from '@nestjs/common';
import { AuditLog } from '../audit/audit-log.service';
import type { RequestActor } from '../common/request-context/request-actor';
import { DomainErrorCode } from '../common/errors/domain-error-code.enum';
import { DomainException } from '../common/errors/domain.exception';
import { JsonLogger } from '../common/logging/json.logger';
import { AppConfig } from '../config/app.config';
import { NamedLock } from '../database/named-lock';
import { formatZodIssues, zodFieldProblems } from '../common/validation/format-zod-issues';
import { parseSubscriptionSpec, type SubscriptionSpec } from '../subscriptions/dto/subscription-spec.schema';
import { SubscriptionSecrets } from '../subscriptions/subscription-secrets';
import type { SubscriptionResponseDto } from '../subscriptions/dto/subscription-response.dto';
import { SubscriptionsService } from '../subscriptions/subscriptions.service';
import type { TicketSubmission } from './dto/ticket-submission.pipe';
import { TicketResponseDto } from './dto/ticket-response.dto';
import type { TicketApproveInput, TicketQueryInput, TicketRejectInput } from './dto/ticket.schemas';
import { ReviewFlag, TicketReview } from './ticket-review';
import type { TicketEntity } from './ticket.entity';
import { TicketsRepository } from './tickets.repository';

const DEFAULT_OPERATOR = 'operator';
/** The largest subscription body a ticket may hold (bytes of JSON). */
export const MAX_TICKET_SPEC_BYTES = 256 * 1024;
const DAY_MS = 86_400_000;
/** How long a submission waits for its team's earlier one to finish (s). */
const TEAM_LOCK_WAIT_S = 10;

/** Requests for subscriptions: they run nothing until an operator approves them. */
@Injectable()
export class TicketsService {
  constructor(
    private readonly repository: TicketsRepository,
    private readonly subscriptions: SubscriptionsService,
    private readonly logger: JsonLogger,
    private readonly secrets: SubscriptionSecrets,
    private readonly audit: AuditLog,
    private readonly review: TicketReview,
    private readonly config: AppConfig,
  ) {}

  /**
   * Stores a request for an operator to decide. A requester token's ticket belongs to its team
   * (and so will the subscription): `owner` must be absent or that team. Refused: 400 for a
   * body over MAX_TICKET_SPEC_BYTES (TICKET_TOO_LARGE) or an owner of another team
   * (OWNER_NOT_YOUR_TEAM); 409 for a consumer group another subscription holds (GROUP_IN_USE), or
   * a rate group with members of another owner (RATE_GROUP_IN_USE); 429 over the team's quota
   * (TICKET_QUOTA_EXCEEDED) or while its other submissions hold the team's lock (BUSY).
   */
  async submit(input: TicketSubmission, actor: RequestActor): Promise<TicketResponseDto> {
    this.subscriptions.assertSecretsInFull(input.spec);
    this.subscriptions.assertOutboundAllowed(input.validated);
    const bytes = Buffer.byteLength(JSON.stringify(input.spec));
    if (bytes > MAX_TICKET_SPEC_BYTES) {
      throw new DomainException(
        DomainErrorCode.TicketTooLarge,
        `the requested subscription is ${bytes} bytes of JSON; a ticket may hold at most ${MAX_TICKET_SPEC_BYTES}`,
      );
    }
    const team = actor.role === 'requester' ? actor.team : null;
    const owner = team ?? input.validated.owner;
    if (team !== null && input.validated.owner !== null && input.validated.owner !== team) {
      throw DomainException.forFields(DomainErrorCode.OwnerNotYourTeam, [
        { path: 'owner', message: `your requester token is team "${team}"; a ticket belongs to its team (leave owner out)` },
      ]);
    }
    // One team's submissions one at a time, so concurrent ones cannot all pass the quota.
    const lock = team === null ? null : await NamedLock.acquire(this.config.database.url, `kproxy.tickets.${team}`, TEAM_LOCK_WAIT_S);
    if (team !== null && !lock)
      throw new DomainException(DomainErrorCode.Busy, `team "${team}" is submitting other tickets; try again`, { retryAfterSeconds: 1 });
    let row: TicketEntity;
    try {
      // The quota first: a refused ticket must not be a free probe of other teams' groups.
      if (team !== null) await this.assertQuota(team);
      // A ticket's group must be free on every cluster: the same cluster can be spelled many ways.
      await this.subscriptions.assertGroupFree(input.validated, null, team !== null);
      if (team !== null) await this.assertRateGroupOpenTo(input.validated.endpoint.rateGroup, team);
      const spec = owner === null ? input.spec : { ...input.spec, owner };
      row = await this.repository.insert({
        state: 'pending',
        requester: input.requester,
        team,
        reason: input.reason,
        name: String(input.spec.name),
        spec: this.secrets.seal(spec),
      });
    } finally {
      await lock?.release();
    }
    this.logger.info('ticket submitted', { ticket: row.id, requester: row.requester, team, name: row.name });
    const submitted = await this.view((await this.repository.findById(row.id)) ?? row, actor);
    await this.audit.record({ action: 'ticket.submit', resourceType: 'ticket', resourceId: row.id, after: submitted }, actor);
    return submitted;
  }

  /** Newest first; a requester sees only its team's tickets. */
  async list(query: TicketQueryInput, actor: RequestActor): Promise<TicketResponseDto[]> {
    const rows = await this.repository.find(query, actor.role === 'requester' ? (actor.team ?? '') : undefined);
    const known = actor.role === 'requester' || !rows.some((r) => r.state === 'pending') ? [] : await this.subscriptions.knownBrokers();
    return Promise.all(rows.map((row) => this.view(row, actor, known)));
  }

  /** One ticket; 404 TICKET_NOT_FOUND also for a requester asking for another team's (its existence is not disclosed). */
  async get(id: number, actor: RequestActor): Promise<TicketResponseDto> {
    const row = await this.repository.findById(id);
    if (!row || (actor.role === 'requester' && row.team !== actor.team)) throw DomainException.notFound(DomainErrorCode.TicketNotFound, 'ticket', id);
    return this.view(row, actor);
  }

  /**
   * The subscription a ticket asks for, its secrets opened and its defaults filled in, as its
   * approval would create it: what an operator's preview of the ticket runs (the answers of
   * GET /api/tickets mask secrets, so a preview of those could not sign in to a SASL cluster).
   * Never returned to a client as is.
   * @throws DomainException TICKET_NOT_FOUND (404); SECRETS_UNREADABLE (409) when no configured key opens its secrets;
   *   TICKET_SPEC_INVALID (400, `fields`) when the current rules refuse it
   */
  async specFor(id: number): Promise<SubscriptionSpec> {
    const row = await this.repository.findById(id);
    if (!row) throw DomainException.notFound(DomainErrorCode.TicketNotFound, 'ticket', id);
    const opened = this.secrets.open(row.spec);
    // As approval refuses it: sealed text must never reach a broker as a password or a key.
    if (opened.errors.length) {
      throw new DomainException(DomainErrorCode.SecretsUnreadable, ['the stored request has secrets no configured key opens:', ...opened.errors]);
    }
    const parsed = parseSubscriptionSpec(opened.input);
    if (!parsed.success) throw DomainException.forFields(DomainErrorCode.TicketSpecInvalid, zodFieldProblems(parsed.error.issues));
    return parsed.data;
  }

  /**
   * A ticket may join a rate group only while every member belongs to its team: a member's rate
   * holds the whole group back (RateGateRegistry), so joining another owner's group is an
   * operator's decision (PATCH after approval).
   */
  private async assertRateGroupOpenTo(rateGroup: string | null, team: string): Promise<void> {
    if (rateGroup === null) return;
    const others = (await this.subscriptions.rateGroupMembers(rateGroup)).filter((m) => m.owner !== team);
    if (others.length) {
      const problem = `rate group "${rateGroup}" has members of other owners (${others.map((m) => `subscription ${m.id}`).join(', ')}); only an operator can add a subscription to it — leave rateGroup out and ask in the reason`;
      throw new DomainException(DomainErrorCode.RateGroupInUse, `endpoint.rateGroup: ${problem}`, {
        fields: [{ path: 'endpoint.rateGroup', message: problem }],
      });
    }
  }

  private async assertQuota(team: string): Promise<void> {
    const { pending, perDay } = this.config.ticketQuota;
    const counts = await this.repository.countForQuota(team, new Date(Date.now() - DAY_MS));
    if (counts.pending >= pending) {
      throw new DomainException(
        DomainErrorCode.TicketQuotaExceeded,
        `team "${team}" has ${counts.pending} pending tickets, the most it may have (TICKET_PENDING_LIMIT); wait for decisions`,
        { retryAfterSeconds: 60 },
      );
    }
    if (counts.recent >= perDay) {
      throw new DomainException(
        DomainErrorCode.TicketQuotaExceeded,
        `team "${team}" submitted ${counts.recent} tickets in the last 24 h, the most it may (TICKET_DAILY_LIMIT)`,
        { retryAfterSeconds: 3600 },
      );
    }
  }

  /** Creates the subscription and records who approved it, in one transaction. */
  async approve(id: number, input: TicketApproveInput, actor: RequestActor): Promise<TicketResponseDto> {
    const operator = input.operator ?? DEFAULT_OPERATOR;
    let created: SubscriptionResponseDto | null = null;
    const row = await this.repository.decide(id, async (ticket, em) => {
      requirePending(ticket, 'approve');
      // Checked again: a group or rate group may have been taken since the ticket was submitted.
      if (ticket.team !== null) await this.assertRateGroupOpenTo(stringAt(ticket.spec, 'endpoint', 'rateGroup'), ticket.team);
      created = await this.subscriptions.createWithin(em, ticket.spec, ticket.team !== null);
      ticket.subscriptionId = created.id;
      ticket.state = 'approved';
      ticket.decidedBy = operator;
      ticket.decidedAt = new Date();
    });
    if (!row) throw DomainException.notFound(DomainErrorCode.TicketNotFound, 'ticket', id);
    await this.subscriptions.announceChange();
    this.logger.info('ticket approved', { ticket: id, subscription: row.subscriptionId, operator });
    const approved = await this.view(row, actor);
    await this.audit.record(
      { action: 'ticket.approve', resourceType: 'ticket', resourceId: id, before: { state: 'pending' }, after: decision(approved) },
      actor,
    );
    // As created in the approval's transaction: a PATCH right after the commit is its own entry.
    await this.audit.record({ action: 'subscription.create', resourceType: 'subscription', resourceId: row.subscriptionId, after: created }, actor);
    return approved;
  }

  /** Answers show the request with its secrets opened and then masked; operators also get the review of a pending one. */
  private async view(row: TicketEntity, actor: RequestActor, knownBrokers?: readonly string[]): Promise<TicketResponseDto> {
    const spec = this.secrets.open(row.spec).input;
    let review: ReviewFlag[] | null = null;
    let effective: Record<string, unknown> | null = null;
    if (row.state === 'pending' && actor.role !== 'requester') {
      const parsed = parseSubscriptionSpec(spec);
      review = parsed.success
        ? await this.review.flags(parsed.data, knownBrokers)
        : [{ field: 'spec', concern: `no longer valid: ${formatZodIssues(parsed.error.issues).join('; ')}` }];
      if (parsed.success) effective = parsed.data as unknown as Record<string, unknown>;
    }
    return TicketResponseDto.from(row, spec, review, effective);
  }

  async reject(id: number, input: TicketRejectInput, actor: RequestActor): Promise<TicketResponseDto> {
    const operator = input.operator ?? DEFAULT_OPERATOR;
    const row = await this.repository.decide(id, async (ticket) => {
      requirePending(ticket, 'reject');
      ticket.state = 'rejected';
      ticket.rejectionReason = input.reason;
      ticket.decidedBy = operator;
      ticket.decidedAt = new Date();
    });
    if (!row) throw DomainException.notFound(DomainErrorCode.TicketNotFound, 'ticket', id);
    this.logger.info('ticket rejected', { ticket: id, operator });
    const rejected = await this.view(row, actor);
    await this.audit.record(
      { action: 'ticket.reject', resourceType: 'ticket', resourceId: id, before: { state: 'pending' }, after: decision(rejected) },
      actor,
    );
    return rejected;
  }
}

/** A string field of a stored ticket body, or null. */
function stringAt(spec: Record<string, unknown>, section: string, field: string): string | null {
  const part = spec[section];
  const value = part !== null && typeof part === 'object' ? (part as Record<string, unknown>)[field] : undefined;
  return typeof value === 'string' ? value : null;
}

function decision(t: TicketResponseDto) {
  return { state: t.state, decidedBy: t.decidedBy, subscriptionId: t.subscriptionId, rejectionReason: t.rejectionReason };
}

function requirePending(ticket: TicketEntity, verb: string): void {
  if (ticket.state === 'pending') return;
  const by = ticket.decidedBy ? ` by ${ticket.decidedBy}` : '';
  const at = ticket.decidedAt ? ` at ${ticket.decidedAt.toISOString()}` : '';
  throw new DomainException(
    DomainErrorCode.TicketAlreadyDecided,
    `ticket ${ticket.id} was already ${ticket.state}${by}${at}; only a pending ticket can be ${verb === 'approve' ? 'approved' : 'rejected'}`,
  );
}

import { Injectable } from '@nestjs/common';
import { AuditLog } from '../audit/audit-log.service';
import type { RequestActor } from '../common/request-context/request-actor';
import { DomainErrorCode } from '../common/errors/domain-error-code.enum';
import { DomainException } from '../common/errors/domain.exception';
import { JsonLogger } from '../common/logging/json.logger';
import { SubscriptionSecrets } from '../subscriptions/subscription-secrets';
import type { SubscriptionResponseDto } from '../subscriptions/dto/subscription-response.dto';
import { SubscriptionsService } from '../subscriptions/subscriptions.service';
import type { TicketSubmission } from './dto/ticket-submission.pipe';
import { TicketResponseDto } from './dto/ticket-response.dto';
import type { TicketApproveInput, TicketQueryInput, TicketRejectInput } from './dto/ticket.schemas';
import type { TicketEntity } from './ticket.entity';
import { TicketsRepository } from './tickets.repository';

const DEFAULT_OPERATOR = 'operator';

/** Requests for subscriptions: they run nothing until an operator approves them. */
@Injectable()
export class TicketsService {
  constructor(
    private readonly repository: TicketsRepository,
    private readonly subscriptions: SubscriptionsService,
    private readonly logger: JsonLogger,
    private readonly secrets: SubscriptionSecrets,
    private readonly audit: AuditLog,
  ) {}

  async submit(input: TicketSubmission, actor: RequestActor): Promise<TicketResponseDto> {
    this.subscriptions.assertSecretsInFull(input.spec);
    this.subscriptions.assertOutboundAllowed(input.validated);
    const row = await this.repository.insert({
      state: 'pending',
      requester: input.requester,
      reason: input.reason,
      name: String(input.spec.name),
      spec: this.secrets.seal(input.spec),
    });
    this.logger.info('ticket submitted', { ticket: row.id, requester: row.requester, name: row.name });
    const submitted = this.view((await this.repository.findById(row.id)) ?? row);
    await this.audit.record({ action: 'ticket.submit', resourceType: 'ticket', resourceId: row.id, after: submitted }, actor);
    return submitted;
  }

  async list(query: TicketQueryInput): Promise<TicketResponseDto[]> {
    return (await this.repository.find(query)).map((row) => this.view(row));
  }

  async get(id: number): Promise<TicketResponseDto> {
    const row = await this.repository.findById(id);
    if (!row) throw DomainException.notFound('ticket', id);
    return this.view(row);
  }

  /** Creates the subscription and records who approved it, in one transaction. */
  async approve(id: number, input: TicketApproveInput, actor: RequestActor): Promise<TicketResponseDto> {
    const operator = input.operator ?? DEFAULT_OPERATOR;
    let created: SubscriptionResponseDto | null = null;
    const row = await this.repository.decide(id, async (ticket, em) => {
      requirePending(ticket, 'approve');
      created = await this.subscriptions.createWithin(em, ticket.spec);
      ticket.subscriptionId = created.id;
      ticket.state = 'approved';
      ticket.decidedBy = operator;
      ticket.decidedAt = new Date();
    });
    if (!row) throw DomainException.notFound('ticket', id);
    await this.subscriptions.announceChange();
    this.logger.info('ticket approved', { ticket: id, subscription: row.subscriptionId, operator });
    const approved = this.view(row);
    await this.audit.record({ action: 'ticket.approve', resourceType: 'ticket', resourceId: id, before: { state: 'pending' }, after: decision(approved) }, actor);
    // As created in the approval's transaction: a PATCH right after the commit is its own entry.
    await this.audit.record({ action: 'subscription.create', resourceType: 'subscription', resourceId: row.subscriptionId, after: created }, actor);
    return approved;
  }

  /** Answers show the request with its secrets opened and then masked. */
  private view(row: TicketEntity): TicketResponseDto {
    return TicketResponseDto.from(row, this.secrets.open(row.spec).input);
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
    if (!row) throw DomainException.notFound('ticket', id);
    this.logger.info('ticket rejected', { ticket: id, operator });
    const rejected = this.view(row);
    await this.audit.record({ action: 'ticket.reject', resourceType: 'ticket', resourceId: id, before: { state: 'pending' }, after: decision(rejected) }, actor);
    return rejected;
  }
}

function decision(t: TicketResponseDto) {
  return { state: t.state, decidedBy: t.decidedBy, subscriptionId: t.subscriptionId, rejectionReason: t.rejectionReason };
}

function requirePending(ticket: TicketEntity, verb: string): void {
  if (ticket.state === 'pending') return;
  const by = ticket.decidedBy ? ` by ${ticket.decidedBy}` : '';
  const at = ticket.decidedAt ? ` at ${ticket.decidedAt.toISOString()}` : '';
  throw new DomainException(DomainErrorCode.Conflict, `ticket ${ticket.id} was already ${ticket.state}${by}${at}; only a pending ticket can be ${verb === 'approve' ? 'approved' : 'rejected'}`);
}

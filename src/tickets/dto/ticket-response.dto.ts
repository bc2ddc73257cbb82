import { SubscriptionMapper } from '../../subscriptions/subscription.mapper';
import type { ReviewFlag } from '../ticket-review';
import type { TicketEntity } from '../ticket.entity';

/** A ticket as the API shows it: the requested subscription with secrets masked, and the decision. */
export class TicketResponseDto {
  id: number;
  state: string;
  requester: string;
  /** The team whose requester token submitted it; null when an operator (or an open API) did. */
  team: string | null;
  reason: string;
  name: string;
  subscription: Record<string, unknown>;
  subscriptionId: number | null;
  decidedBy: string | null;
  decidedAt: string | null;
  rejectionReason: string | null;
  /** For operators, on pending tickets: what to look at before approving (TicketReview); null otherwise. */
  review: ReviewFlag[] | null;
  /** For operators, on pending tickets: the subscription approval would create, every default filled in, secrets masked; null otherwise. */
  effective: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;

  static from(
    row: TicketEntity,
    spec: Record<string, unknown>,
    review: ReviewFlag[] | null = null,
    effective: Record<string, unknown> | null = null,
  ): TicketResponseDto {
    return Object.assign(new TicketResponseDto(), {
      id: row.id,
      state: row.state,
      requester: row.requester,
      team: row.team ?? null,
      reason: row.reason,
      name: row.name,
      subscription: SubscriptionMapper.maskInput(spec),
      subscriptionId: row.subscriptionId,
      decidedBy: row.decidedBy,
      decidedAt: row.decidedAt?.toISOString() ?? null,
      rejectionReason: row.rejectionReason,
      review,
      effective: effective && SubscriptionMapper.maskInput(effective),
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    });
  }
}

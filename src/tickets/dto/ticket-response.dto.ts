import { SubscriptionMapper } from '../../subscriptions/subscription.mapper';
import type { TicketEntity } from '../ticket.entity';

/** A ticket as the API shows it: the requested subscription with secrets masked, and the decision. */
export class TicketResponseDto {
  id: number;
  state: string;
  requester: string;
  reason: string;
  name: string;
  subscription: Record<string, unknown>;
  subscriptionId: number | null;
  decidedBy: string | null;
  decidedAt: string | null;
  rejectionReason: string | null;
  createdAt: string;
  updatedAt: string;

  static from(row: TicketEntity, spec: Record<string, unknown>): TicketResponseDto {
    return Object.assign(new TicketResponseDto(), {
      id: row.id,
      state: row.state,
      requester: row.requester,
      reason: row.reason,
      name: row.name,
      subscription: SubscriptionMapper.maskInput(spec),
      subscriptionId: row.subscriptionId,
      decidedBy: row.decidedBy,
      decidedAt: row.decidedAt?.toISOString() ?? null,
      rejectionReason: row.rejectionReason,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    });
  }
}

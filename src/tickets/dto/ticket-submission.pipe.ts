import { PipeTransform } from '@nestjs/common';
import { ZodValidationPipe } from '../../common/validation/zod-validation.pipe';
import type { SubscriptionSpec } from '../../subscriptions/dto/subscription-spec.schema';
import { ticketCreateSchema } from './ticket.schemas';

export interface TicketSubmission {
  readonly requester: string;
  readonly reason: string;
  /** The subscription body exactly as submitted (validated), for the approval to create. */
  readonly spec: Record<string, unknown>;
  /** The same body as validated, with defaults filled in. */
  readonly validated: SubscriptionSpec;
}

/** Validates a ticket body in one pass and keeps the subscription part as the requester wrote it. */
export class TicketSubmissionPipe implements PipeTransform<unknown, TicketSubmission> {
  private readonly validate = new ZodValidationPipe(ticketCreateSchema);

  transform(value: unknown): TicketSubmission {
    const { requester, reason, ...validated } = this.validate.transform(value);
    const { requester: _requester, reason: _reason, ...spec } = value as Record<string, unknown>;
    return { requester, reason, spec, validated };
  }
}

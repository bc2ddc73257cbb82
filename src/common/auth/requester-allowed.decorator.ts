import { SetMetadata } from '@nestjs/common';

export const REQUESTER_ALLOWED = 'kproxy:requester-allowed';

/** Routes the requester token may call (submit and read tickets, read subscriptions and status). */
export const RequesterAllowed = (): MethodDecorator & ClassDecorator => SetMetadata(REQUESTER_ALLOWED, true);

import type { Request } from 'express';

export type RequestRole = 'operator' | 'requester' | 'open';

/** Who is making an admin request, for the audit log. */
export interface RequestActor {
  readonly remote: string;
  readonly role: RequestRole;
  /** The X-Kproxy-Actor header, when a caller names the person behind a shared token. */
  readonly name: string | null;
  /** The requester token's team (REQUESTER_TOKENS; "shared" for REQUESTER_TOKEN); null otherwise. */
  readonly team: string | null;
}

/** The token guard stores the actor on the request; controllers hand it to services. */
export type ActorRequest = Request & { kproxyActor?: RequestActor };

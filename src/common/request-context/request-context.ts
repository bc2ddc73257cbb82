import { AsyncLocalStorage } from 'node:async_hooks';
import type { NextFunction, Request, Response } from 'express';

export type RequestRole = 'operator' | 'requester' | 'open';

/** Who is making the current admin request, for the audit log. */
export interface RequestActor {
  readonly remote: string;
  /** Set by the token guard once it knows which token was presented. */
  role: RequestRole;
  /** The X-Kproxy-Actor header, when a caller names the person behind a shared token. */
  name: string | null;
}

/**
 * Carries the request's actor through the async calls a handler makes, so services can record
 * who changed what without every signature growing an actor argument.
 */
export class RequestContext {
  private static readonly storage = new AsyncLocalStorage<RequestActor>();

  static middleware(req: Request, _res: Response, next: NextFunction): void {
    RequestContext.storage.run({ remote: req.socket.remoteAddress ?? 'unknown', role: 'open', name: null }, next);
  }

  static current(): RequestActor | undefined {
    return RequestContext.storage.getStore();
  }

  /** Outside a request (a CLI, a test): the given actor. */
  static run<T>(actor: RequestActor, fn: () => T): T {
    return RequestContext.storage.run(actor, fn);
  }
}

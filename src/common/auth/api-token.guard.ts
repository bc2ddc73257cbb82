import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../../config/app.config';
import { DomainErrorCode } from '../errors/domain-error-code.enum';
import { DomainException } from '../errors/domain.exception';
import { ClientAddress } from '../http/client-address';
import { JsonLogger } from '../logging/json.logger';
import type { ActorRequest, RequestRole } from '../request-context/request-actor';
import { FailedAuthLimiter } from './failed-auth-limiter';
import { REQUESTER_ALLOWED } from './requester-allowed.decorator';

const ACTOR_HEADER = 'x-kproxy-actor';
const ACTOR_NAME = /^[\x20-\x7e]{1,128}$/;
const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Guards /api when ADMIN_TOKEN is set; health and metrics stay open for probes and scrapers.
 * ADMIN_TOKEN is the operator's (everything); a requester token (REQUESTER_TOKEN, or one team's
 * in REQUESTER_TOKENS) may only call routes marked @RequesterAllowed(), and acts for its team.
 * The caller's address (for the failed-authentication limit and the audit log's `remote`) is
 * ClientAddress's: the TCP peer, or the client behind a proxy listed in TRUSTED_PROXIES.
 * A valid token is never refused by the limit; see FailedAuthLimiter.
 */
@Injectable()
export class ApiTokenGuard implements CanActivate {
  private readonly operator: Buffer | undefined;
  private readonly requesters: readonly { readonly team: string; readonly digest: Buffer }[];

  private readonly limiter: FailedAuthLimiter;

  constructor(
    config: AppConfig,
    private readonly reflector: Reflector,
    private readonly logger: JsonLogger,
    private readonly clients: ClientAddress,
  ) {
    this.operator = config.adminToken === undefined ? undefined : digest(config.adminToken);
    this.requesters = config.requesters.map((r) => ({ team: r.team, digest: digest(r.token) }));
    this.limiter = new FailedAuthLimiter(config.authFailureLimit, config.authFailureWindowMs);
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<ActorRequest>();
    const named = req.headers[ACTOR_HEADER];
    if (named !== undefined && (typeof named !== 'string' || !ACTOR_NAME.test(named))) {
      throw new DomainException(DomainErrorCode.InvalidActorHeader, `${ACTOR_HEADER} header: must be 1-128 printable characters naming who acts`);
    }
    const address = this.clients.of(req);
    const actAs = (role: RequestRole, team: string | null = null) => {
      req.kproxyActor = { remote: address, role, name: named ?? null, team };
      return true;
    };
    if (!this.operator) return actAs('open');
    // Routing ignores case, so the check must too: /API/... reaches the same handlers.
    if (!req.path.toLowerCase().startsWith('/api')) return true;
    const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (match) {
      // Hashing first makes each comparison constant-time whatever the presented length; every
      // comparison always runs, so the answer time does not tell which token was close.
      const presented = digest(match[1].trim());
      const isOperator = timingSafeEqual(presented, this.operator);
      let team: string | null = null;
      for (const r of this.requesters) if (timingSafeEqual(presented, r.digest)) team = r.team;
      // A valid token passes even from a blocked address: behind a shared ingress, or next to a
      // guesser on the same network, the operator must not be locked out by someone else's failures.
      if (isOperator) return actAs('operator');
      if (team !== null) {
        if (this.reflector.getAllAndOverride<boolean>(REQUESTER_ALLOWED, [context.getHandler(), context.getClass()])) return actAs('requester', team);
        throw new DomainException(
          DomainErrorCode.Forbidden,
          `the requester token may submit and read tickets and read subscriptions; ${req.method} ${req.path} needs the operator token (ADMIN_TOKEN)`,
        );
      }
    }
    // No valid token. A blocked address gets 429 whatever it sent, so a wrong guess is not told apart from a malformed one.
    const blockedMs = this.limiter.blockedFor(address);
    if (blockedMs > 0) {
      throw new DomainException(DomainErrorCode.RateLimited, `too many failed authentications from ${address}; try again in ${Math.ceil(blockedMs / 1000)} s`, {
        retryAfterSeconds: Math.ceil(blockedMs / 1000),
      });
    }
    if (!match) {
      const given = req.headers.authorization;
      throw new DomainException(
        DomainErrorCode.Unauthenticated,
        given
          ? 'the Authorization header must be "Bearer <token>" (the word Bearer, a space, then the token)'
          : 'missing "Authorization: Bearer <token>" header',
      );
    }
    if (this.limiter.fail(address)) {
      const peer = req.socket?.remoteAddress;
      this.logger.warn('admin API: failed authentication limit reached; refusing this address until its window ends', {
        remote: address,
        ...(peer !== undefined && peer !== address ? { via: peer } : {}),
      });
    }
    throw new DomainException(DomainErrorCode.Unauthenticated, 'the bearer token is not valid');
  }
}

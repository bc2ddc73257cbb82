import { Injectable } from '@nestjs/common';
import type { RequestHandler } from 'express';
import type { IncomingMessage } from 'node:http';
import { AppConfig, isLoopbackHost } from '../../config/app.config';
import { DomainErrorCode } from '../errors/domain-error-code.enum';
import { DomainException } from '../errors/domain.exception';
import { ClientAddress } from './client-address';

/**
 * Guards an open admin API (no ADMIN_TOKEN, no ALLOW_OPEN_ADMIN, so it listens on loopback)
 * against DNS rebinding: a page on evil.example whose name is re-pointed at 127.0.0.1 makes the
 * browser send same-origin requests, Origin and all, to kproxy, with `Host: evil.example:8080`.
 * Such an API therefore answers /api only when the Host names loopback (127.0.0.0/8, [::1],
 * localhost; any port); anything else gets 403. With a token, or ALLOW_OPEN_ADMIN=true, it
 * checks nothing: the token (or the operator's explicit choice) decides.
 */
@Injectable()
export class OpenAdminHostCheck {
  private readonly active: boolean;

  constructor(
    config: AppConfig,
    private readonly clients: ClientAddress,
  ) {
    this.active = config.adminToken === undefined && !config.allowOpenAdmin;
  }

  /** Why this request is refused, or null. */
  problem(req: IncomingMessage & { path: string }): string | null {
    if (!this.active || !/^\/api(\/|$)/i.test(req.path)) return null;
    const host = this.clients.host(req);
    const name = host?.replace(/:\d+$/, '');
    if (name !== undefined && isLoopbackHost(name)) return null;
    return `the admin API is open (no ADMIN_TOKEN) and answers only requests addressed to this machine's loopback (Host 127.0.0.1, [::1] or localhost), not Host ${host ?? '(none)'}; set ADMIN_TOKEN to serve it under other names`;
  }

  /** Express middleware: passes a refusal to the error filter as a 403 (DomainErrorCode.HostNotLoopback). */
  middleware(): RequestHandler {
    return (req, _res, next) => {
      const problem = this.problem(req);
      next(problem ? new DomainException(DomainErrorCode.HostNotLoopback, problem) : undefined);
    };
  }
}

import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { AppConfig } from '../../config/app.config';
import { DomainErrorCode } from '../errors/domain-error-code.enum';
import { DomainException } from '../errors/domain.exception';
import { REQUESTER_ALLOWED } from './requester-allowed.decorator';

const digest = (s: string) => createHash('sha256').update(s).digest();
const NO_TOKEN = digest('');

/**
 * Guards /api when ADMIN_TOKEN is set; health and metrics stay open for probes and scrapers.
 * ADMIN_TOKEN is the operator's (everything); REQUESTER_TOKEN may only call routes marked
 * @RequesterAllowed().
 */
@Injectable()
export class ApiTokenGuard implements CanActivate {
  private readonly operator: Buffer | undefined;
  private readonly requester: Buffer | undefined;

  constructor(
    config: AppConfig,
    private readonly reflector: Reflector,
  ) {
    this.operator = config.adminToken === undefined ? undefined : digest(config.adminToken);
    this.requester = config.requesterToken === undefined ? undefined : digest(config.requesterToken);
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.operator) return true;
    const req = context.switchToHttp().getRequest<Request>();
    if (!req.path.startsWith('/api')) return true;
    const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (!match) throw new DomainException(DomainErrorCode.Unauthenticated, 'missing "Authorization: Bearer <token>" header');
    // Hashing first makes each comparison constant-time whatever the presented length; both
    // comparisons always run, so the answer time does not tell which token was close.
    const presented = digest(match[1].trim());
    const isOperator = timingSafeEqual(presented, this.operator);
    const isRequester = timingSafeEqual(presented, this.requester ?? NO_TOKEN) && this.requester !== undefined;
    if (isOperator) return true;
    if (isRequester) {
      if (this.reflector.getAllAndOverride<boolean>(REQUESTER_ALLOWED, [context.getHandler(), context.getClass()])) return true;
      throw new DomainException(
        DomainErrorCode.Forbidden,
        `the requester token may submit and read tickets and read subscriptions; ${req.method} ${req.path} needs the operator token (ADMIN_TOKEN)`,
      );
    }
    throw new DomainException(DomainErrorCode.Unauthenticated, 'the bearer token is not valid');
  }
}

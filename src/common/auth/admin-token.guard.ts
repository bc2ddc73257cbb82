import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { AppConfig } from '../../config/app.config';
import { DomainErrorCode } from '../errors/domain-error-code.enum';
import { DomainException } from '../errors/domain.exception';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Guards /api when ADMIN_TOKEN is set; health and metrics stay open for probes and scrapers. */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly expected: Buffer | undefined;

  constructor(config: AppConfig) {
    this.expected = config.adminToken === undefined ? undefined : digest(config.adminToken);
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) return true;
    const req = context.switchToHttp().getRequest<Request>();
    if (!req.path.startsWith('/api')) return true;
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    // Hashing first makes the comparison constant-time whatever the presented length.
    if (match && timingSafeEqual(digest(match[1].trim()), this.expected)) return true;
    throw new DomainException(
      DomainErrorCode.Unauthenticated,
      match ? 'the bearer token is not valid' : 'missing "Authorization: Bearer <ADMIN_TOKEN>" header',
    );
  }
}

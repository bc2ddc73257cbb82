import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppConfig } from '../../config/app.config';
import { DomainException } from '../errors/domain.exception';
import { JsonLogger } from '../logging/json.logger';
import { ApiTokenGuard } from './api-token.guard';
import { RequesterAllowed } from './requester-allowed.decorator';

const ADMIN = 'operator-token-0123456789';
const REQUESTER = 'requester-token-0123456789';

class Routes {
  @RequesterAllowed()
  readTickets(): void {}
  approveTicket(): void {}
}

function context(handler: keyof Routes, authorization?: string, path = '/api/tickets'): ExecutionContext {
  const req = { path, method: 'POST', headers: authorization ? { authorization } : {}, socket: { remoteAddress: '10.0.0.1' } };
  return {
    switchToHttp: () => ({ getRequest: () => req }),
    getHandler: () => Routes.prototype[handler],
    getClass: () => Routes,
  } as unknown as ExecutionContext;
}

function guard(env: Record<string, string>): ApiTokenGuard {
  return new ApiTokenGuard(AppConfig.fromEnv({ DATABASE_URL: 'mysql://u:p@127.0.0.1/k', SECRETS_KEY: 'q2k9cS3yq1mJxq0zv8w1bQ2m0f8H3Jm3lC3mV4X7Qm8=', ...env }), new Reflector(), new JsonLogger('error'));
}

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
    return 'allowed';
  } catch (err) {
    return (err as DomainException).code;
  }
};

describe('ApiTokenGuard', () => {
  const both = guard({ ADMIN_TOKEN: ADMIN, REQUESTER_TOKEN: REQUESTER });

  it('lets the operator token call everything', () => {
    expect(codeOf(() => both.canActivate(context('approveTicket', `Bearer ${ADMIN}`)))).toBe('allowed');
    expect(codeOf(() => both.canActivate(context('readTickets', `Bearer ${ADMIN}`)))).toBe('allowed');
  });

  it('lets the requester token call only routes marked for requesters, and says why otherwise', () => {
    expect(codeOf(() => both.canActivate(context('readTickets', `Bearer ${REQUESTER}`)))).toBe('allowed');
    expect(codeOf(() => both.canActivate(context('approveTicket', `Bearer ${REQUESTER}`)))).toBe('FORBIDDEN');
    expect(() => both.canActivate(context('approveTicket', `Bearer ${REQUESTER}`))).toThrow(/needs the operator token/);
  });

  it('refuses a missing or wrong token, and leaves non-API paths open', () => {
    expect(codeOf(() => both.canActivate(context('readTickets')))).toBe('UNAUTHENTICATED');
    expect(codeOf(() => both.canActivate(context('readTickets', 'Bearer nope')))).toBe('UNAUTHENTICATED');
    expect(codeOf(() => both.canActivate(context('readTickets', `Bearer ${REQUESTER}x`)))).toBe('UNAUTHENTICATED');
    expect(codeOf(() => both.canActivate(context('approveTicket', undefined, '/metrics')))).toBe('allowed');
  });

  it('says what is wrong with an Authorization header that lacks the Bearer scheme', () => {
    expect(() => both.canActivate(context('readTickets', ADMIN))).toThrow(/must be "Bearer <token>"/);
    expect(() => both.canActivate(context('readTickets'))).toThrow(/missing "Authorization: Bearer <token>" header/);
  });

  it('does not take the requester role when no requester token is configured', () => {
    const adminOnly = guard({ ADMIN_TOKEN: ADMIN });
    expect(codeOf(() => adminOnly.canActivate(context('readTickets', 'Bearer ')))).toBe('UNAUTHENTICATED');
    expect(codeOf(() => adminOnly.canActivate(context('readTickets', `Bearer ${REQUESTER}`)))).toBe('UNAUTHENTICATED');
  });

  it('is open when no admin token is set', () => {
    expect(codeOf(() => guard({}).canActivate(context('approveTicket')))).toBe('allowed');
  });

  it('refuses an address that failed too often, even with the right token, and names when to retry', () => {
    const limited = guard({ ADMIN_TOKEN: ADMIN, AUTH_FAILURE_LIMIT: '2' });
    expect(codeOf(() => limited.canActivate(context('approveTicket', 'Bearer wrong-1')))).toBe('UNAUTHENTICATED');
    expect(codeOf(() => limited.canActivate(context('approveTicket', 'Bearer wrong-2')))).toBe('UNAUTHENTICATED');
    let refusal: DomainException | undefined;
    try {
      limited.canActivate(context('approveTicket', `Bearer ${ADMIN}`));
    } catch (err) {
      refusal = err as DomainException;
    }
    expect(refusal?.code).toBe('TOO_MANY_REQUESTS');
    expect(refusal?.retryAfterSeconds).toBe(60);
    expect(refusal?.message).toMatch(/too many failed authentications from 10.0.0.1; try again in 60 s/);
  });

  it('guards /api whatever its case, as routing ignores case', () => {
    const g = guard({ ADMIN_TOKEN: ADMIN });
    expect(codeOf(() => g.canActivate(context('approveTicket', undefined, '/API/tickets')))).toBe('UNAUTHENTICATED');
    expect(codeOf(() => g.canActivate(context('approveTicket', 'Bearer nope', '/Api/tickets')))).toBe('UNAUTHENTICATED');
  });
});

import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppConfig } from '../../config/app.config';
import { DomainException } from '../errors/domain.exception';
import { ClientAddress } from '../http/client-address';
import { JsonLogger } from '../logging/json.logger';
import type { ActorRequest } from '../request-context/request-actor';
import { ApiTokenGuard } from './api-token.guard';
import { RequesterAllowed } from './requester-allowed.decorator';

const ADMIN = 'operator-token-0123456789';
const REQUESTER = 'requester-token-0123456789';

class Routes {
  @RequesterAllowed()
  readTickets(): void {}
  approveTicket(): void {}
}

function context(handler: keyof Routes, authorization?: string, path = '/api/tickets', from: { peer?: string; forwardedFor?: string } = {}): ExecutionContext {
  const headers: Record<string, string> = {
    ...(authorization ? { authorization } : {}),
    ...(from.forwardedFor ? { 'x-forwarded-for': from.forwardedFor } : {}),
  };
  const req = { path, method: 'POST', headers, socket: { remoteAddress: from.peer ?? '10.0.0.1' } };
  return {
    switchToHttp: () => ({ getRequest: () => req }),
    getHandler: () => Routes.prototype[handler],
    getClass: () => Routes,
  } as unknown as ExecutionContext;
}

function guard(env: Record<string, string>): ApiTokenGuard {
  const config = AppConfig.fromEnv({ DATABASE_URL: 'mysql://u:p@127.0.0.1/k', SECRETS_KEY: 'q2k9cS3yq1mJxq0zv8w1bQ2m0f8H3Jm3lC3mV4X7Qm8=', ...env });
  return new ApiTokenGuard(config, new Reflector(), new JsonLogger('error'), new ClientAddress(config));
}

function refusalOf(fn: () => unknown): DomainException | undefined {
  try {
    fn();
  } catch (err) {
    return err as DomainException;
  }
  return undefined;
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

  it('refuses a blocked address without a valid token, names when to retry, and still lets valid tokens through', () => {
    const limited = guard({ ADMIN_TOKEN: ADMIN, REQUESTER_TOKEN: REQUESTER, AUTH_FAILURE_LIMIT: '2' });
    expect(codeOf(() => limited.canActivate(context('approveTicket', 'Bearer wrong-1')))).toBe('UNAUTHENTICATED');
    expect(codeOf(() => limited.canActivate(context('approveTicket', 'Bearer wrong-2')))).toBe('UNAUTHENTICATED');
    const refusal = refusalOf(() => limited.canActivate(context('approveTicket', 'Bearer wrong-3')));
    expect(refusal?.code).toBe('RATE_LIMITED');
    expect(refusal?.retryAfterSeconds).toBe(60);
    expect(refusal?.message).toMatch(/too many failed authentications from 10.0.0.1; try again in 60 s/);
    // A missing or malformed header gets the same 429 as a wrong token: the answer does not grade guesses.
    expect(codeOf(() => limited.canActivate(context('approveTicket')))).toBe('RATE_LIMITED');
    expect(codeOf(() => limited.canActivate(context('approveTicket', ADMIN)))).toBe('RATE_LIMITED');
    // Valid tokens are never refused by the limit, and keep their roles.
    expect(codeOf(() => limited.canActivate(context('approveTicket', `Bearer ${ADMIN}`)))).toBe('allowed');
    expect(codeOf(() => limited.canActivate(context('readTickets', `Bearer ${REQUESTER}`)))).toBe('allowed');
    expect(codeOf(() => limited.canActivate(context('approveTicket', `Bearer ${REQUESTER}`)))).toBe('FORBIDDEN');
    // Another address is not affected.
    expect(codeOf(() => limited.canActivate(context('approveTicket', 'Bearer wrong', '/api/tickets', { peer: '10.0.0.2' })))).toBe('UNAUTHENTICATED');
  });

  it('behind a trusted proxy, counts failures per forwarded client and records that client as the remote', () => {
    const proxied = guard({ ADMIN_TOKEN: ADMIN, AUTH_FAILURE_LIMIT: '2', TRUSTED_PROXIES: '10.9.0.0/16' });
    const via = (client: string, token?: string) =>
      context('approveTicket', token ? `Bearer ${token}` : undefined, '/api/tickets', { peer: '10.9.0.5', forwardedFor: client });
    for (let i = 0; i < 10; i++) expect(codeOf(() => proxied.canActivate(via(`198.51.100.${i}`, 'wrong')))).toBe('UNAUTHENTICATED');
    expect(codeOf(() => proxied.canActivate(via('198.51.100.77', 'wrong')))).toBe('UNAUTHENTICATED');
    expect(codeOf(() => proxied.canActivate(via('198.51.100.77', 'wrong')))).toBe('UNAUTHENTICATED');
    expect(codeOf(() => proxied.canActivate(via('198.51.100.77', 'wrong')))).toBe('RATE_LIMITED');
    expect(codeOf(() => proxied.canActivate(via('198.51.100.78', 'wrong')))).toBe('UNAUTHENTICATED');
    const ok = via('198.51.100.200', ADMIN);
    expect(codeOf(() => proxied.canActivate(ok))).toBe('allowed');
    expect((ok.switchToHttp().getRequest() as ActorRequest).kproxyActor).toMatchObject({ remote: '198.51.100.200', role: 'operator' });
    // An untrusted peer's X-Forwarded-For is the client's own claim and is ignored.
    const direct = context('approveTicket', `Bearer ${ADMIN}`, '/api/tickets', { peer: '203.0.113.9', forwardedFor: '198.51.100.1' });
    proxied.canActivate(direct);
    expect((direct.switchToHttp().getRequest() as ActorRequest).kproxyActor?.remote).toBe('203.0.113.9');
  });

  it('guards /api whatever its case, as routing ignores case', () => {
    const g = guard({ ADMIN_TOKEN: ADMIN });
    expect(codeOf(() => g.canActivate(context('approveTicket', undefined, '/API/tickets')))).toBe('UNAUTHENTICATED');
    expect(codeOf(() => g.canActivate(context('approveTicket', 'Bearer nope', '/Api/tickets')))).toBe('UNAUTHENTICATED');
  });
});

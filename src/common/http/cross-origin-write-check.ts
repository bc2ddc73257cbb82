import { Injectable } from '@nestjs/common';
import type { RequestHandler } from 'express';
import type { IncomingMessage } from 'node:http';
import { DomainErrorCode } from '../errors/domain-error-code.enum';
import { DomainException } from '../errors/domain.exception';
import { ClientAddress } from './client-address';

/** Methods that change nothing (RFC 9110 §9.2.1 "safe"), which browsers may send across origins freely. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

/**
 * Refuses browser requests that would change state through /api from another web origin: a page
 * on evil.example must not drive a browser that can reach kproxy (an open API on loopback, a
 * VPN) into creating subscriptions. It holds with or without ADMIN_TOKEN.
 *
 * A write (any method but GET, HEAD, OPTIONS) to /api is refused with 403 when
 * - `Sec-Fetch-Site` (Fetch Metadata, W3C) says `cross-site` or `same-site` (another origin), or
 * - `Origin` (RFC 6454 §7, sent by browsers on every cross-origin and most same-origin writes)
 *   is present and its host:port differs from the host:port the request was sent to (the Host
 *   header, or X-Forwarded-Host from a trusted proxy; default ports compared as equal), or is
 *   `null` (an opaque origin: a sandboxed frame, a file: page).
 * Requests without these headers (curl, scripts, other servers) are not browsers acting for a
 * page and pass; they are what the token is for.
 */
@Injectable()
export class CrossOriginWriteCheck {
  constructor(private readonly clients: ClientAddress) {}

  /** Why this request is refused, or null. */
  problem(req: IncomingMessage & { path: string }): string | null {
    if (SAFE_METHODS.has((req.method ?? 'GET').toUpperCase())) return null;
    if (!/^\/api(\/|$)/i.test(req.path)) return null;
    const site = headerValue(req.headers['sec-fetch-site'])?.toLowerCase();
    if (site === 'cross-site' || site === 'same-site') {
      return `cross-origin ${req.method} refused: the browser says this request comes from another site (Sec-Fetch-Site: ${site}); use the console served by kproxy itself, or call the API without a browser`;
    }
    const origin = headerValue(req.headers.origin);
    if (origin === undefined) return null;
    const host = this.clients.host(req);
    if (origin === 'null' || host === undefined || !sameHost(origin, host)) {
      return `cross-origin ${req.method} refused: Origin ${origin} is not this server (${host ?? 'no Host header'}); use the console served by kproxy itself, or call the API without a browser`;
    }
    return null;
  }

  /** Express middleware: passes a refusal to the error filter as a 403 (DomainErrorCode.CrossOriginWrite). */
  middleware(): RequestHandler {
    return (req, _res, next) => {
      const problem = this.problem(req);
      next(problem ? new DomainException(DomainErrorCode.CrossOriginWrite, problem) : undefined);
    };
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Whether a serialized origin ("https://a.example:8443") names the same host and port as a Host value ("a.example:8443"). */
function sameHost(origin: string, host: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  const defaultPort = DEFAULT_PORTS[url.protocol];
  if (!defaultPort) return false;
  const originHost = `${url.hostname}:${url.port || defaultPort}`;
  // URL parsing lower-cases and normalizes the Host value the same way (IPv6 brackets, IDNA).
  let target: URL;
  try {
    target = new URL(`${url.protocol}//${host}`);
  } catch {
    return false;
  }
  if (target.username || target.password || target.pathname !== '/' || target.search || target.hash) return false;
  return originHost === `${target.hostname}:${target.port || defaultPort}`;
}

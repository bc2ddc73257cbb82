import { Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';
import { AppConfig } from '../../config/app.config';

/**
 * Who is on the other end of a request, seen through the reverse proxies listed in
 * TRUSTED_PROXIES (addresses and CIDR ranges, IPv4-mapped peers included).
 *
 * - `of(req)`: the client address. With no trusted proxies it is the TCP peer. Otherwise it is
 *   the rightmost address of X-Forwarded-For that is not a trusted proxy, walking leftwards from
 *   the peer only while each hop is trusted (proxy-addr's rule, which Express's `trust proxy`
 *   uses; the de-facto X-Forwarded-For convention, cf. RFC 7239 §5.2). Entries left of the first
 *   untrusted hop are the client's own claims and are ignored, so a client cannot pick its
 *   address by sending its own X-Forwarded-For. RFC 7239 `Forwarded` is not read.
 * - `host(req)`: the host:port the client asked for: the rightmost X-Forwarded-Host value when
 *   the peer is a trusted proxy (the one that proxy added), else the Host header.
 */
@Injectable()
export class ClientAddress {
  private readonly trust: (address: string, hop: number) => boolean;
  private readonly anyTrusted: boolean;

  constructor(config: AppConfig) {
    this.anyTrusted = config.trustedProxies.length > 0;
    this.trust = this.anyTrusted ? proxyAddr.compile([...config.trustedProxies]) : () => false;
  }

  /** The client's IP address (as Node reports it, e.g. "10.0.0.7" or "::ffff:10.0.0.7"), or "unknown" when the socket is gone. */
  of(req: IncomingMessage): string {
    if (!req.socket?.remoteAddress) return 'unknown';
    return this.anyTrusted ? proxyAddr(req, this.trust) : req.socket.remoteAddress;
  }

  /** True when the TCP peer is a trusted proxy, so its forwarding headers count. */
  peerIsTrusted(req: IncomingMessage): boolean {
    const peer = req.socket?.remoteAddress;
    return this.anyTrusted && peer !== undefined && this.trust(peer, 0);
  }

  /** The host (and port, when given) the client addressed, lower-cased; undefined when none was sent. */
  host(req: IncomingMessage): string | undefined {
    const forwarded = this.peerIsTrusted(req) ? lastValue(req.headers['x-forwarded-host']) : undefined;
    const host = forwarded ?? req.headers.host;
    return host ? host.trim().toLowerCase() : undefined;
  }
}

function lastValue(header: string | string[] | undefined): string | undefined {
  const joined = Array.isArray(header) ? header.join(',') : header;
  const last = joined?.split(',').pop()?.trim();
  return last ? last : undefined;
}

import { Injectable } from '@nestjs/common';
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { AppConfig } from '../config/app.config';

/**
 * Where kproxy refuses to send: link-local ranges, which hold the cloud metadata services
 * (169.254.169.254 and friends), the "this network" range, and the other known metadata
 * addresses. Loopback and private ranges stay allowed: business APIs live there.
 */
const REFUSED: Array<[string, number, 'ipv4' | 'ipv6']> = [
  ['169.254.0.0', 16, 'ipv4'],
  ['0.0.0.0', 8, 'ipv4'],
  ['100.100.100.200', 32, 'ipv4'],
  ['fe80::', 10, 'ipv6'],
  ['fd00:ec2::254', 128, 'ipv6'],
];

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * The outbound URL guard. At the API it refuses endpoint URLs whose host is a refused address
 * or, when ENDPOINT_ALLOWED_HOSTS is set, not on that list. At connection time it checks what
 * a host name resolves to, so a name pointing at a metadata address is refused too.
 */
@Injectable()
export class OutboundGuard {
  private readonly refused = new BlockList();
  private readonly allowedNets = new BlockList();
  private readonly allowedNames: string[] = [];
  private readonly allowedSuffixes: string[] = [];
  private readonly restricted: boolean;

  constructor(config: AppConfig) {
    for (const [net, prefix, family] of REFUSED) this.refused.addSubnet(net, prefix, family);
    for (const entry of config.endpointAllowedHosts) {
      const [host, prefix] = entry.split('/');
      const family = isIP(host);
      if (family) this.allowedNets.addSubnet(host, prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix), family === 4 ? 'ipv4' : 'ipv6');
      else if (host.startsWith('*.')) this.allowedSuffixes.push(host.slice(1).toLowerCase());
      else this.allowedNames.push(host.toLowerCase());
    }
    this.restricted = config.endpointAllowedHosts.length > 0;
  }

  /** Why kproxy will not send to this URL, or null. Only the host is judged here. */
  problemWithUrl(url: string): string | null {
    let host: string;
    try {
      host = new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
    } catch {
      return null; // the schema already names a malformed URL
    }
    const family = isIP(host);
    if (family) {
      const problem = this.problemWithAddress(host);
      if (problem) return problem;
      if (this.restricted && !this.allowedNets.check(host, family === 4 ? 'ipv4' : 'ipv6')) return `${host} is not in ENDPOINT_ALLOWED_HOSTS`;
      return null;
    }
    if (this.restricted && !this.allowedNames.includes(host) && !this.allowedSuffixes.some((s) => host.endsWith(s))) {
      return `host "${host}" is not in ENDPOINT_ALLOWED_HOSTS`;
    }
    return null;
  }

  /** Why kproxy will not connect to this address, or null. An explicit allow-list entry wins. */
  problemWithAddress(address: string): string | null {
    const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (this.refused.check(address, family) && !this.allowedNets.check(address, family)) {
      return `${address} is a link-local or cloud metadata address; kproxy does not send there (list it in ENDPOINT_ALLOWED_HOSTS to allow it)`;
    }
    return null;
  }

  /** A dns.lookup for outbound connections that refuses names resolving to refused addresses. */
  readonly lookup = (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      for (const a of addresses) {
        const problem = this.problemWithAddress(a.address);
        if (problem) return callback(Object.assign(new Error(`${hostname} resolves to ${problem}`), { code: 'EKPROXYREFUSED' }), []);
      }
      if (options.all) return callback(null, addresses);
      return callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

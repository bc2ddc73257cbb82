import { Injectable } from '@nestjs/common';
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { AppConfig } from '../config/app.config';

/**
 * Where kproxy refuses to send: link-local ranges, which hold most clouds' metadata services
 * (169.254.169.254 on AWS, GCP, Azure, OCI, DigitalOcean, OpenStack; 169.254.0.23 on Tencent;
 * fe80::a9fe:a9fe on OpenStack), the "this network" range, and the other known metadata and
 * platform addresses. Loopback and private ranges stay allowed: business APIs live there.
 */
const REFUSED: Array<[string, number, 'ipv4' | 'ipv6']> = [
  ['169.254.0.0', 16, 'ipv4'], // link-local, RFC 3927
  ['0.0.0.0', 8, 'ipv4'], // "this network", RFC 791; 0.0.0.0 reaches the local host on Linux
  ['100.100.100.200', 32, 'ipv4'], // Alibaba Cloud metadata
  ['168.63.129.16', 32, 'ipv4'], // Azure WireServer (VM agent, platform DNS and health probes)
  ['192.0.0.192', 32, 'ipv4'], // Oracle Cloud metadata (older instances)
  ['fe80::', 10, 'ipv6'], // link-local, RFC 4291 §2.5.6
  ['fd00:ec2::254', 128, 'ipv6'], // AWS instance metadata over IPv6
  ['fd20:ce::254', 128, 'ipv6'], // Google Cloud metadata for IPv6-only instances
];

/**
 * IPv6 ranges that carry an IPv4 address in their last 32 bits, which a host may reach as that
 * IPv4 address: NAT64 (RFC 6052 §2.1 well-known prefix 64:ff9b::/96, and RFC 8215's local-use
 * 64:ff9b:1::/48 with the /96 layout) and the deprecated IPv4-compatible form (::/96, RFC 4291
 * §2.5.5.1). IPv4-mapped addresses (::ffff:0:0/96) need nothing here: BlockList matches them
 * against IPv4 rules itself. 6to4 (2002::/16, RFC 3056) carries it in bits 16-47.
 */
const EMBEDS_IPV4_LAST = new BlockList();
EMBEDS_IPV4_LAST.addSubnet('64:ff9b::', 96, 'ipv6');
EMBEDS_IPV4_LAST.addSubnet('64:ff9b:1::', 48, 'ipv6');
EMBEDS_IPV4_LAST.addSubnet('::', 96, 'ipv6');
const SIX_TO_FOUR = new BlockList();
SIX_TO_FOUR.addSubnet('2002::', 16, 'ipv6');

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

  /**
   * Why kproxy will not connect to this address (IPv4 or IPv6 text), or null. An IPv4 address
   * inside an IPv6 one (NAT64, 6to4, IPv4-compatible or -mapped) is judged as that IPv4 address.
   * An explicit ENDPOINT_ALLOWED_HOSTS range that covers the address (or its IPv4) wins.
   */
  problemWithAddress(address: string): string | null {
    const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    const inner = family === 'ipv6' ? embeddedIPv4(address) : null;
    const refused = this.refused.check(address, family) || (inner !== null && this.refused.check(inner, 'ipv4'));
    const allowed = this.allowedNets.check(address, family) || (inner !== null && this.allowedNets.check(inner, 'ipv4'));
    if (refused && !allowed) {
      return `${address}${inner ? ` (${inner})` : ''} is a link-local or cloud metadata address; kproxy does not send there (list it in ENDPOINT_ALLOWED_HOSTS to allow it)`;
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

/** The IPv4 address an IPv6 address carries (see EMBEDS_IPV4_LAST, SIX_TO_FOUR), or null. */
function embeddedIPv4(address: string): string | null {
  const plain = address.replace(/%.*$/, '');
  if (isIP(plain) !== 6) return null;
  const words = ipv6Words(plain);
  // :: and ::1 (and the rest of ::/112) are the unspecified and loopback addresses, not IPv4-compatible ones.
  if (words.slice(0, 7).every((w) => w === 0)) return null;
  if (EMBEDS_IPV4_LAST.check(plain, 'ipv6')) return wordsToIPv4(words[6], words[7]);
  if (SIX_TO_FOUR.check(plain, 'ipv6')) return wordsToIPv4(words[1], words[2]);
  return null;
}

/** The eight 16-bit words of a valid IPv6 address (RFC 4291 §2.2 text forms, dotted tail included). */
function ipv6Words(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const middle = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...middle, ...right].map((w) => parseInt(w, 16));
}

function wordsToIPv4(high: number, low: number): string {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

import { Injectable } from '@nestjs/common';
import { Resolver } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import type { SubscriptionSpec } from '../subscriptions/dto/subscription-spec.schema';
import { isSecretHeader } from '../subscriptions/subscription-secrets';
import { SubscriptionsService } from '../subscriptions/subscriptions.service';

/** One thing an approver should look at twice: the field (a path of the spec) and why. */
export interface ReviewFlag {
  readonly field: string;
  readonly concern: string;
}

/** Loopback, private (RFC 1918, RFC 4193), carrier-grade NAT (RFC 6598) and link-local ranges. */
const INTERNAL: Array<[string, number, 'ipv4' | 'ipv6']> = [
  ['127.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['0.0.0.0', 8, 'ipv4'],
  ['::1', 128, 'ipv6'],
  ['::', 128, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
];

/** Limits above which the approval view calls a setting out (records, bytes). */
export const REVIEW_THRESHOLDS = { maxInFlight: 64, batchSize: 100, maxBatchBytes: 1024 * 1024 } as const;

const DNS_TIMEOUT_MS = 2_000;
/** How long a host's answer is reused: the approval queue is polled every few seconds (ms). */
const DNS_CACHE_MS = 60_000;

/**
 * What an operator should look at before approving a ticket: endpoint or webhook hosts that are
 * (or resolve to) loopback or private addresses, a named consumer group (and who holds it), a
 * rate group (and its members), brokers no subscription uses yet, regex filters, librdkafka
 * properties, pinned hosts, and large in-flight or batch limits, and the headers and URL parts
 * whose values answers hide. Reads the database and DNS: names are resolved with c-ares (the
 * Resolver; dns.lookup would hold libuv pool threads the consumers need), once a minute per
 * host, and a name that does not resolve in 2 s is called out as such.
 */
@Injectable()
export class TicketReview {
  private readonly internal = new BlockList();
  private readonly resolver = new Resolver({ timeout: DNS_TIMEOUT_MS, tries: 1 });
  private readonly answers = new Map<string, { at: number; addresses: Promise<string[]> }>();

  constructor(private readonly subscriptions: SubscriptionsService) {
    for (const [net, prefix, family] of INTERNAL) this.internal.addSubnet(net, prefix, family);
  }

  /** The flags of one validated ticket spec, in field order; `knownBrokers` may be shared by a list. */
  async flags(spec: SubscriptionSpec, knownBrokers?: readonly string[]): Promise<ReviewFlag[]> {
    const flags: ReviewFlag[] = [];
    const add = (field: string, concern: string) => flags.push({ field, concern });

    const known = knownBrokers ?? (await this.subscriptions.knownBrokers());
    if (!known.includes(spec.kafka.brokers)) add('kafka.brokers', `no subscription uses these brokers yet (${spec.kafka.brokers}); kproxy will connect there`);
    const owner = spec.owner;
    const others = (await this.subscriptions.topicConsumers(spec.kafka.topic)).filter((c) => c.owner !== owner);
    if (others.length) add('kafka.topic', `also consumed by ${others.map((c) => `${c.id} "${c.name}" (${c.owner ?? 'operators'})`).join(', ')}`);
    if (spec.kafka.groupId !== null) {
      const holder = await this.subscriptions.groupHolder(spec.kafka.groupId, null);
      add(
        'kafka.groupId',
        holder
          ? `consumer group "${spec.kafka.groupId}" is held by subscription ${holder.id} ("${holder.name}"); approval will be refused`
          : `names consumer group "${spec.kafka.groupId}" instead of kproxy.${spec.name}`,
      );
    }
    if (Object.keys(spec.kafka.properties).length) add('kafka.properties', `sets librdkafka properties: ${Object.keys(spec.kafka.properties).join(', ')}`);
    if (spec.kafka.security) add('kafka.security', `connects with ${spec.kafka.security.protocol}`);
    for (const [i, rule] of (spec.etl?.filter ?? []).entries()) {
      if (rule.op === 'regex') add(`etl.filter[${i}]`, `regular expression on ${rule.path}`);
    }
    const endpointHost = await this.internalHost(spec.endpoint.url);
    if (endpointHost) add('endpoint.url', endpointHost);
    const url = new URL(spec.endpoint.url);
    const hiddenUrl = [
      url.username || url.password ? 'user info' : '',
      url.search ? `query parameters ${[...new Set(url.searchParams.keys())].join(', ')}` : '',
    ].filter(Boolean);
    if (hiddenUrl.length) add('endpoint.url', `carries ${hiddenUrl.join(' and ')} whose values are hidden`);
    const hiddenHeaders = Object.keys(spec.endpoint.headers).filter((name) => isSecretHeader(name));
    if (hiddenHeaders.length) add('endpoint.headers', `values hidden (secrets): ${hiddenHeaders.join(', ')}`);
    if (spec.endpoint.rateGroup !== null) {
      const members = await this.subscriptions.rateGroupMembers(spec.endpoint.rateGroup);
      const listed = members.map((m) => `${m.id} "${m.name}" (${m.owner ?? 'operators'}, ${m.ratePerSec || 'unlimited'}/s)`).join(', ');
      add(
        'endpoint.rateGroup',
        members.length ? `joins rate group "${spec.endpoint.rateGroup}", shared with ${listed}` : `starts rate group "${spec.endpoint.rateGroup}"`,
      );
    }
    const d = spec.delivery;
    if (d.maxInFlight > REVIEW_THRESHOLDS.maxInFlight)
      add('delivery.maxInFlight', `${d.maxInFlight} requests in flight (more than ${REVIEW_THRESHOLDS.maxInFlight})`);
    if (d.batchSize > REVIEW_THRESHOLDS.batchSize) add('delivery.batchSize', `${d.batchSize} records per request (more than ${REVIEW_THRESHOLDS.batchSize})`);
    if (d.batchSize > 1 && d.maxBatchBytes > REVIEW_THRESHOLDS.maxBatchBytes)
      add('delivery.maxBatchBytes', `${d.maxBatchBytes} bytes per request (more than ${REVIEW_THRESHOLDS.maxBatchBytes})`);
    if (d.ratePerSec === 0) add('delivery.ratePerSec', 'no rate limit');
    if (spec.hosts.length) add('hosts', `pinned to instances ${spec.hosts.join(', ')}`);
    // Each instance running it holds a Kafka client (four librdkafka threads) for it.
    else if (spec.replicas !== null) add('replicas', `runs on ${spec.replicas} instances instead of SUBSCRIPTION_REPLICAS (a Kafka client on each)`);
    if (spec.alerts?.webhookUrl) {
      const webhookHost = await this.internalHost(spec.alerts.webhookUrl);
      add('alerts.webhookUrl', webhookHost ?? `sends alerts to ${new URL(spec.alerts.webhookUrl).host}`);
    }
    if (spec.status === 'running') add('status', 'starts consuming as soon as it is approved');
    return flags;
  }

  /** Why the URL's host is internal (a loopback or private address, or a name resolving to one), or null. */
  private async internalHost(url: string): Promise<string | null> {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const family = isIP(host);
    if (family) return this.isInternal(host) ? `host ${host} is a loopback or private address` : null;
    if (host === 'localhost' || host.endsWith('.localhost')) return `host ${host} is loopback`;
    try {
      const inside = (await this.resolve(host)).filter((a) => this.isInternal(a));
      return inside.length ? `host ${host} resolves to loopback or private ${inside.join(', ')}` : null;
    } catch {
      return `host ${host} does not resolve from here`;
    }
  }

  /** A and AAAA answers for a name, reused for DNS_CACHE_MS; rejects when it has neither. */
  private resolve(host: string): Promise<string[]> {
    const now = Date.now();
    const cached = this.answers.get(host);
    if (cached && now - cached.at < DNS_CACHE_MS) return cached.addresses;
    if (this.answers.size >= 1_000) this.answers.clear();
    const addresses = Promise.allSettled([this.resolver.resolve4(host), this.resolver.resolve6(host)]).then(([v4, v6]) => {
      const found = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
      if (!found.length) throw new Error(`${host} has no A or AAAA record`);
      return found;
    });
    addresses.catch(() => undefined);
    this.answers.set(host, { at: now, addresses });
    return addresses;
  }

  private isInternal(address: string): boolean {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    const plain = mapped ? mapped[1] : address;
    return this.internal.check(plain, isIP(plain) === 4 ? 'ipv4' : 'ipv6');
  }
}

/**
 * librdkafka properties a subscription may set in `kafka.properties`. Anything else is refused:
 * kproxy owns group membership, commits, callbacks, prefetch bounds and security (set through
 * `kafka.security`), and a stray property there would break its guarantees.
 */
type Rule = { kind: 'int'; min: number; max: number } | { kind: 'enum'; values: readonly string[] } | { kind: 'bool' } | { kind: 'text'; pattern: RegExp };

const int = (min: number, max: number): Rule => ({ kind: 'int', min, max });
const oneOf = (...values: string[]): Rule => ({ kind: 'enum', values });
const bool: Rule = { kind: 'bool' };
const MS_HOUR = 3_600_000;

export const KAFKA_PROPERTY_RULES: Readonly<Record<string, Rule>> = {
  'fetch.min.bytes': int(1, 100_000_000),
  'fetch.wait.max.ms': int(0, 300_000),
  // At least librdkafka's message.max.bytes; at most 64 MiB so one fetch cannot undo the prefetch bound.
  'fetch.max.bytes': int(1_000_000, 67_108_864),
  'fetch.error.backoff.ms': int(0, 300_000),
  'max.partition.fetch.bytes': int(1, 16_777_216),
  'session.timeout.ms': int(1000, 300_000),
  'heartbeat.interval.ms': int(100, 100_000),
  // Never below session.timeout.ms's ceiling, which librdkafka requires it to exceed.
  'max.poll.interval.ms': int(300_000, 86_400_000),
  'partition.assignment.strategy': oneOf('range', 'roundrobin', 'range,roundrobin', 'roundrobin,range'),
  'isolation.level': oneOf('read_committed', 'read_uncommitted'),
  'check.crcs': bool,
  'client.rack': { kind: 'text', pattern: /^[A-Za-z0-9._-]{1,64}$/ },
  'socket.timeout.ms': int(10, 300_000),
  'socket.connection.setup.timeout.ms': int(1000, MS_HOUR),
  'socket.keepalive.enable': bool,
  'socket.send.buffer.bytes': int(0, 100_000_000),
  'socket.receive.buffer.bytes': int(0, 100_000_000),
  'connections.max.idle.ms': int(0, MS_HOUR),
  'reconnect.backoff.ms': int(0, MS_HOUR),
  'reconnect.backoff.max.ms': int(0, MS_HOUR),
  'retry.backoff.ms': int(1, 300_000),
  'metadata.max.age.ms': int(1, 86_400_000),
  'topic.metadata.refresh.interval.ms': int(-1, MS_HOUR),
  'broker.address.family': oneOf('any', 'v4', 'v6'),
  'client.dns.lookup': oneOf('use_all_dns_ips', 'resolve_canonical_bootstrap_servers_only'),
  'api.version.request.timeout.ms': int(1, 300_000),
  'ssl.cipher.suites': { kind: 'text', pattern: /^[A-Za-z0-9_:+!.-]{1,1024}$/ },
  'ssl.curves.list': { kind: 'text', pattern: /^[A-Za-z0-9_:-]{1,512}$/ },
  'ssl.sigalgs.list': { kind: 'text', pattern: /^[A-Za-z0-9_:+-]{1,512}$/ },
};

export type KafkaPropertyValue = string | number | boolean;

/** Pairs librdkafka requires in order: [smaller, larger, how they must relate]. */
const ORDERED: ReadonlyArray<readonly [string, string, 'less' | 'notMore']> = [
  ['heartbeat.interval.ms', 'session.timeout.ms', 'less'],
  ['reconnect.backoff.ms', 'reconnect.backoff.max.ms', 'notMore'],
];

/** Problems between properties set together, as [property, message]. */
export function kafkaPropertyPairProblems(props: Readonly<Record<string, unknown>>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [small, large, relation] of ORDERED) {
    const a = props[small];
    const b = props[large];
    if (typeof a !== 'number' || typeof b !== 'number') continue;
    if (relation === 'less' ? a >= b : a > b) out.push([small, `must be ${relation === 'less' ? 'less than' : 'at most'} ${large} (${b})`]);
  }
  return out;
}

/** Why a property cannot be set, or null; the message names what is allowed. */
export function kafkaPropertyProblem(name: string, value: unknown): string | null {
  const rule = Object.hasOwn(KAFKA_PROPERTY_RULES, name) ? KAFKA_PROPERTY_RULES[name] : undefined;
  if (!rule) {
    return name.startsWith('ssl.') || name.startsWith('sasl.') || name === 'security.protocol'
      ? 'is not settable here: use kafka.security for SASL and TLS'
      : 'is not on the allow-list of librdkafka properties (see the README)';
  }
  switch (rule.kind) {
    case 'int':
      return Number.isInteger(value) && (value as number) >= rule.min && (value as number) <= rule.max
        ? null
        : `must be a whole number from ${rule.min} to ${rule.max}`;
    case 'bool':
      return typeof value === 'boolean' ? null : 'must be true or false';
    case 'enum':
      return typeof value === 'string' && rule.values.includes(value) ? null : `must be one of ${rule.values.join(' | ')}`;
    case 'text':
      return typeof value === 'string' && rule.pattern.test(value) ? null : `must be text matching ${rule.pattern.source}`;
  }
}

/**
 * The child process behind GroupDescriber: answers "who is in consumer group G" with
 * ListGroups then DescribeGroups, one admin client per distinct cluster configuration.
 *
 * It is a process of its own because the Kafka binding's DescribeGroups (1.10.1) dereferences
 * NULL strings of a per-group error (a coordinator that is unreachable, moving or loading) and
 * the process dies with a segmentation fault or spins
 * (confluentinc/confluent-kafka-javascript issue 531). Here that costs a look; in the proxy it
 * cost every subscription. Messages: {@link GroupDescribeRequest} in, {@link GroupDescribeAnswer}
 * out, over the IPC channel. It exits when the parent disconnects.
 */
import {
  AdminClient,
  CODES,
  ConsumerGroupStates,
  type GroupDescription,
  type GroupOverview,
  type IAdminClient,
  type LibrdKafkaError,
} from '@confluentinc/kafka-javascript';
import type { GroupDescribeAnswer, GroupDescribeRequest } from './group-describer.service';

/** An admin client unused this long is closed (ms). */
const ADMIN_IDLE_MS = 60_000;

const admins = new Map<string, { admin: IAdminClient; usedAt: number }>();

function adminFor(client: GroupDescribeRequest['client']): IAdminClient {
  const key = JSON.stringify(client);
  let entry = admins.get(key);
  if (!entry) {
    entry = { admin: AdminClient.create({ ...client, 'client.id': 'kproxy-group-describe', log_level: 0 } as never), usedAt: 0 };
    admins.set(key, entry);
  }
  entry.usedAt = Date.now();
  return entry.admin;
}

async function members(req: GroupDescribeRequest): Promise<GroupDescribeAnswer> {
  const admin = adminFor(req.client);
  const listed = await new Promise<{ groups: GroupOverview[]; errors: LibrdKafkaError[] }>((resolve, reject) =>
    admin.listGroups({ timeout: req.timeoutMs }, (err, result) => (err ? reject(err) : resolve(result))),
  );
  // librdkafka's mock broker serves no ListGroups: the caller falls back (null).
  if (listed.errors.some((e) => e.code === CODES.ERRORS.ERR__UNSUPPORTED_FEATURE)) return { id: req.id, members: null };
  if (listed.errors.length > 0) throw new Error(`not every broker answered ListGroups (${listed.errors[0].message})`);
  // Every broker answered and none lists it: the group does not exist (no members, no offsets).
  if (!listed.groups.some((g) => g.groupId === req.groupId)) return { id: req.id, members: [] };
  const groups = await new Promise<GroupDescription[]>((resolve, reject) =>
    admin.describeGroups([req.groupId], { timeout: req.timeoutMs }, (err, result) => (err ? reject(err) : resolve(result.groups))),
  );
  const group = groups.find((g) => g.groupId === req.groupId);
  if (!group) throw new Error('the coordinator did not describe the group');
  if (group.error) throw new Error(group.error.message);
  if (group.state === ConsumerGroupStates.DEAD || group.state === ConsumerGroupStates.EMPTY) return { id: req.id, members: [] };
  return { id: req.id, members: group.members.map((m) => ({ clientId: m.clientId, clientHost: m.clientHost.replace(/^\//, '') })) };
}

process.on('message', (req: GroupDescribeRequest) => {
  members(req).then(
    (answer) => process.send?.(answer),
    (err: Error) => process.send?.({ id: req.id, error: err.message } satisfies GroupDescribeAnswer),
  );
});
process.on('disconnect', () => process.exit(0));
setInterval(() => {
  for (const [key, entry] of admins) {
    if (Date.now() - entry.usedAt < ADMIN_IDLE_MS) continue;
    admins.delete(key);
    entry.admin.disconnect();
  }
}, ADMIN_IDLE_MS / 4).unref();

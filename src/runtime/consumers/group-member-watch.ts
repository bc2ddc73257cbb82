import type { GroupMember } from '../../model/group-member';

/** How long after an assignment the group is described: the rebalance's other members settle first (ms). */
export const GROUP_LOOK_DELAY_MS = 3_000;
/** Between looks while an outside member is present, so its leaving is noticed too (ms). */
export const GROUP_RELOOK_MS = 60_000;

/**
 * Notices consumers outside kproxy in a subscription's consumer group. kproxy's members carry
 * the client id `kproxy-<instance>-<subscription id>` (KafkaSession); any other member
 * (another application, or another subscription configured with the same group by hand) takes
 * partitions and commits in the subscription's name. A member joining makes the group
 * rebalance, so the consumer calls `soon()` after every assignment; one DescribeGroups follows,
 * debounced. `report` hears every change of the outside set (empty again when they left).
 * A client that copies a kproxy client id is not told apart: the group check at the API
 * (one subscription per group and cluster) is the first line, this the second.
 */
export class GroupMemberWatch {
  private outside: readonly GroupMember[] = [];
  private timer: NodeJS.Timeout | null = null;
  private looking: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly subscriptionId: number,
    /**
     * The members of the subscription's group (GroupDescriber.members); null when the broker
     * cannot list groups (the mock); undefined: not connected now, skip this look.
     */
    private readonly describe: () => Promise<GroupMember[] | null | undefined>,
    private readonly report: (outside: readonly GroupMember[], error: Error | null) => void,
    private readonly delayMs = GROUP_LOOK_DELAY_MS,
    private readonly relookMs = GROUP_RELOOK_MS,
  ) {}

  /** Members seen at the last look that are not this subscription's kproxy consumers. */
  get members(): readonly GroupMember[] {
    return this.outside;
  }

  /** Looks at the group after `delayMs`; calls in between fold into that one look. */
  soon(delayMs = this.delayMs): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.look();
    }, delayMs);
    this.timer.unref?.();
  }

  /** No look starts or reports after this; resolves when a look in progress has its answer. */
  stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    return this.looking ?? Promise.resolve();
  }

  /** True for the client id a kproxy consumer of this subscription uses. */
  static isOwnMember(clientId: string, subscriptionId: number): boolean {
    const m = /^kproxy-[A-Za-z0-9._:-]{1,128}-(\d+)$/.exec(clientId);
    return m !== null && Number(m[1]) === subscriptionId;
  }

  private look(): Promise<void> {
    if (this.looking || this.stopped) return this.looking ?? Promise.resolve();
    this.looking = this.lookOnce().finally(() => (this.looking = null));
    return this.looking;
  }

  private async lookOnce(): Promise<void> {
    try {
      const members = await this.describe();
      if (members === undefined) return;
      if (members === null) {
        // A cluster without group listings will not grow them: stop asking.
        this.stopped = true;
        return;
      }
      if (this.stopped) return;
      const outside = members.filter((m) => !GroupMemberWatch.isOwnMember(m.clientId, this.subscriptionId));
      const changed =
        outside.length !== this.outside.length ||
        outside.some((m, i) => m.clientId !== this.outside[i].clientId || m.clientHost !== this.outside[i].clientHost);
      this.outside = outside;
      if (changed) this.report(outside, null);
      if (outside.length) this.soon(this.relookMs);
    } catch (err) {
      if (!this.stopped) {
        this.report(this.outside, err as Error);
        this.soon(this.relookMs);
      }
    }
  }
}

import type { GroupMember } from '../../model/group-member';
import { GroupMemberWatch } from './group-member-watch';

describe('GroupMemberWatch', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const own = (instance: string, id = 7): GroupMember => ({ clientId: `kproxy-${instance}-${id}`, clientHost: '127.0.0.1' });

  it('tells kproxy members of this subscription from any other client id', () => {
    expect(GroupMemberWatch.isOwnMember('kproxy-host-a.example:1-7', 7)).toBe(true);
    expect(GroupMemberWatch.isOwnMember('kproxy-host-a-17', 7)).toBe(false);
    expect(GroupMemberWatch.isOwnMember('kproxy-host-a-8', 7)).toBe(false);
    expect(GroupMemberWatch.isOwnMember('rdkafka', 7)).toBe(false);
    expect(GroupMemberWatch.isOwnMember('kproxy--7', 7)).toBe(false);
  });

  it('describes the group once per burst of assignments and reports outside members when they come and go', async () => {
    let members: GroupMember[] = [own('a'), own('b')];
    const describe = jest.fn(async () => members);
    const reports: string[][] = [];
    const watch = new GroupMemberWatch(7, describe, (outside) => reports.push(outside.map((m) => m.clientId)), 3_000, 60_000);
    watch.soon();
    watch.soon();
    await jest.advanceTimersByTimeAsync(3_000);
    expect(describe).toHaveBeenCalledTimes(1);
    expect(reports).toEqual([]);

    members = [own('a'), { clientId: 'rogue', clientHost: '10.0.0.9' }, own('x', 8)];
    watch.soon();
    await jest.advanceTimersByTimeAsync(3_000);
    expect(reports).toEqual([['rogue', 'kproxy-x-8']]);
    expect(watch.members.map((m) => m.clientHost)).toEqual(['10.0.0.9', '127.0.0.1']);

    // While outsiders stay, it looks again on its own, so their leaving is seen without a rebalance here.
    members = [own('a')];
    await jest.advanceTimersByTimeAsync(60_000);
    expect(reports).toEqual([['rogue', 'kproxy-x-8'], []]);
    expect(describe).toHaveBeenCalledTimes(3);
    await jest.advanceTimersByTimeAsync(120_000);
    expect(describe).toHaveBeenCalledTimes(3);
  });

  it('reports errors and looks again, gives up on a broker without group listings, and stops looking once stopped', async () => {
    const describe = jest.fn<Promise<GroupMember[] | null>, []>(async () => []);
    const reports: Array<string | null> = [];
    const watch = new GroupMemberWatch(7, describe, (_outside, err) => reports.push(err?.message ?? null), 10, 100);
    describe.mockRejectedValueOnce(new Error('coordinator moving'));
    watch.soon();
    await jest.advanceTimersByTimeAsync(10);
    expect(reports).toEqual(['coordinator moving']);
    // An error is looked at again after relookMs; a later soon() looks once more.
    await jest.advanceTimersByTimeAsync(100);
    watch.soon();
    await jest.advanceTimersByTimeAsync(10);
    expect(describe).toHaveBeenCalledTimes(3);
    // A cluster without group listings (the mock broker) is not asked again.
    describe.mockResolvedValueOnce(null);
    const mock = new GroupMemberWatch(7, describe, () => undefined, 10, 100);
    mock.soon();
    await jest.advanceTimersByTimeAsync(10);
    mock.soon();
    await jest.advanceTimersByTimeAsync(1_000);
    expect(describe).toHaveBeenCalledTimes(4);
    await watch.stop();
    await jest.advanceTimersByTimeAsync(1_000);
    expect(describe).toHaveBeenCalledTimes(4);
  });

  it('a look still in flight at stop reports nothing, and stop resolves once it has its answer', async () => {
    let answer: (members: GroupMember[]) => void = () => undefined;
    const reports: number[] = [];
    const watch = new GroupMemberWatch(
      7,
      () => new Promise<GroupMember[]>((resolve) => (answer = resolve)),
      (outside) => reports.push(outside.length),
      10,
      100,
    );
    watch.soon();
    await jest.advanceTimersByTimeAsync(10);
    let stopped = false;
    const stopping = watch.stop().then(() => (stopped = true));
    await jest.advanceTimersByTimeAsync(1_000);
    expect(stopped).toBe(false);
    answer([{ clientId: 'rogue', clientHost: 'h' }]);
    await stopping;
    expect(stopped).toBe(true);
    expect(watch.members).toEqual([]);
    expect(reports).toEqual([]);
  });
});

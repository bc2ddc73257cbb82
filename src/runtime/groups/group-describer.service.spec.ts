import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonLogger } from '../../common/logging/json.logger';
import { GroupDescriber } from './group-describer.service';

/**
 * A stand-in for group-describe.child.js that speaks the same protocol: the group id says what
 * it does (answer, fail, crash the way the binding does, or never answer).
 */
const STAND_IN = `
process.on('message', (req) => {
  if (req.groupId === 'crash') process.kill(process.pid, 'SIGSEGV');
  else if (req.groupId === 'hang') return;
  else if (req.groupId === 'refused') process.send({ id: req.id, error: 'Broker: Coordinator load in progress' });
  else if (req.groupId === 'mock') process.send({ id: req.id, members: null });
  else process.send({ id: req.id, members: [{ clientId: 'kproxy-a-1', clientHost: String(process.pid) }] });
});
process.on('disconnect', () => process.exit(0));
`;

describe('GroupDescriber', () => {
  const lines: string[] = [];
  let describer: GroupDescriber;
  const kafka = (groupId: string) => ({ client: { 'metadata.broker.list': '127.0.0.1:1' }, groupId });

  beforeEach(() => {
    const dir = mkdtempSync(join(tmpdir(), 'group-describer-'));
    writeFileSync(join(dir, 'child.js'), STAND_IN);
    lines.length = 0;
    describer = new GroupDescriber(new JsonLogger('info', (line) => lines.push(line)));
    describer.script = join(dir, 'child.js');
    describer.answerGraceMs = 300;
  });
  afterEach(() => describer.onApplicationShutdown());

  it('answers with the members, null, or the broker error the child reports', async () => {
    const members = await describer.members(kafka('billing'), 1000);
    expect(members).toEqual([{ clientId: 'kproxy-a-1', clientHost: expect.any(String) }]);
    await expect(describer.members(kafka('mock'), 1000)).resolves.toBeNull();
    await expect(describer.members(kafka('refused'), 1000)).rejects.toThrow('Broker: Coordinator load in progress');
  });

  it('a child that crashes fails only the looks in flight; the next look gets a new child', async () => {
    const before = (await describer.members(kafka('billing'), 1000))![0].clientHost;
    await expect(describer.members(kafka('crash'), 1000)).rejects.toThrow('the group describe process exited (signal SIGSEGV) before answering');
    const after = (await describer.members(kafka('billing'), 1000))![0].clientHost;
    expect(after).not.toBe(before);
    expect(lines.some((l) => l.includes('the group describe process exited') && l.includes('SIGSEGV'))).toBe(true);
  });

  it('a child that does not answer is killed after both calls time out, and the looks in flight fail', async () => {
    const started = Date.now();
    const hung = describer.members(kafka('hang'), 100);
    const alsoWaiting = describer.members(kafka('hang'), 100);
    await expect(hung).rejects.toThrow('exited (signal SIGKILL)');
    await expect(alsoWaiting).rejects.toThrow('exited (signal SIGKILL)');
    // 2 × 100 ms for ListGroups and DescribeGroups, plus the grace.
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    await expect(describer.members(kafka('billing'), 1000)).resolves.toHaveLength(1);
  });

  it('names the missing script instead of failing later', async () => {
    describer.script = '/nonexistent/group-describe.child.js';
    await expect(describer.members(kafka('billing'), 1000)).rejects.toThrow(
      "the group describe process's script is missing (/nonexistent/group-describe.child.js)",
    );
  });

  it('shutdown kills a child with looks in flight at once (it may be spinning) and fails them', async () => {
    const started = Date.now();
    const hung = describer.members(kafka('hang'), 60_000);
    describer.onApplicationShutdown();
    await expect(hung).rejects.toThrow('exited (signal SIGKILL)');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('refuses looks after shutdown', async () => {
    describer.onApplicationShutdown();
    await expect(describer.members(kafka('billing'), 1000)).rejects.toThrow('shutting down');
  });
});

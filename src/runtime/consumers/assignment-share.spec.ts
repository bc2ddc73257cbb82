import { AssignmentShare } from './assignment-share';

describe('AssignmentShare', () => {
  it('reports owned over the topic partition count', async () => {
    const shares: number[] = [];
    const s = new AssignmentShare(
      async () => 6,
      (x) => shares.push(x),
      () => undefined,
    );
    await s.changed(2);
    await s.changed(0);
    await s.changed(6);
    expect(shares).toEqual([2 / 6, 0, 1]);
  });

  it('keeps the last known count when the broker cannot tell, and warns once', async () => {
    const shares: number[] = [];
    const warnings: string[] = [];
    let answer: () => Promise<number> = async () => 4;
    const s = new AssignmentShare(
      () => answer(),
      (x) => shares.push(x),
      (e) => warnings.push(e.message),
    );
    await s.changed(1);
    answer = async () => Promise.reject(new Error('metadata: timed out'));
    await s.changed(2);
    await s.changed(3);
    expect(shares).toEqual([0.25, 0.5, 0.75]);
    expect(warnings).toEqual(['metadata: timed out']);
  });

  it('reports nothing before any count is known', async () => {
    const shares: number[] = [];
    const s = new AssignmentShare(
      async () => Promise.reject(new Error('down')),
      (x) => shares.push(x),
      () => undefined,
    );
    await s.changed(2);
    expect(shares).toEqual([]);
  });

  it('drops an answer that arrives after a later change', async () => {
    const shares: number[] = [];
    const answers: Array<(n: number) => void> = [];
    const s = new AssignmentShare(
      () => new Promise<number>((r) => answers.push(r)),
      (x) => shares.push(x),
      () => undefined,
    );
    const first = s.changed(3);
    const second = s.changed(1);
    answers[1](4);
    await second;
    answers[0](4);
    await first;
    expect(shares).toEqual([0.25]);
  });
});

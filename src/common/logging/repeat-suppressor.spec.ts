import { RepeatSuppressor } from './repeat-suppressor';

describe('RepeatSuppressor', () => {
  it('lets the first through, holds repeats inside the window, then reports how many it held', () => {
    let now = 0;
    const s = new RepeatSuppressor(1000, () => now);
    expect(s.admit('all brokers down')).toBe(0);
    now = 100;
    expect(s.admit('all brokers down')).toBeNull();
    now = 200;
    expect(s.admit('all brokers down')).toBeNull();
    expect(s.admit('transport failure')).toBe(0);
    now = 1000;
    expect(s.admit('all brokers down')).toBe(2);
    now = 1100;
    expect(s.admit('all brokers down')).toBeNull();
  });
});

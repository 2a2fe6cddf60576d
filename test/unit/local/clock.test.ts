import { SimClock } from '../../../local/core/clock';

/** Real timers (Timeout resources) the process holds right now. */
const realTimers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('SimClock', () => {
  it('on a scale: holds at most one real timer, none after jumping ahead and stopping', () => {
    const before = realTimers();
    const clock = new SimClock(1);
    const fired: string[] = [];
    clock.setTimeout(60_000, () => fired.push('1 min'));
    clock.setTimeout(86_400_000, () => fired.push('24 h'));
    expect(realTimers()).toBe(before + 1);
    // Skipping to the next timer fires it early; the real timer armed for it must not linger.
    expect(clock.jumpToNext()).toBe(true);
    expect(fired).toEqual(['1 min']);
    expect(realTimers()).toBe(before + 1);
    clock.stop();
    expect(realTimers()).toBe(before);
    // Work finishing after shutdown may still set timers: they arm no real timer (only a jump fires them).
    clock.setTimeout(1, () => fired.push('after stop'));
    expect(realTimers()).toBe(before);
    expect(clock.jumpToNext()).toBe(true);
    expect(fired).toEqual(['1 min', 'after stop']);
  });

  it('on a scale: a timer further away than Node can wait (90 days) neither fires nor spins', async () => {
    const armed = jest.spyOn(global, 'setTimeout');
    const clock = new SimClock(1);
    const fired: string[] = [];
    clock.setTimeout(90 * 86_400_000, () => fired.push('90 days'));
    try {
      await new Promise((r) => setTimeout(r, 50));
      expect(fired).toEqual([]);
      // Node runs a longer delay as 1 ms (TimeoutOverflowWarning): the clock would re-arm it every millisecond.
      const delays = armed.mock.calls.map((c) => c[1]);
      expect(delays).toEqual([2 ** 31 - 1, 50]);
    } finally {
      clock.stop();
      armed.mockRestore();
    }
  });

  it('virtual: never arms a real timer, and time moves only when run() finds nothing at work', async () => {
    const before = realTimers();
    const clock = new SimClock('virtual', 0);
    const fired: number[] = [];
    clock.setTimeout(5_000, () => fired.push(clock.now()));
    expect(realTimers()).toBe(before);
    await new Promise((r) => setImmediate(r));
    expect([clock.now(), fired]).toEqual([0, []]);
    // Work in progress holds time still: run() waits for it before jumping to the timer.
    const release = clock.hold();
    let releasedAt: number | undefined;
    setImmediate(() => setImmediate(() => setImmediate(() => {
      releasedAt = clock.now();
      release();
    })));
    await clock.run(clock.sleep(10_000));
    expect(releasedAt).toBe(0);
    expect(fired).toEqual([5_000]);
    expect(clock.now()).toBe(10_000);
  });

  it('until(): moves time forward until the condition holds, and says so when nothing is left to happen', async () => {
    const clock = new SimClock('virtual', 0);
    let ticks = 0;
    const tick = () => clock.setTimeout(1_000, () => (ticks += 1) < 5 && tick());
    tick();
    await clock.until(() => ticks >= 3);
    expect(clock.now()).toBe(3_000);
    await expect(clock.until(() => ticks >= 10, 'ten ticks')).rejects.toThrow(/ten ticks never came about/);
    expect(clock.now()).toBe(5_000);
  });
});

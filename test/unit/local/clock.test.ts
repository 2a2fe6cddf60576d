import { SimClock } from '../../../local/core/clock';

/** The simulated clock holds at most one real timer, and none once stopped, so a closed cloud lets the process exit. */
const realTimers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('SimClock', () => {
  it('leaves no real timer behind after jumping ahead and stopping', () => {
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
});

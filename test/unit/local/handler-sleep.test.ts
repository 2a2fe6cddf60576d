import { SimClock } from '../../../local/core/clock';
import { InvocationHold, runningInvocation, sleepOnClock } from '../../../local/core/invocation';
import { now, sleep } from '../../../functions/lib/time';

/**
 * A handler's sleep (functions/lib/time.ts) in the local cloud is a timer on its simulated clock: the
 * invocation lets go of the clock while it sleeps (or simulated time could never reach the timer), takes
 * it again when it wakes, and the handler's `now()` has moved by exactly the sleep.
 */
describe("a handler's sleep in the local cloud", () => {
  it('waits simulated time, not real time, and lets the clock move meanwhile', async () => {
    const clock = new SimClock('virtual', 1_000_000);
    const hold = new InvocationHold(clock);
    const realStart = Date.now();
    const woke = await clock.run(
      runningInvocation.run({ id: 1, hold, now: () => clock.now(), sleep: (ms) => sleepOnClock(clock, hold, ms) }, async () => {
        const before = now();
        await sleep(90_000);
        // Awake, the invocation holds the clock again, as while a handler computes.
        const result = { before, after: now(), idle: clock.idle };
        hold.end();
        return result;
      }),
    );
    expect(woke).toEqual({ before: 1_000_000, after: 1_090_000, idle: false });
    expect(Date.now() - realStart).toBeLessThan(5_000);
  });

});

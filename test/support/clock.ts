import type { Clock } from '../../lambdas/ports.ts';

/** A clock whose sleeps return at once and are recorded; `now` advances by what was slept. */
export function fakeClock(start = new Date('2026-11-21T12:00:00Z')): Clock & { slept: number[] } {
  let now = start.getTime();
  const slept: number[] = [];
  return {
    slept,
    now: () => new Date(now),
    sleep: async (ms: number) => {
      slept.push(ms);
      now += ms;
    },
  };
}

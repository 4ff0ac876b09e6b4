import type { Clock } from '../../src/clock.js';

/** A clock the test moves by hand, for idle and absolute limits, code expiry and retention. */
export class TestClock implements Clock {
  private t: number;
  constructor(start = Date.now()) {
    this.t = start;
  }
  now(): Date {
    return new Date(this.t);
  }
  advanceMinutes(minutes: number): void {
    this.t += minutes * 60_000;
  }
}

/**
 * The front door's part of a clean shutdown: once draining, requests (also those arriving
 * on open keep-alive connections) are refused with 503 before the gate, and the requests
 * already being handled are counted so shutdown can wait for their answers.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export class DrainState {
  private draining_ = false;
  private inFlight = 0;
  private readonly waiters: (() => void)[] = [];

  get draining(): boolean {
    return this.draining_;
  }

  /** Requests handled right now. */
  get pending(): number {
    return this.inFlight;
  }

  start(): void {
    this.draining_ = true;
  }

  enter(): void {
    this.inFlight++;
  }

  leave(): void {
    this.inFlight--;
    if (this.inFlight === 0) for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves true once no request is being handled, false if `deadlineMs` passes first. */
  async idle(deadlineMs: number): Promise<boolean> {
    if (this.inFlight === 0) return true;
    const idle = new Promise<boolean>((resolve) => this.waiters.push(() => resolve(true)));
    return Promise.race([idle, sleep(Math.max(0, deadlineMs), false, { ref: false })]);
  }
}

/**
 * Redis's clock as seen from this process: admit calls carry deadlines on it, and the sale
 * window is judged by it, so every front door agrees whatever its own clock says. The offset
 * is measured with TIME (error at most half a round trip) and refreshed while running.
 */
import type { RedisClient } from '../redis/client.js';

const REFRESH_MS = 10_000;

export class RedisClock {
  private offsetMs = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly redis: RedisClient) {}

  /** Measures once now (start-up waits for it), then keeps measuring in the background. */
  async start(): Promise<void> {
    await this.measure();
    this.timer = setInterval(() => void this.measure().catch(() => undefined), REFRESH_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Redis's time now, epoch ms (estimated). */
  now(): number {
    return Date.now() + this.offsetMs;
  }

  private async measure(): Promise<void> {
    const sent = Date.now();
    const [seconds, micros] = await this.redis.time();
    const received = Date.now();
    const redisMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    this.offsetMs = redisMs - (sent + received) / 2;
  }
}

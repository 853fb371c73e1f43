/**
 * Micro-batching for a sender that is slow per call but cheap per item (kafkajs has no
 * linger). Items collect for `lingerMs` (0: until the end of the current event-loop turn)
 * or until `maxItems`; one batch is in flight at a time, and what arrives meanwhile goes out
 * as soon as it returns. Each caller's promise settles with its own batch.
 */
interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class MicroBatcher<T> {
  private waiting: Waiting<T>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly send: (items: T[]) => Promise<void>,
    private readonly lingerMs: number,
    private readonly maxItems: number,
  ) {}

  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.inFlight !== undefined) return;
      if (this.waiting.length >= this.maxItems) this.flush();
      // A turn of a busy loop answers many Redis replies at once: setImmediate gathers all
      // of that turn's admissions, where a 1 ms timer would wait for the next turn.
      else if (this.lingerMs === 0) this.immediate ??= setImmediate(() => this.flush());
      else this.timer ??= setTimeout(() => this.flush(), this.lingerMs);
    });
  }

  get pending(): number {
    return this.waiting.length;
  }

  /** Resolves when everything added so far has been sent (or failed). */
  async drain(): Promise<void> {
    while (this.inFlight !== undefined || this.waiting.length > 0) {
      if (this.inFlight === undefined) this.flush();
      await this.inFlight?.catch(() => undefined);
    }
  }

  private flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.immediate !== undefined) {
      clearImmediate(this.immediate);
      this.immediate = undefined;
    }
    if (this.inFlight !== undefined || this.waiting.length === 0) return;
    const batch = this.waiting.splice(0, this.maxItems);
    this.inFlight = this.send(batch.map((entry) => entry.item)).then(
      () => {
        for (const entry of batch) entry.resolve();
      },
      (err: unknown) => {
        for (const entry of batch) entry.reject(err);
      },
    );
    void this.inFlight.finally(() => {
      this.inFlight = undefined;
      if (this.waiting.length > 0) this.flush();
    });
  }
}

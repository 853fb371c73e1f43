/**
 * The producer's micro-batcher: what gathers into one batch, one batch in flight at a time,
 * and each caller settling with its own batch.
 */
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { MicroBatcher } from '../../../src/queue/kafka/micro-batcher.js';

function recorder(delayMs = 0, failWhen: (items: number[]) => boolean = () => false) {
  const batches: number[][] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const send = async (items: number[]): Promise<void> => {
    batches.push(items);
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    await sleep(delayMs);
    inFlight--;
    if (failWhen(items)) throw new Error(`batch ${items.join(',')} refused`);
  };
  return { batches, send, maxInFlight: () => maxInFlight };
}

t.test('linger 0: what one event-loop turn adds goes out as one batch at the end of that turn', async (t) => {
  const r = recorder();
  const batcher = new MicroBatcher<number>(r.send, 0, 1000);
  const done = [1, 2, 3].map((n) => batcher.add(n));
  t.same(r.batches, [], 'nothing is sent while the turn is still running');
  await Promise.all(done);
  t.same(r.batches, [[1, 2, 3]]);
});

t.test('linger N: items gather for N ms; maxItems sends at once', async (t) => {
  const r = recorder();
  const batcher = new MicroBatcher<number>(r.send, 20, 3);
  const first = batcher.add(1);
  await sleep(5);
  const second = batcher.add(2);
  await Promise.all([first, second]);
  t.same(r.batches, [[1, 2]], 'added 5 ms apart, sent together after the linger');
  await Promise.all([3, 4, 5].map((n) => batcher.add(n)));
  t.same(r.batches[1], [3, 4, 5], 'a full batch goes without waiting');
});

t.test('one batch in flight; what arrives meanwhile goes out next, together', async (t) => {
  const r = recorder(30);
  const batcher = new MicroBatcher<number>(r.send, 0, 1000);
  const first = batcher.add(1);
  await sleep(5);
  const later = [2, 3, 4].map((n) => batcher.add(n));
  t.equal(batcher.pending, 3, 'three wait while the first batch is in flight');
  await Promise.all([first, ...later]);
  t.same(r.batches, [[1], [2, 3, 4]]);
  t.equal(r.maxInFlight(), 1);
});

t.test('a failed batch rejects its own callers only; drain waits for everything', async (t) => {
  const r = recorder(5, (items) => items.includes(2));
  const batcher = new MicroBatcher<number>(r.send, 0, 2);
  const results = await Promise.allSettled([1, 2, 3].map((n) => batcher.add(n)));
  t.same(results.map((x) => x.status), ['rejected', 'rejected', 'fulfilled'], 'batch [1,2] failed, [3] went through');
  const pending = [4, 5, 6].map((n) => batcher.add(n));
  await batcher.drain();
  t.equal(batcher.pending, 0);
  t.same(r.batches.slice(2), [[4, 5], [6]]);
  await Promise.all(pending);
});

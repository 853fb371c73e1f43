/**
 * Consumer lag without a broker: the offset arithmetic, and the probe's one-read-in-flight
 * wrapper around a reader the test controls.
 */
import t from 'tap';
import { lagFromOffsets, lagProbe, type LagReader, type LagReading } from '../../src/lag/probe.js';
import { captureLog, LEVEL } from '../helpers/log.js';

t.test('lag per partition: end minus committed; from the start when nothing is committed', async (t) => {
  const ends = [
    { partition: 0, low: '0', high: '100' },
    { partition: 1, low: '40', high: '90' },
    { partition: 2, low: '5', high: '30' },
    { partition: 3, low: '0', high: '0' },
  ];
  const committed = new Map([
    [0, 75],
    [2, -1],
  ]);
  t.same(lagFromOffsets(ends, committed), {
    messages: 25 + 50 + 25 + 0,
    partitions: [
      { partition: 0, lag: 25 },
      { partition: 1, lag: 50 },
      { partition: 2, lag: 25 },
      { partition: 3, lag: 0 },
    ],
  });
});

t.test('never negative: a commit past the end offset counts as no lag', async (t) => {
  t.same(lagFromOffsets([{ partition: 0, low: '0', high: '10' }], new Map([[0, 12]])), { messages: 0, partitions: [{ partition: 0, lag: 0 }] });
  t.same(lagFromOffsets([], new Map()), { messages: 0, partitions: [] });
});

t.test('offsets past 2^32 (strings from the admin API) are read exactly', async (t) => {
  t.equal(lagFromOffsets([{ partition: 0, low: '0', high: '5000000000123' }], new Map([[0, 5_000_000_000_000]])).messages, 123);
});

/** A reader whose readings the test hands out one by one. */
function controlledReader() {
  const pending: { resolve: (reading: Omit<LagReading, 'at'>) => void; reject: (err: Error) => void }[] = [];
  const read: LagReader = () => new Promise((resolve, reject) => pending.push({ resolve, reject }));
  return { read, pending };
}

const source = { queue: 'kafka', topic: 'issue-requests', group: 'writers' } as const;

t.test('one read in flight: read() and refresh() while reading share it', async (t) => {
  const reader = controlledReader();
  const probe = lagProbe(source, reader.read, async () => undefined, captureLog().log);
  t.same(probe.latest(), { messages: null, at: 0 }, 'nothing read yet');
  const first = probe.read();
  probe.refresh();
  const second = probe.read();
  t.equal(reader.pending.length, 1, 'the reader was called once');
  const before = Date.now();
  reader.pending[0]?.resolve({ messages: 7, partitions: [{ partition: 0, lag: 7 }] });
  const [a, b] = await Promise.all([first, second]);
  t.equal(a, b, 'both callers get the same reading');
  t.match(a, { messages: 7, partitions: [{ partition: 0, lag: 7 }] });
  t.ok(a.at >= before, 'stamped when read');
  t.equal(probe.latest(), a);
  probe.refresh();
  t.equal(reader.pending.length, 2, 'a new read once the last one is done');
  t.equal(probe.latest(), a, 'latest() keeps the last reading meanwhile');
});

t.test('a failed read is a reading with messages null and the error; warned once per streak', async (t) => {
  const reader = controlledReader();
  const { log, lines } = captureLog();
  const probe = lagProbe(source, reader.read, async () => undefined, log);
  const failures: Promise<LagReading>[] = [];
  for (let i = 0; i < 2; i++) {
    failures.push(probe.read());
    reader.pending[i]?.reject(new Error('broker unreachable'));
    await failures[i];
  }
  t.match(await failures[1], { messages: null, error: 'broker unreachable' });
  t.equal(probe.latest().messages, null);
  t.ok(probe.latest().at > 0);
  t.same(
    lines.map((line) => [line.level, line.msg, line.err]),
    [[LEVEL.warn, 'consumer lag unreadable', 'broker unreachable']],
  );
  const recovered = probe.read();
  reader.pending[2]?.resolve({ messages: 0 });
  t.same((await recovered).error, undefined, 'a good reading clears the error');
  const failing = probe.read();
  reader.pending[3]?.reject(new Error('broker unreachable'));
  await failing;
  t.equal(lines.length, 2, 'a new streak warns again');
});

t.test('the probe exposes its source and closes through the given function', async (t) => {
  let closed = 0;
  const probe = lagProbe(source, controlledReader().read, async () => void closed++, captureLog().log);
  t.equal(probe.source, source);
  await probe.close();
  t.equal(closed, 1);
});

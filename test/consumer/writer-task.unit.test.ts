/** Packing a batch for a writer thread keeps every value, byte for byte, in order; decoding a task sorts out the poison. */
import t from 'tap';
import fc from 'fast-check';
import { decodeTask, packTask, transferListOf, unpackTask } from '../../src/consumer/writer-task.js';
import { encodeIssueRequest } from '../../src/queue/message.js';

t.test('pack then unpack gives back every value (strings, buffers, empty ones)', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.string({ unit: 'binary' }), fc.uint8Array().map((bytes) => Buffer.from(bytes)), fc.constant(null))), (values) => {
      const task = packTask(values, false);
      const back = unpackTask(structuredClone(task, { transfer: [task.data.buffer as ArrayBuffer, task.ends.buffer as ArrayBuffer] }));
      const expected = values.map((value) => (value === null ? Buffer.alloc(0) : Buffer.from(value)));
      return back.length === expected.length && back.every((buffer, i) => buffer.equals(expected[i] as Buffer));
    }),
  );
  t.pass('no counterexample');
});

t.test('a task splits into issue requests and undecodable messages, each with its place in the task', async (t) => {
  const request = (userId: string, ticket: number): string => encodeIssueRequest({ couponId: 9, userId, ticket, admittedAt: 1 });
  const task = packTask([request('a', 1), null, 'not json', request('b', 2), request('bad id', 3)], false);
  const { requests, undecodable } = decodeTask(unpackTask(task));
  t.same(requests, [
    { couponId: 9, userId: 'a', ticket: 1, admittedAt: 1, index: 0 },
    { couponId: 9, userId: 'b', ticket: 2, admittedAt: 1, index: 3 },
  ]);
  t.same(undecodable, [
    { index: 1, reason: 'message is not JSON' },
    { index: 2, reason: 'message is not JSON' },
    { index: 4, reason: 'bad userId' },
  ]);
});

t.test('collectIssued travels with the task; an empty batch packs to nothing', async (t) => {
  t.equal(packTask([], true).collectIssued, true);
  t.equal(packTask([], false).data.byteLength, 0);
  t.same(decodeTask(unpackTask(packTask([], false))), { requests: [], undecodable: [] });
});

t.test("the transfer list is the task's own buffers (not Node's shared pool)", async (t) => {
  const task = packTask(['x'.repeat(10), Buffer.from('y')], false);
  const [data, ends] = transferListOf(task);
  t.equal(data, task.data.buffer);
  t.equal(ends, task.ends.buffer);
  t.equal(data?.byteLength, 11, 'exactly the packed bytes, so transferring takes nothing else along');
});

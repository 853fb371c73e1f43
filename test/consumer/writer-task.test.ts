/** Packing a batch for a writer thread keeps every value, byte for byte, in order. */
import t from 'tap';
import fc from 'fast-check';
import { packTask, unpackTask } from '../../src/consumer/writer-task.js';

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

/** The issue request on the queue: what is encoded decodes back, anything else is poison. */
import t from 'tap';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { decodeIssueRequest, encodeIssueRequest, UndecodableMessage, type IssueRequest } from '../../src/queue/message.js';

const issueRequest: fc.Arbitrary<IssueRequest> = fc.record({
  couponId: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  userId: fc.stringMatching(/^[A-Za-z0-9_.:@-]{1,64}$/),
  ticket: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  // + 0: JSON has no -0.
  admittedAt: fc.double({ noNaN: true, noDefaultInfinity: true }).map((ms) => ms + 0),
});

t.test('encode then decode gives the request back, from a string or a Buffer', async (t) => {
  fc.assert(
    fc.property(issueRequest, (generated) => {
      const request = { ...generated }; // fast-check's records have no prototype
      const encoded = encodeIssueRequest(request);
      return isDeepStrictEqual(decodeIssueRequest(encoded), request) && isDeepStrictEqual(decodeIssueRequest(Buffer.from(encoded)), request);
    }),
  );
  t.pass('no counterexample');
});

t.test('the encoding is the compact one', async (t) => {
  t.equal(encodeIssueRequest({ couponId: 7, userId: 'u1', ticket: 3, admittedAt: 1700000000000 }), '{"c":7,"u":"u1","t":3,"a":1700000000000}');
});

const good = { c: 7, u: 'u1', t: 3, a: 1700000000000 };
const poison: [string, string | Buffer | null | undefined, string][] = [
  ['null (a tombstone)', null, 'empty message'],
  ['undefined', undefined, 'empty message'],
  ['an empty buffer', Buffer.alloc(0), 'message is not JSON'],
  ['text', 'hello', 'message is not JSON'],
  ['invalid UTF-8 bytes', Buffer.from([0xff, 0xfe, 0x7b]), 'message is not JSON'],
  ['JSON null', 'null', 'message is not an object'],
  ['a JSON number', '42', 'message is not an object'],
  ['an array', '[7,"u1",3,1]', 'bad couponId'],
  ['the long field names', JSON.stringify({ couponId: 7, userId: 'u1', ticket: 3, admittedAt: 1 }), 'bad couponId'],
  ['couponId 0', JSON.stringify({ ...good, c: 0 }), 'bad couponId'],
  ['couponId as a string', JSON.stringify({ ...good, c: '7' }), 'bad couponId'],
  ['couponId past 2^53', '{"c":9007199254740993,"u":"u1","t":3,"a":1}', 'bad couponId'],
  ['a userId with a space', JSON.stringify({ ...good, u: 'a b' }), 'bad userId'],
  ['a userId too long', JSON.stringify({ ...good, u: 'u'.repeat(65) }), 'bad userId'],
  ['no userId', JSON.stringify({ ...good, u: undefined }), 'bad userId'],
  ['ticket 0', JSON.stringify({ ...good, t: 0 }), 'bad ticket'],
  ['a fractional ticket', JSON.stringify({ ...good, t: 1.5 }), 'bad ticket'],
  ['admittedAt as a date string', JSON.stringify({ ...good, a: '2026-01-01T00:00:00Z' }), 'bad admittedAt'],
  ['no admittedAt', JSON.stringify({ ...good, a: null }), 'bad admittedAt'],
];

for (const [name, raw, reason] of poison) {
  t.test(`poison: ${name} -> ${reason}`, async (t) => {
    t.throws(() => decodeIssueRequest(raw), new UndecodableMessage(reason));
    t.throws(() => decodeIssueRequest(raw), UndecodableMessage);
  });
}

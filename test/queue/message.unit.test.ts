/** The issue request on the queue: what is encoded decodes back, anything else is poison. */
import t from 'tap';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { decodeIssueRequest, encodeIssueRequest, parseIssueRequest, UndecodableMessage, type IssueRequest } from '../../src/queue/message.js';

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

/** What a decode gives: the request, or the reason it is poison. */
function outcome(decode: () => IssueRequest): IssueRequest | string {
  try {
    return decode();
  } catch (err) {
    if (!(err instanceof UndecodableMessage)) throw err;
    return err.message;
  }
}

t.test('the one-step read of the compact layout answers as JSON.parse does, on the layout and on every near miss', async (t) => {
  // One character inserted, removed or replaced anywhere in a real encoding: a digit too many,
  // a lost quote, a sign, a space, a byte past ASCII.
  const nearMiss = fc.tuple(issueRequest, fc.nat(), fc.constantFrom('insert', 'remove', 'replace'), fc.constantFrom(...'0123456789-+.e ",:{}uU\u00e9\u20ac')).map(([request, at, edit, char]) => {
    const encoded = encodeIssueRequest({ ...request });
    const i = at % (encoded.length + 1);
    if (edit === 'insert') return encoded.slice(0, i) + char + encoded.slice(i);
    if (edit === 'remove') return encoded.slice(0, i) + encoded.slice(i + 1);
    return encoded.slice(0, i) + char + encoded.slice(i + 1);
  });
  fc.assert(
    fc.property(fc.oneof(issueRequest.map((request) => encodeIssueRequest({ ...request })), nearMiss), (text) => {
      const general = outcome(() => parseIssueRequest(text));
      return isDeepStrictEqual(outcome(() => decodeIssueRequest(text)), general) && isDeepStrictEqual(outcome(() => decodeIssueRequest(Buffer.from(text))), general);
    }),
    { numRuns: 20_000 },
  );
  t.pass('no counterexample');
});

t.test('the edges of the one-step read', async (t) => {
  const cases = [
    '{"c":9007199254740991,"u":"u1","t":9007199254740991,"a":-0}',
    '{"c":9007199254740992,"u":"u1","t":3,"a":1}',
    '{"c":1,"u":"u1","t":9007199254740993,"a":1}',
    '{"c":07,"u":"u1","t":3,"a":1}',
    '{"c":7,"u":"u1","t":3,"a":1.5}',
    '{"c":7,"u":"u1","t":3,"a":1e3}',
    '{"c":7, "u":"u1","t":3,"a":1}',
    '{"u":"u1","c":7,"t":3,"a":1}',
    `{"c":7,"u":"${'u'.repeat(64)}","t":3,"a":1}`,
    `{"c":7,"u":"${'u'.repeat(65)}","t":3,"a":1}`,
  ];
  for (const text of cases) t.same(outcome(() => decodeIssueRequest(text)), outcome(() => parseIssueRequest(text)), text);
  t.equal(outcome(() => decodeIssueRequest(Buffer.from('{"c":7,"u":"u\u00e9","t":3,"a":1}'))), 'bad userId', 'a byte past ASCII is read as UTF-8 and refused by the general path');
});

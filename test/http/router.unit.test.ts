/**
 * What a client gets when a handler throws (replyForError): an AppError as its own code,
 * the database away as a 503 to retry, anything else as a 500 whose request id is in the
 * reply and in the error log line.
 */
import t from 'tap';
import { AppError } from '../../src/errors.js';
import type { RequestContext } from '../../src/http/request.js';
import { replyForError } from '../../src/http/router.js';
import { captureLog, LEVEL } from '../helpers/log.js';

function context(requestId: string): RequestContext {
  return { method: 'POST', url: '/api/coupons/1/issue', params: ['1'], authorization: '', remoteAddress: '127.0.0.1', forwardedFor: '', requestId, body: async () => Buffer.alloc(0) };
}

/** The database dropped the connection, as mysql2 reports it. */
function connectionLost(): Error {
  return Object.assign(new Error('Connection lost: The server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST', fatal: true });
}

t.test('an AppError answers with its status and code, the reply built once per error', async (t) => {
  const { log, lines } = captureLog();
  const soldOut = new AppError('SOLD_OUT', 'no coupons left');
  const reply = replyForError(soldOut, log, context('r1'));
  t.equal(reply.status, 409);
  t.same(JSON.parse(reply.body), { error: { code: 'SOLD_OUT', message: 'no coupons left' } });
  t.notOk(reply.close, 'the connection stays open');
  t.equal(replyForError(soldOut, log, context('r2')), reply, 'the same error gives the same reply object');
  t.not(replyForError(new AppError('SOLD_OUT', 'no coupons left'), log), reply, 'another error object gets its own');
  t.same(lines, [], 'refusals are not logged');
});

t.test('field errors travel in the body', async (t) => {
  const reply = replyForError(new AppError('VALIDATION_FAILED', 'the coupon is not valid', { fields: [{ field: 'name', message: 'required' }] }), captureLog().log);
  t.equal(reply.status, 400);
  t.same(JSON.parse(reply.body).error.fields, [{ field: 'name', message: 'required' }]);
});

t.test('a body too large closes the connection (the rest of it is never read)', async (t) => {
  const reply = replyForError(new AppError('PAYLOAD_TOO_LARGE', 'too large'), captureLog().log);
  t.equal(reply.status, 413);
  t.equal(reply.close, true);
});

for (const [name, err] of [
  ['a lost connection (fatal)', connectionLost()],
  ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' })],
  ['too many connections', Object.assign(new Error('Too many connections'), { code: 'ER_CON_COUNT_ERROR' })],
] as const) {
  t.test(`the database away (${name}) is a 503 UNAVAILABLE with the request id`, async (t) => {
    const { log, lines } = captureLog();
    const reply = replyForError(err, log, context('client-42'));
    t.equal(reply.status, 503);
    t.same(reply.headers, { 'X-Request-Id': 'client-42' }, "the caller's own request id");
    const body = JSON.parse(reply.body);
    t.equal(body.error.code, 'UNAVAILABLE');
    t.match(body.error.message, /client-42/);
    t.same(
      lines.map((line) => [line.level, line.requestId]),
      [[LEVEL.warn, 'client-42']],
      'a warning, not an error',
    );
  });
}

t.test('anything else is a 500 INTERNAL: request id in reply and log, no detail in the body', async (t) => {
  const { log, lines } = captureLog();
  const reply = replyForError(new TypeError("Cannot read properties of undefined (reading 'x')"), log, context('trace-7'));
  t.equal(reply.status, 500);
  t.same(reply.headers, { 'X-Request-Id': 'trace-7' });
  const body = JSON.parse(reply.body);
  t.equal(body.error.code, 'INTERNAL');
  t.match(body.error.message, /trace-7/);
  t.notMatch(reply.body, /reading 'x'|TypeError|\.js:\d+/, 'neither the message nor the stack');
  t.equal(lines.length, 1);
  t.match(lines[0], { level: LEVEL.error, msg: 'unexpected error while handling a request', requestId: 'trace-7', url: '/api/coupons/1/issue', err: { type: 'TypeError', stack: String } });
});

t.test("an unusable or missing caller id is replaced by one of ours, the same in reply and log", async (t) => {
  const { log, lines } = captureLog();
  const ids = [context('has spaces'), context('x'.repeat(65)), context(''), undefined].map((ctx) => {
    const reply = replyForError(new Error('boom'), log, ctx);
    return reply.headers?.['X-Request-Id'];
  });
  t.same(
    lines.map((line) => line.requestId),
    ids,
  );
  t.equal(new Set(ids).size, 4, 'each request gets its own');
  for (const id of ids) t.match(id, new RegExp(`^${process.pid}-\\d+$`));
});

t.test('a non-Error thrown value is still a 500', async (t) => {
  const { log, lines } = captureLog();
  t.equal(replyForError('a string', log).status, 500);
  t.equal(replyForError(undefined, log).status, 500);
  t.equal(lines.length, 2);
});

/** Request bodies: only a JSON object gets past parseJsonObject, anything else is INVALID_JSON. */
import t from 'tap';
import { AppError } from '../../src/errors.js';
import { parseJsonObject } from '../../src/http/request.js';

t.test('a JSON object comes back as it was sent', async (t) => {
  t.same(parseJsonObject(Buffer.from('{"userId":"u1","n":[1,{"x":null}]}')), { userId: 'u1', n: [1, { x: null }] });
  t.same(parseJsonObject(Buffer.from(' {} ')), {});
  t.same(parseJsonObject(Buffer.from('{"name":"caf\u00e9 \u2615"}')), { name: 'café ☕' }, 'read as UTF-8');
});

for (const [name, body, message] of [
  ['malformed JSON', '{"userId": ', 'request body must be valid JSON'],
  ['an empty body', '', 'request body must be valid JSON'],
  ['an array', '["u1"]', 'request body must be a JSON object'],
  ['null', 'null', 'request body must be a JSON object'],
  ['a string', '"u1"', 'request body must be a JSON object'],
  ['a number', '42', 'request body must be a JSON object'],
] as const) {
  t.test(`${name} is INVALID_JSON (400)`, async (t) => {
    t.throws(() => parseJsonObject(Buffer.from(body)), new AppError('INVALID_JSON', message));
    t.throws(() => parseJsonObject(Buffer.from(body)), { code: 'INVALID_JSON', status: 400 });
  });
}

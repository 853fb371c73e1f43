/** The gate scripts' replies decoded without Redis: what admit, release and restore-users return. */
import t from 'tap';
import { GateCode } from '../../src/gate/codes.js';
import { ALREADY_REBUILT, decodeAdmitReply, decodeFlag, decodeRestoreReply, MISSING } from '../../src/gate/scripts.js';
import { UnexpectedScriptReply } from '../../src/redis/scripts.js';

t.test('admit: {0} alone means the gate keys are missing', async (t) => {
  t.equal(decodeAdmitReply([GateCode.MISSING]), MISSING);
});

t.test('admit: code/ticket pairs become one result per request, in order', async (t) => {
  t.same(decodeAdmitReply([1, 41, 2, 7, 3, 0, 4, 0, 5, 0]), [
    { code: GateCode.ADMITTED, ticket: 41 },
    { code: GateCode.ALREADY_ISSUED, ticket: 7 },
    { code: GateCode.SOLD_OUT, ticket: 0 },
    { code: GateCode.NOT_STARTED, ticket: 0 },
    { code: GateCode.EXPIRED, ticket: 0 },
  ]);
  t.same(decodeAdmitReply([]), [], 'an empty batch');
});

t.test('admit: anything else is an UnexpectedScriptReply', async (t) => {
  t.throws(() => decodeAdmitReply([1, 41, 2]), { name: 'UnexpectedScriptReply', message: 'admit-3 returned 3 numbers, expected pairs' });
  t.throws(() => decodeAdmitReply([6, 1]), { name: 'UnexpectedScriptReply', message: 'admit-3 returned code 6' });
  t.throws(() => decodeAdmitReply([1, 1, 0, 0]), { message: 'admit-3 returned code 0' }, 'MISSING only as the whole reply');
  t.throws(() => decodeAdmitReply([-1, 0]), UnexpectedScriptReply);
  t.throws(() => decodeAdmitReply([1]), { message: 'admit-3 returned 1 numbers, expected pairs' });
  t.throws(() => decodeAdmitReply(['1', '2']), UnexpectedScriptReply, 'strings');
  t.throws(() => decodeAdmitReply(0), UnexpectedScriptReply, 'not an array');
});

t.test('flags: 1 and 0 only', async (t) => {
  t.equal(decodeFlag('release-2', 1), true);
  t.equal(decodeFlag('release-2', 0), false);
  t.throws(() => decodeFlag('release-2', 2), { name: 'UnexpectedScriptReply', message: 'release-2 returned 2, expected 0 or 1' });
  t.throws(() => decodeFlag('init-meta-1', 'OK'), { name: 'UnexpectedScriptReply', message: /^init-meta-1 returned/ });
});

t.test('restore-users: users added, or ALREADY_REBUILT for -1', async (t) => {
  t.equal(decodeRestoreReply(0), 0);
  t.equal(decodeRestoreReply(250), 250);
  t.equal(decodeRestoreReply(-1), ALREADY_REBUILT);
  t.throws(() => decodeRestoreReply(-2), { name: 'UnexpectedScriptReply', message: 'restore-users-2 returned -2' });
  t.throws(() => decodeRestoreReply(null), UnexpectedScriptReply);
});

/** The gate scripts' replies decoded without Redis: admit, call-outcome, release-call, init-meta, finish-rebuild, begin-rebuild and stage-users. */
import t from 'tap';
import { GateCode } from '../../src/gate/codes.js';
import { decodeAdmitReply, decodeBeginRebuild, decodeCallOutcome, decodeFlag, decodeReleaseReply, decodeStageReply, LOST_MARK, parseMarker } from '../../src/gate/scripts.js';
import { UnexpectedScriptReply } from '../../src/redis/scripts.js';

t.test('admit: {-3} is BEHIND, {-2} is REBUILDING, {-1} is LATE, {0} is MISSING', async (t) => {
  t.same(decodeAdmitReply([-3]), { status: 'BEHIND' });
  t.same(decodeAdmitReply([-2]), { status: 'REBUILDING' });
  t.same(decodeAdmitReply([-1]), { status: 'LATE' });
  t.same(decodeAdmitReply([0]), { status: 'MISSING' });
});

t.test("admit: DECIDED carries Redis's time and one code/ticket pair per request, in order", async (t) => {
  t.same(decodeAdmitReply([1, 1700000000123, 1, 41, 2, 7, 3, 0, 4, 0, 5, 0]), {
    status: 'DECIDED',
    now: 1700000000123,
    decisions: [
      [GateCode.ADMITTED, 41],
      [GateCode.ALREADY_ISSUED, 7],
      [GateCode.SOLD_OUT, 0],
      [GateCode.NOT_STARTED, 0],
      [GateCode.EXPIRED, 0],
    ],
  });
  t.same(decodeAdmitReply([1, 5]), { status: 'DECIDED', now: 5, decisions: [] }, 'an empty batch');
});

t.test('admit: anything else is an UnexpectedScriptReply', async (t) => {
  t.throws(() => decodeAdmitReply([1, 5, 1]), UnexpectedScriptReply, 'odd length');
  t.throws(() => decodeAdmitReply([1, 5, 6, 1]), { name: 'UnexpectedScriptReply', message: 'admit-4 returned code 6' });
  t.throws(() => decodeAdmitReply([1, 5, 0, 0]), { message: 'admit-4 returned code 0' }, 'MISSING only as the whole reply');
  t.throws(() => decodeAdmitReply([2, 5]), UnexpectedScriptReply, 'unknown status');
  t.throws(() => decodeAdmitReply(['1', '2']), UnexpectedScriptReply, 'strings');
  t.throws(() => decodeAdmitReply(0), UnexpectedScriptReply, 'not an array');
});

t.test('hand-off markers and call outcomes', async (t) => {
  t.same(parseMarker('900|800|u1|1|u2|2'), { deadline: 900, admittedAt: 800, admitted: [['u1', 1], ['u2', 2]] });
  t.throws(() => parseMarker('900|800'), UnexpectedScriptReply, 'a marker names at least one admission');
  t.throws(() => parseMarker('900|800|u1'), UnexpectedScriptReply, 'user without ticket');
  t.equal(decodeCallOutcome([-1]), 'TOO_EARLY');
  t.equal(decodeCallOutcome([0]), 'ADMITTED_NOBODY');
  t.same(decodeCallOutcome([1, '9|8|a|3']), { deadline: 9, admittedAt: 8, admitted: [['a', 3]] });
  t.throws(() => decodeCallOutcome([1]), UnexpectedScriptReply, 'a marker is required');
  t.throws(() => decodeCallOutcome('x'), UnexpectedScriptReply);
  t.equal(decodeReleaseReply([-1]), 'TOO_EARLY');
  t.same(decodeReleaseReply([2, 1]), { released: 2, kept: 1 });
  t.throws(() => decodeReleaseReply([2]), UnexpectedScriptReply);
});

t.test('flags: 1 and 0 only', async (t) => {
  t.equal(decodeFlag('finish-rebuild-5', 1), true);
  t.equal(decodeFlag('finish-rebuild-5', 0), false);
  t.throws(() => decodeFlag('finish-rebuild-5', 2), { name: 'UnexpectedScriptReply', message: 'finish-rebuild-5 returned 2, expected 0 or 1' });
  t.throws(() => decodeFlag('init-meta-1', 'OK'), { name: 'UnexpectedScriptReply', message: /^init-meta-1 returned/ });
});

t.test('rebuild: begin holds or not, stage counts or lost the mark', async (t) => {
  t.equal(decodeBeginRebuild([1, 'me']), true);
  t.equal(decodeBeginRebuild([0, 'other']), false);
  t.throws(() => decodeBeginRebuild([2, 'x']), UnexpectedScriptReply);
  t.throws(() => decodeBeginRebuild(1), UnexpectedScriptReply);
  t.equal(decodeStageReply(0), 0);
  t.equal(decodeStageReply(1000), 1000);
  t.equal(decodeStageReply(-1), LOST_MARK);
  t.throws(() => decodeStageReply(-2), { name: 'UnexpectedScriptReply', message: 'stage-users-2 returned -2' });
  t.throws(() => decodeStageReply(null), UnexpectedScriptReply);
});

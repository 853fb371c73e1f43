/**
 * The writers' error classification, on error objects shaped as mysql2 raises them (the
 * live ones are in unavailable.test.ts and the fault sales): which failures spend a try.
 */
import t from 'tap';
import { failureKind, isUnavailableError } from '../../src/store/unavailable.js';

/** What mysql2 raises for a server error packet: code, errno, sqlState, not fatal. */
function serverError(code: string, errno: number, message: string): Error {
  return Object.assign(new Error(message), { code, errno, sqlState: 'HY000', fatal: false });
}

t.test('passing refusals on a healthy connection: wait, keep the connection', async (t) => {
  const passing = [
    serverError('ER_OPTION_PREVENTS_STATEMENT', 1290, 'The MariaDB server is running with the --read-only option'),
    serverError('ER_LOCK_WAIT_TIMEOUT', 1205, 'Lock wait timeout exceeded; try restarting transaction'),
    serverError('ER_LOCK_DEADLOCK', 1213, 'Deadlock found when trying to get lock'),
    serverError('ER_QUERY_INTERRUPTED', 1317, 'Query execution was interrupted'),
    serverError('ER_UNKNOWN_COM_ERROR', 1047, 'WSREP has not yet prepared node for application use'),
  ];
  for (const err of passing) {
    t.equal(failureKind(err), 'passing', err.message);
    t.notOk(isUnavailableError(err), `${err.message}: the connection is not destroyed`);
  }
});

t.test('the number decides, not the name (names differ between mysql2 tables)', async (t) => {
  t.equal(failureKind(serverError('UNKNOWN_CODE_PLEASE_REPORT', 1290, 'read only')), 'passing');
  t.equal(failureKind(serverError('ER_LOCK_WAIT_TIMEOUT', 9999, 'not really')), 'failed');
});

t.test('a broken connection or an unreachable server: unavailable', async (t) => {
  t.equal(failureKind(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', errno: -111 })), 'unavailable');
  t.equal(failureKind(Object.assign(new Error('Connection lost'), { code: 'PROTOCOL_CONNECTION_LOST', fatal: true })), 'unavailable');
  // A fatal error ends the connection whatever its code, even a passing one.
  t.equal(failureKind(Object.assign(serverError('ER_QUERY_INTERRUPTED', 1317, 'killed'), { fatal: true })), 'unavailable');
  t.ok(isUnavailableError({ code: 'ER_CON_COUNT_ERROR', errno: 1040 }));
});

t.test('a statement that failed spends a try', async (t) => {
  t.equal(failureKind(serverError('ER_TABLEACCESS_DENIED_ERROR', 1142, 'INSERT command denied')), 'failed');
  t.equal(failureKind(serverError('ER_NO_SUCH_TABLE', 1146, "Table 'x' doesn't exist")), 'failed');
  t.equal(failureKind(new Error('plain')), 'failed');
  t.equal(failureKind(undefined), 'failed');
  t.equal(failureKind(null), 'failed');
  t.equal(failureKind({ errno: '1290' }), 'failed', 'an errno that is not a number is not trusted');
});

/**
 * The Lua loader without Redis: key counts from file names, the shared reply decoders, and
 * the naming rule of lua/ itself (`<name>-<N>.lua`, its header listing KEYS[1] to KEYS[N]).
 */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LUA_DIR } from '../../src/paths.js';
import { integerArrayReply, integerReply, keyCountOf, stringArrayReply, UnexpectedScriptReply } from '../../src/redis/scripts.js';

t.test('the key count is the number the file name ends with', async (t) => {
  t.equal(keyCountOf('admit-3'), 3);
  t.equal(keyCountOf('queue-recover-3'), 3);
  t.equal(keyCountOf('init-meta-1'), 1);
  t.equal(keyCountOf('x-12'), 12);
  for (const file of ['admit', 'admit-', 'admit-x', '3', '-3', 'Admit-3', 'admit_3', 'admit-3.lua', 'admit-3-']) {
    t.throws(() => keyCountOf(file), { message: `lua/${file}.lua: a script file is named <name>-<key count>.lua` }, file);
  }
});

t.test('integer replies', async (t) => {
  t.equal(integerReply('s-1', 0), 0);
  t.equal(integerReply('s-1', -1), -1);
  for (const reply of [1.5, '1', null, undefined, [1], Number.NaN]) {
    t.throws(() => integerReply('s-1', reply), UnexpectedScriptReply, String(reply));
  }
  t.throws(() => integerReply('s-1', 'OK'), { name: 'UnexpectedScriptReply', message: 's-1 returned "OK", expected an integer' });
});

t.test('integer array replies', async (t) => {
  t.same(integerArrayReply('s-1', []), []);
  t.same(integerArrayReply('s-1', [1, 0, -1]), [1, 0, -1]);
  for (const reply of [1, null, '1,2', [1, '2'], [1, 2.5], [null]]) {
    t.throws(() => integerArrayReply('s-1', reply), UnexpectedScriptReply, JSON.stringify(reply));
  }
  t.throws(() => integerArrayReply('s-1', undefined), UnexpectedScriptReply, 'undefined (no JSON of it)');
  const long = Array.from({ length: 500 }, () => 'x');
  t.throws(() => integerArrayReply('s-1', long), { message: /^s-1 returned \["x".{180,200}, expected an array of integers$/ }, 'a long reply is cut in the message');
});

t.test('string array replies', async (t) => {
  t.same(stringArrayReply('s-2', []), []);
  t.same(stringArrayReply('s-2', ['a', '']), ['a', '']);
  for (const reply of ['a', null, undefined, [1], ['a', null], [Buffer.from('a')]]) {
    t.throws(() => stringArrayReply('s-2', reply), UnexpectedScriptReply, String(reply));
  }
});

/** The leading `--[[ ... ]]` comment of a script. */
function headerOf(source: string): string | undefined {
  return /^--\[\[([\s\S]*?)\]\]/.exec(source)?.[1];
}

/** The distinct i of each KEYS[i] in a text, ascending. */
function keyIndexes(text: string): number[] {
  return [...new Set([...text.matchAll(/KEYS\[(\d+)\]/g)].map((match) => Number(match[1])))].sort((a, b) => a - b);
}

const files = readdirSync(LUA_DIR);

t.test('lua/ holds scripts only', async (t) => {
  t.ok(files.length > 0, 'the scripts are there');
  t.same(
    files.filter((file) => !file.endsWith('.lua')),
    [],
  );
});

for (const file of files.filter((name) => name.endsWith('.lua'))) {
  t.test(`lua/${file}: named <name>-<N>.lua, its header lists KEYS[1] to KEYS[N], its code uses no other key`, async (t) => {
    const keyCount = keyCountOf(file.slice(0, -'.lua'.length));
    const source = readFileSync(join(LUA_DIR, file), 'utf8');
    const header = headerOf(source);
    if (header === undefined) {
      t.fail('the file starts with a --[[ ... ]] header');
      return;
    }
    const expected = Array.from({ length: keyCount }, (_, i) => i + 1);
    t.same(keyIndexes(header), expected, 'keys in the header');
    const listed = [...header.matchAll(/^\s*KEYS\[(\d+)\]/gm)].map((match) => Number(match[1]));
    t.same(listed, expected, 'one header line per key, in order');
    t.same(
      keyIndexes(source.slice(source.indexOf(']]'))).filter((i) => i > keyCount),
      [],
      'no key past N in the code',
    );
  });
}

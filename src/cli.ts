#!/usr/bin/env node
/**
 * `flash-coupon <command> [flags]`: one binary, several commands (src/commands/, one file
 * each). Usage slips exit 2 with the usage; bad values exit 1 with one line naming them.
 */
import { UsageError } from './config/args.js';
import { USAGE } from './commands/usage.js';

type Command = (flags: readonly string[]) => Promise<void>;

/** Loaded on demand, so `serve` never loads what the operator commands need and vice versa. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./commands/serve.js')).serve,
  dlq: async () => (await import('./commands/dlq.js')).dlq,
  reconcile: async () => (await import('./commands/reconcile.js')).reconcile,
};


async function main(): Promise<void> {
  const [name, ...flags] = process.argv.slice(2);
  if (name === '--help' || name === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  try {
    const load = name === undefined || !Object.hasOwn(COMMANDS, name) ? undefined : COMMANDS[name];
    if (load === undefined) throw new UsageError(name === undefined ? 'no command' : `unknown command "${name}"`);
    await (await load())(flags);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`flash-coupon: ${err.message}\n${USAGE}\n`);
      process.exit(2);
    }
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
}

void main();

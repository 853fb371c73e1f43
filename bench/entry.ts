/** The shared start of every bench command: parse argv, print usage on a bad flag or --help, run, exit with its code. */
import { UsageError } from '../src/config/args.js';
import { say } from './run.js';

export function runCommand<O extends { readonly help: boolean }>(
  name: string,
  usage: string,
  parse: (argv: readonly string[]) => O,
  main: (options: O) => Promise<number>,
): void {
  let options: O;
  try {
    options = parse(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${name}: ${err.message}\n${usage}\n`);
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  main(options).then(
    (code) => process.exit(code),
    (err: unknown) => {
      say(`failed: ${(err as Error).message}`);
      process.exit(1);
    },
  );
}

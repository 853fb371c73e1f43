/**
 * The one argument parser of every command (service CLI, config flags, `npm run stack`,
 * the bench commands): node:util parseArgs, with one error type and short, stable messages.
 */
import { parseArgs } from 'node:util';

/** A command line that cannot be read: the caller prints the message and the usage, and exits 2. */
export class UsageError extends Error {
  readonly code = 'USAGE' as const;

  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

export type FlagValues<S extends FlagSpecs> = {
  readonly [K in keyof S]?: S[K]['type'] extends 'boolean' ? boolean : string;
};

export interface ParsedArgs<S extends FlagSpecs> {
  readonly values: FlagValues<S>;
  readonly positionals: readonly string[];
  /** What follows a lone `--` (only with `rest: true`). */
  readonly rest: readonly string[];
}

export interface ParseOptions {
  /** Arguments that are not flags are allowed (a command name, a tool); default false. */
  readonly positionals?: boolean;
  /** A lone `--` ends the flags and what follows is handed on untouched; default false. */
  readonly rest?: boolean;
}

/**
 * `--flag value`, `--flag=value`, boolean switches and their short forms; the last of a
 * repeated flag wins (the bench appends the user's service flags after its own). parseArgs
 * runs non-strict for its tokens, so the errors below can name the flag in one line
 * rather than carry parseArgs's paragraph-long messages.
 */
export function parseFlags<const S extends FlagSpecs>(args: readonly string[], specs: S, options: ParseOptions = {}): ParsedArgs<S> {
  const { tokens } = parseArgs({ args: [...args], options: specs, strict: false, allowPositionals: true, tokens: true });
  const values: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'option-terminator') {
      if (options.rest === true) return { values: values as FlagValues<S>, positionals, rest: args.slice(token.index + 1) };
      throw new UsageError('unexpected "--"');
    }
    if (token.kind === 'positional') {
      if (options.positionals !== true) throw new UsageError(`unexpected argument "${token.value}"`);
      positionals.push(token.value);
      continue;
    }
    const spec = Object.hasOwn(specs, token.name) ? specs[token.name] : undefined;
    if (spec === undefined) throw new UsageError(`unknown option ${token.rawName}`);
    if (spec.type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`${token.rawName} takes no value`);
      values[token.name] = true;
      continue;
    }
    // parseArgs takes the next argument even when it is another flag; `--port --queue x` is a forgotten value.
    if (token.value === undefined || (token.inlineValue !== true && token.value.startsWith('-'))) {
      throw new UsageError(`${token.rawName} needs a value`);
    }
    values[token.name] = token.value;
  }
  // Each entry was set from its own spec's type above; TypeScript cannot follow the loop.
  return { values: values as FlagValues<S>, positionals, rest: [] };
}

/**
 * Takes the flags of `specs` out of `args` and hands back the others untouched, in order,
 * for a second reader: a command that accepts its own flags next to the service's.
 * `accept` may leave a flag's value to the second reader (e.g. the same flag name meaning
 * something else there); the flag then stays in `others`.
 */
export function takeFlags<const S extends FlagSpecs>(
  args: readonly string[],
  specs: S,
  accept: (name: keyof S & string, value: string | boolean) => boolean = () => true,
): { values: FlagValues<S>; others: string[] } {
  const { tokens } = parseArgs({ args: [...args], options: specs, strict: false, allowPositionals: true, tokens: true });
  const values: Record<string, string | boolean> = {};
  const taken = new Set<number>();
  for (const token of tokens) {
    if (token.kind === 'option-terminator') break;
    if (token.kind !== 'option' || !Object.hasOwn(specs, token.name)) continue;
    const spec = specs[token.name]!;
    if (spec.type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`${token.rawName} takes no value`);
      values[token.name] = true;
      taken.add(token.index);
      continue;
    }
    if (token.value === undefined || (token.inlineValue !== true && token.value.startsWith('-'))) throw new UsageError(`${token.rawName} needs a value`);
    if (!accept(token.name, token.value)) continue;
    values[token.name] = token.value;
    taken.add(token.index);
    if (token.inlineValue !== true) taken.add(token.index + 1);
  }
  return { values: values as FlagValues<S>, others: args.filter((_arg, index) => !taken.has(index)) };
}

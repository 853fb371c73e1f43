/** Prints the README's configuration table from the config module, so the two never drift. */
import { VARIABLES, flagOf } from '../src/config/variables.js';

export function configTable(): string {
  const rows = Object.entries(VARIABLES).map(([name, variable]) => {
    const shown = variable.default === undefined ? '(unset)' : `\`${variable.default}\``;
    return `| \`${name}\` | \`${flagOf(name)}\` | ${shown} | ${variable.description} |`;
  });
  return ['| variable | flag | default | what it does |', '|---|---|---|---|', ...rows].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\/dist\//, '/dist/'))) {
  process.stdout.write(`${configTable()}\n`);
}

#!/usr/bin/env node
/**
 * `cf-logs`: the project's command line. It runs the same core as the Lambdas.
 *   cf-logs normalize [--dataset NAME] [FILE...]
 */
import { parseArgs } from 'node:util';
import { NORMALIZE_EXIT, runNormalize } from '../lambdas/cli/normalize-command.ts';
import { MAPPERS } from '../lambdas/datasets/index.ts';

const HELP = `cf-logs — Cloudflare logs into an AWS security data lake

Usage:
  cf-logs normalize [--dataset NAME] [FILE...]
      Logpush NDJSON (gzip or plain; standard input when no FILE or FILE is -) to ECS NDJSON on
      standard output. Rejected lines are reported on standard error with their reason, followed by
      a summary line. The dataset comes from --dataset, else from a path laid out like the Logpush
      bucket (.../<dataset>/<id>/<YYYYMMDD>/...), else from each record's fields.
      Exit status: 0 every line normalized, 1 some lines rejected or an input unreadable, 2 usage.
      Datasets with a mapper: ${Object.keys(MAPPERS).sort().join(', ')}

  cf-logs help
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP);
    return command === undefined ? NORMALIZE_EXIT.usage : 0;
  }
  if (command === 'normalize') {
    let parsed: ReturnType<typeof parseNormalizeArgs>;
    try {
      parsed = parseNormalizeArgs(rest);
    } catch (error) {
      process.stderr.write(`cf-logs normalize: ${(error as Error).message}\n${HELP}`);
      return NORMALIZE_EXIT.usage;
    }
    if (parsed.values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    return runNormalize(
      { dataset: parsed.values.dataset, files: parsed.positionals },
      { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
    );
  }
  process.stderr.write(`cf-logs: unknown command "${command}"\n${HELP}`);
  return NORMALIZE_EXIT.usage;
}

function parseNormalizeArgs(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: { dataset: { type: 'string', short: 'd' }, help: { type: 'boolean', short: 'h' } },
  });
}

// EPIPE on stdout (`cf-logs normalize x.gz | head`) ends the command quietly, as Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2));

/**
 * The stack's outputs as `npx cdk deploy --outputs-file cdk-outputs.json` writes them, read by the commands that
 * work on a deployed stack (`logpush`, `backfill`, `redrive`) so the operator does not copy names by hand.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** Default file `cdk deploy --outputs-file` writes, read for the bucket, queues, region and secret. */
export const DEFAULT_OUTPUTS_FILE = 'cdk-outputs.json';

/** An output every cf-logs stack has: it tells this project's stacks from others in a shared outputs file. */
const STACK_MARKER = 'LogpushBucketName';

/** The outputs file is missing, unreadable, or does not say which stack to use: a usage error of the command. */
export class StackOutputsError extends Error {
  override readonly name = 'StackOutputsError';
}

/** Where to look: `--outputs FILE` and `--stack NAME` of the command line, relative to `cwd`. */
export interface StackOutputsOptions {
  readonly outputs?: string;
  readonly stack?: string;
  readonly cwd: string;
}

/** The outputs of one cf-logs stack, and the file they came from. */
export interface StackOutputs {
  readonly file: string;
  readonly values: Readonly<Record<string, string>>;
}

/**
 * The cf-logs stack's outputs: from `--outputs FILE` (which must exist), else from `cdk-outputs.json` when present.
 * With several cf-logs stacks in the file, `--stack NAME` chooses.
 *
 * @returns undefined when no file was named and the default one is absent or holds no cf-logs stack.
 * @throws StackOutputsError naming the file and what is wrong with it.
 */
export function readStackOutputs(options: StackOutputsOptions): StackOutputs | undefined {
  const file = resolve(options.cwd, options.outputs ?? DEFAULT_OUTPUTS_FILE);
  if (!existsSync(file)) {
    if (options.outputs !== undefined)
      throw new StackOutputsError(`--outputs ${options.outputs}: no such file`);
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new StackOutputsError(`${file} is not JSON (${(error as Error).message})`);
  }
  const stacks = Object.entries(isRecord(parsed) ? parsed : {}).filter(
    ([, values]) => isRecord(values) && typeof values[STACK_MARKER] === 'string',
  ) as [string, Record<string, string>][];
  if (options.stack !== undefined) {
    const found = stacks.find(([name]) => name === options.stack);
    if (!found) {
      throw new StackOutputsError(`${file} has no stack ${options.stack} with a ${STACK_MARKER} output`);
    }
    return { file, values: found[1] };
  }
  if (stacks.length === 0) {
    if (options.outputs !== undefined) {
      throw new StackOutputsError(`${file} has no stack with a ${STACK_MARKER} output`);
    }
    return undefined;
  }
  if (stacks.length > 1) {
    throw new StackOutputsError(
      `${file} holds several cf-logs stacks (${stacks.map(([n]) => n).join(', ')}): pass --stack NAME`,
    );
  }
  return { file, values: stacks[0]![1] };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

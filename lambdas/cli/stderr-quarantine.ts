import type { Writable } from 'node:stream';
import type { Quarantine, QuarantineEntry } from '../core/quarantine.ts';

/** Longest part of a rejected line shown on the terminal. */
const SHOWN_CHARS = 300;

/**
 * The command lines' quarantine: each rejected line is reported on standard error as `<prefix>: <reason>`
 * followed by the line itself, shortened. `prefix` names the command and, when known, the input and line number.
 */
export class StderrQuarantine implements Quarantine {
  private readonly err: Writable;
  private readonly prefix: (entry: QuarantineEntry) => string;
  private count = 0;

  constructor(err: Writable, prefix: (entry: QuarantineEntry) => string) {
    this.err = err;
    this.prefix = prefix;
  }

  add(entry: QuarantineEntry): undefined {
    this.count++;
    const raw =
      entry.raw === undefined
        ? ''
        : `\n  ${entry.raw.length > SHOWN_CHARS ? `${entry.raw.slice(0, SHOWN_CHARS)}…` : entry.raw}`;
    this.err.write(`${this.prefix(entry)}: ${entry.reason}${raw}\n`);
    return undefined;
  }

  async finish(): Promise<number> {
    return this.count;
  }
}

/** `<command>: <input>:<line>` (just the input for an entry about the whole input). */
export function inputLinePrefix(command: string, input: string): (entry: QuarantineEntry) => string {
  return (entry) => `${command}: ${entry.line === null ? input : `${input}:${entry.line}`}`;
}

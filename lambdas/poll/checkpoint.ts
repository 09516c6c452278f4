/**
 * Checkpoint validation and the two stores that need no AWS: in memory (tests) and one JSON file (`cf-logs poll
 * --state FILE`). The S3 store lives in `../adapters/`; all of them hand the poller states checked here.
 */
import { hash, randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { MappingError } from '../core/errors.ts';
import { parseEventTime } from '../core/time.ts';
import {
  CheckpointConflictError,
  type CheckpointState,
  type CheckpointStore,
  POLL_SOURCES,
  type PollSourceName,
  type VersionedCheckpoint,
} from './types.ts';

/** A stored checkpoint that is not a valid one: the run stops instead of silently starting over from the lookback. */
export class CheckpointInvalidError extends Error {
  override readonly name = 'CheckpointInvalidError';
}

/**
 * Checks that `value` (parsed JSON) is a checkpoint of `source`.
 * @param where names the stored checkpoint in error messages (a file, an S3 URL).
 * @throws CheckpointInvalidError naming the problem.
 */
export function parseCheckpointState(value: unknown, source: PollSourceName, where: string): CheckpointState {
  const fail = (problem: string) => new CheckpointInvalidError(`checkpoint ${where}: ${problem}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fail(`expected a JSON object, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`);
  }
  const record = value as Record<string, unknown>;
  if (record.source !== source) {
    const known = POLL_SOURCES.includes(record.source as PollSourceName);
    throw fail(
      known
        ? `holds the checkpoint of ${String(record.source)}, not of ${source}`
        : `"source" is ${JSON.stringify(record.source)}, expected "${source}"`,
    );
  }
  const newest = checkTime(record.newest, 'newest', fail);
  const updatedAt = checkTime(record.updatedAt, 'updatedAt', fail);
  if (!Array.isArray(record.recentIds)) {
    throw fail(`"recentIds" must be an array of event ids, got ${JSON.stringify(record.recentIds)}`);
  }
  const bad = record.recentIds.findIndex((id) => typeof id !== 'string' || id === '');
  if (bad >= 0) {
    throw fail(
      `"recentIds"[${bad}] must be a non-empty string, got ${JSON.stringify(record.recentIds[bad])}`,
    );
  }
  return { source, newest, recentIds: [...(record.recentIds as string[])], updatedAt };
}

/**
 * Parses a stored checkpoint's text.
 * @throws CheckpointInvalidError when the text is not JSON or not a checkpoint of `source`.
 */
export function parseCheckpointText(text: string, source: PollSourceName, where: string): CheckpointState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CheckpointInvalidError(`checkpoint ${where}: not JSON: ${(error as Error).message}`);
  }
  return parseCheckpointState(value, source, where);
}

/** The canonical JSON of a state (fixed field order), as stores write it. */
export function serializeCheckpointState(state: CheckpointState): string {
  return JSON.stringify({
    source: state.source,
    newest: state.newest,
    recentIds: state.recentIds,
    updatedAt: state.updatedAt,
  });
}

function checkTime(value: unknown, field: string, fail: (problem: string) => Error): string {
  if (typeof value !== 'string' || /^\d+$/.test(value)) {
    throw fail(`"${field}" must be an RFC 3339 time, got ${JSON.stringify(value)}`);
  }
  try {
    if (parseEventTime(value) === undefined) throw new MappingError('empty');
  } catch {
    throw fail(`"${field}" must be an RFC 3339 time, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Checkpoints in memory, with version counters like S3 ETags. For tests: {@link MemoryCheckpointStore.beforeWrite}
 * runs just before a write is checked, so a test can slip another run's write in between.
 */
export class MemoryCheckpointStore implements CheckpointStore {
  private readonly states = new Map<PollSourceName, { state: CheckpointState; version: string }>();
  private counter = 0;
  /** Every state written successfully, in order. */
  readonly writes: CheckpointState[] = [];
  /** Writes refused because another writer came first. */
  conflicts = 0;
  /** Called at the start of every {@link write}, before the version is compared. */
  beforeWrite: ((state: CheckpointState) => void | Promise<void>) | undefined;

  constructor(initial: readonly CheckpointState[] = []) {
    for (const state of initial) this.put(state);
  }

  async read(source: PollSourceName): Promise<VersionedCheckpoint | undefined> {
    const held = this.states.get(source);
    return held && { state: copy(held.state), version: held.version };
  }

  async write(state: CheckpointState, expected: string | undefined): Promise<string> {
    await this.beforeWrite?.(state);
    const current = this.states.get(state.source)?.version;
    if (current !== expected) {
      this.conflicts++;
      throw new CheckpointConflictError(
        `checkpoint of ${state.source} is at version ${current ?? '(none)'}, expected ${expected ?? '(none)'}`,
      );
    }
    return this.put(state);
  }

  /** Another writer's write: replaces the state unconditionally. @returns the new version. */
  put(state: CheckpointState): string {
    const checked = parseCheckpointState(
      JSON.parse(serializeCheckpointState(state)),
      state.source,
      'in memory',
    );
    const version = `v${++this.counter}`;
    this.states.set(state.source, { state: checked, version });
    this.writes.push(copy(checked));
    return version;
  }

  /** The state held now, if any. */
  current(source: PollSourceName): CheckpointState | undefined {
    const held = this.states.get(source);
    return held && copy(held.state);
  }
}

function copy(state: CheckpointState): CheckpointState {
  return { ...state, recentIds: [...state.recentIds] };
}

/**
 * Checkpoints of every source in one JSON file, `{"checkpoints": {"<source>": {...}}}`, for `cf-logs poll --state`.
 * A source's version is a hash of its canonical state, so formatting or another source's progress never makes a
 * write conflict. A write re-reads the file, compares, and replaces it atomically (temporary file + rename).
 * Two processes racing between the re-read and the rename are not excluded: this store is for one terminal, the
 * deployed poller uses S3's conditional writes.
 */
export class FileCheckpointStore implements CheckpointStore {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  async read(source: PollSourceName): Promise<VersionedCheckpoint | undefined> {
    const state = (await this.load()).get(source);
    return state && { state, version: versionOf(state) };
  }

  async write(state: CheckpointState, expected: string | undefined): Promise<string> {
    const states = await this.load();
    const current = states.get(state.source);
    const currentVersion = current && versionOf(current);
    if (currentVersion !== expected) {
      throw new CheckpointConflictError(
        `checkpoint of ${state.source} in ${this.path} changed since it was read (another run wrote it)`,
      );
    }
    const checked = parseCheckpointState(
      JSON.parse(serializeCheckpointState(state)),
      state.source,
      this.path,
    );
    states.set(state.source, checked);
    const checkpoints: Record<string, unknown> = {};
    for (const source of POLL_SOURCES) {
      const held = states.get(source);
      if (held) checkpoints[source] = JSON.parse(serializeCheckpointState(held));
    }
    const temp = `${this.path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temp, `${JSON.stringify({ checkpoints }, null, 2)}\n`, { flag: 'wx' });
      await rename(temp, this.path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return versionOf(checked);
  }

  private async load(): Promise<Map<PollSourceName, CheckpointState>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw error;
    }
    let file: unknown;
    try {
      file = JSON.parse(text);
    } catch (error) {
      throw new CheckpointInvalidError(`state file ${this.path}: not JSON: ${(error as Error).message}`);
    }
    const checkpoints = (file as { checkpoints?: unknown } | null)?.checkpoints;
    if (typeof checkpoints !== 'object' || checkpoints === null || Array.isArray(checkpoints)) {
      throw new CheckpointInvalidError(
        `state file ${this.path}: expected {"checkpoints": {"<source>": ...}}`,
      );
    }
    const states = new Map<PollSourceName, CheckpointState>();
    for (const [name, value] of Object.entries(checkpoints)) {
      if (!POLL_SOURCES.includes(name as PollSourceName)) {
        throw new CheckpointInvalidError(
          `state file ${this.path}: "${name}" is not a poll source (${POLL_SOURCES.join(', ')})`,
        );
      }
      const source = name as PollSourceName;
      states.set(source, parseCheckpointState(value, source, `${this.path} (${source})`));
    }
    return states;
  }
}

function versionOf(state: CheckpointState): string {
  return hash('sha256', serializeCheckpointState(state), 'hex').slice(0, 32);
}

/**
 * The poller's ports: how a Cloudflare log API is read (a source), where progress is kept (a checkpoint store) and
 * where the credential comes from. The poller core (`poller.ts`) only knows these; the Lambda handler and the
 * `cf-logs poll` command give it their adapters (Secrets Manager / S3, or the environment / a state file).
 */
import type { Instant } from '../core/time.ts';
import type { DatasetName } from '../datasets/catalog.ts';
import type { CfRecord } from '../datasets/mapper.ts';

/** The APIs the poller reads. `audit_logs` is the v1 endpoint, `audit_logs_v2` the cursor-paged v2 one. */
export type PollSourceName = 'access_requests' | 'audit_logs' | 'audit_logs_v2';
export const POLL_SOURCES: readonly PollSourceName[] = ['access_requests', 'audit_logs', 'audit_logs_v2'];

/** A Cloudflare API credential: an API token (Bearer), or the legacy global key (X-Auth-Email / X-Auth-Key). */
export type CloudflareCredential =
  | { readonly kind: 'token'; readonly apiToken: string }
  | { readonly kind: 'key'; readonly email: string; readonly apiKey: string };

export interface CredentialProvider {
  /** The credential, from a cache when fresh. @throws ConfigError when the secret is missing or malformed. */
  get(): Promise<CloudflareCredential>;
}

/** One event as a source returns it, already renamed to the Logpush dataset's field names. */
export interface PolledEvent {
  /** The API's unique id of the event (ray_id for Access, the audit log id): what duplicates are recognised by. */
  readonly id: string;
  /** The event time (created_at, when, action.time), exact. */
  readonly time: Instant;
  /** The record under the Logpush dataset's field names, so the dataset's mapper gives the same ECS event. */
  readonly record: CfRecord;
}

/** The time range a run asks a source for; both ends inclusive (the APIs do not document it: overlap covers it). */
export interface PollWindow {
  readonly since: Date;
  readonly until: Date;
}

/** A Cloudflare log API, read oldest first. */
export interface PollSource {
  readonly name: PollSourceName;
  /** The Logpush dataset whose mapper turns these records into ECS events. */
  readonly dataset: DatasetName;
  /**
   * The events of the window, page by page, in ascending time order as the API returns them (ties in any order).
   * @throws CloudflareApiError (and subclasses) when the API refuses or answers nonsense after the retries.
   */
  pages(window: PollWindow): AsyncIterable<readonly PolledEvent[]>;
}

/** What a source's progress is: nothing at or before `newest` is fetched again, except the overlap. */
export interface CheckpointState {
  readonly source: PollSourceName;
  /** Time of the newest delivered event (ISO 8601, as exact as the API gave it). */
  readonly newest: string;
  /** Ids of the delivered events whose time lies within the overlap before `newest` (inclusive), for deduplication. */
  readonly recentIds: readonly string[];
  /** When this state was written. */
  readonly updatedAt: string;
}

/** A stored checkpoint and the version (ETag) a compare-and-swap write must present. */
export interface VersionedCheckpoint {
  readonly state: CheckpointState;
  readonly version: string;
}

export interface CheckpointStore {
  read(source: PollSourceName): Promise<VersionedCheckpoint | undefined>;
  /**
   * Writes `state` if the stored version is still `expected` (undefined = the checkpoint must not exist yet).
   * @returns the new version.
   * @throws CheckpointConflictError when another run wrote first (S3 412 / 409).
   */
  write(state: CheckpointState, expected: string | undefined): Promise<string>;
}

/** Another run changed the checkpoint first: this run stops without writing. */
export class CheckpointConflictError extends Error {
  override readonly name = 'CheckpointConflictError';
}

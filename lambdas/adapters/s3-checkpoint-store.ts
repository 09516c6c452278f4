import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CheckpointInvalidError, parseCheckpointText, serializeCheckpointState } from '../poll/checkpoint.ts';
import {
  CheckpointConflictError,
  type CheckpointState,
  type CheckpointStore,
  type PollSourceName,
  type VersionedCheckpoint,
} from '../poll/types.ts';

/** Where the checkpoints live: one object per source, `<prefix>/<source>.json`. */
export interface S3CheckpointLocation {
  readonly bucket: string;
  /** Key prefix without leading or trailing slash, e.g. `state/poller`. */
  readonly prefix: string;
}

// S3 answers a failed condition with 412 PreconditionFailed; two conditional writes racing on one key can also
// get 409 ConditionalRequestConflict (S3 UG "conditional writes", PRACTICES 3.8). Both mean another run won.
const CONFLICT_CODES = new Set(['PreconditionFailed', 'ConditionalRequestConflict']);
const CONFLICT_STATUSES = new Set([409, 412]);

/**
 * The poller's checkpoints in S3, written with conditional PutObject: `If-None-Match: *` creates a checkpoint
 * only if none exists, `If-Match: <ETag>` replaces it only if nobody wrote since it was read. No lock table:
 * a run that loses the race gets a {@link CheckpointConflictError} and stops without writing.
 */
export class S3CheckpointStore implements CheckpointStore {
  private readonly client: S3Client;
  private readonly location: S3CheckpointLocation;

  constructor(client: S3Client, location: S3CheckpointLocation) {
    this.client = client;
    this.location = location;
  }

  /** The object key of a source's checkpoint. */
  keyOf(source: PollSourceName): string {
    return `${this.location.prefix}/${source}.json`;
  }

  async read(source: PollSourceName): Promise<VersionedCheckpoint | undefined> {
    const key = this.keyOf(source);
    let body: string;
    let etag: string | undefined;
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.location.bucket, Key: key }),
      );
      etag = response.ETag;
      body = (await response.Body?.transformToString('utf-8')) ?? '';
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
    if (etag === undefined || etag === '') {
      throw new CheckpointInvalidError(
        `checkpoint s3://${this.location.bucket}/${key} came back without an ETag`,
      );
    }
    return { state: parseCheckpointText(body, source, `s3://${this.location.bucket}/${key}`), version: etag };
  }

  async write(state: CheckpointState, expected: string | undefined): Promise<string> {
    const key = this.keyOf(state.source);
    try {
      const response = await this.client.send(
        new PutObjectCommand({
          Bucket: this.location.bucket,
          Key: key,
          Body: `${serializeCheckpointState(state)}\n`,
          ContentType: 'application/json',
          ...(expected === undefined ? { IfNoneMatch: '*' } : { IfMatch: expected }),
        }),
      );
      if (response.ETag === undefined || response.ETag === '') {
        throw new CheckpointInvalidError(`PutObject of s3://${this.location.bucket}/${key} returned no ETag`);
      }
      return response.ETag;
    } catch (error) {
      if (isConflict(error)) {
        throw new CheckpointConflictError(
          `checkpoint s3://${this.location.bucket}/${key} was ${expected === undefined ? 'created' : 'changed'} ` +
            'by another run',
          { cause: error },
        );
      }
      throw error;
    }
  }
}

function isConflict(error: unknown): boolean {
  const e = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return (
    CONFLICT_CODES.has(e.name ?? '') ||
    CONFLICT_CODES.has(e.Code ?? '') ||
    CONFLICT_STATUSES.has(e.$metadata?.httpStatusCode ?? 0)
  );
}

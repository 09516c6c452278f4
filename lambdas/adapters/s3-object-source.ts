import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectRef, ObjectSource, OpenedObject } from '../ports.ts';

/** Options of {@link S3ObjectSource}. */
export interface S3ObjectSourceOptions {
  /** Times one object's stream may be resumed after breaking. @default 5 */
  readonly maxResumes?: number;
  /** Told about each resume (for logs and metrics). */
  readonly onResume?: (ref: ObjectRef, offset: number, error: unknown) => void;
}

// Socket-level failures of a response body; the SDK retries requests, never a body it has started to hand out
// (AWS SDK for JavaScript developer guide, streaming), so the source resumes it.
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNABORTED',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/**
 * Streams Logpush objects from S3 with `GetObject`; the body is consumed as it arrives, never buffered. When the
 * connection breaks mid-body, the stream resumes with a ranged `GetObject` from the first byte not yet received,
 * pinned to the same object version with `If-Match` on its ETag, so the decompressor downstream never notices
 * and nothing is delivered twice. A changed object (412) or too many breaks fail the object instead.
 */
export class S3ObjectSource implements ObjectSource {
  private readonly client: S3Client;
  private readonly maxResumes: number;
  private readonly onResume?: S3ObjectSourceOptions['onResume'];

  constructor(client: S3Client, options: S3ObjectSourceOptions = {}) {
    this.client = client;
    this.maxResumes = options.maxResumes ?? 5;
    this.onResume = options.onResume;
  }

  async open(ref: ObjectRef): Promise<OpenedObject> {
    const first = await this.get(ref);
    return {
      body: this.resumable(ref, first),
      size: first.ContentLength,
      lastModified: first.LastModified,
      eTag: first.ETag,
    };
  }

  private async *resumable(ref: ObjectRef, first: GetObjectCommandOutput): AsyncGenerator<Uint8Array> {
    const size = first.ContentLength;
    const eTag = first.ETag;
    let response = first;
    let offset = 0;
    let resumes = 0;
    for (;;) {
      const body = bodyOf(ref, response);
      try {
        for await (const chunk of body) {
          offset += chunk.length;
          yield chunk;
        }
        if (size === undefined || offset >= size) return;
        throw Object.assign(new Error(`body ended after ${offset} of ${size} bytes`), {
          code: 'ERR_STREAM_PREMATURE_CLOSE',
        });
      } catch (error) {
        if (!isTransient(error) || resumes >= this.maxResumes) throw error;
        resumes++;
        this.onResume?.(ref, offset, error);
        response = await this.get(ref, offset, eTag);
        // A server that ignored the range would send the object again from its start: duplicated bytes.
        if (!response.ContentRange?.startsWith(`bytes ${offset}-`)) {
          (response.Body as { destroy?: () => void } | undefined)?.destroy?.();
          throw new Error(
            `resumed GetObject s3://${ref.bucket}/${ref.key} from byte ${offset} but got Content-Range ${response.ContentRange ?? '(none)'}`,
            { cause: error },
          );
        }
      } finally {
        (body as { destroy?: () => void }).destroy?.();
      }
    }
  }

  private get(ref: ObjectRef, from?: number, eTag?: string): Promise<GetObjectCommandOutput> {
    return this.client.send(
      new GetObjectCommand({
        Bucket: ref.bucket,
        Key: ref.key,
        VersionId: ref.versionId,
        Range: from === undefined ? undefined : `bytes=${from}-`,
        IfMatch: from === undefined ? undefined : eTag,
      }),
    );
  }
}

function bodyOf(ref: ObjectRef, response: GetObjectCommandOutput): AsyncIterable<Uint8Array> {
  const body = response.Body as AsyncIterable<Uint8Array> | undefined;
  if (!body || typeof body[Symbol.asyncIterator] !== 'function') {
    throw new Error(`GetObject s3://${ref.bucket}/${ref.key} returned no readable body`);
  }
  return body;
}

function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code: unknown = Reflect.get(error, 'code');
  return (typeof code === 'string' && TRANSIENT_CODES.has(code)) || error.name === 'TimeoutError';
}

import type { ObjectRef } from '../ports.ts';

/** An SQS message body that is not an S3 event notification this project understands. */
export class S3EventError extends Error {
  override readonly name = 'S3EventError';
}

/**
 * The objects an S3 event notification (as delivered in an SQS message body) names. The `s3:TestEvent` that S3
 * sends when the notification is configured names none. Keys arrive URL-encoded with `+` for spaces (S3 User
 * Guide, event message structure) and are decoded here.
 *
 * @throws S3EventError when the body is not JSON or not an S3 notification.
 */
export function objectsInS3Event(body: string): ObjectRef[] {
  let message: unknown;
  try {
    message = JSON.parse(body);
  } catch (error) {
    throw new S3EventError(`message body is not JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!isObject(message)) throw new S3EventError('message body is not a JSON object');
  if (message.Event === 's3:TestEvent') return [];
  const records = message.Records;
  if (!Array.isArray(records)) throw new S3EventError('message is not an S3 event notification (no Records)');
  const refs: ObjectRef[] = [];
  for (const record of records) {
    if (!isObject(record) || !isObject(record.s3))
      throw new S3EventError('S3 event record without s3 section');
    if (typeof record.eventName === 'string' && !record.eventName.startsWith('ObjectCreated')) continue;
    const bucket = isObject(record.s3.bucket) ? record.s3.bucket.name : undefined;
    const object = isObject(record.s3.object) ? record.s3.object : undefined;
    if (typeof bucket !== 'string' || !object || typeof object.key !== 'string') {
      throw new S3EventError('S3 event record without bucket name or object key');
    }
    refs.push({
      bucket,
      key: decodeURIComponent(object.key.replace(/\+/g, ' ')),
      size: typeof object.size === 'number' ? object.size : undefined,
      eTag: typeof object.eTag === 'string' ? object.eTag : undefined,
      versionId: typeof object.versionId === 'string' ? object.versionId : undefined,
    });
  }
  return refs;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The S3 event notification S3 sends to the queue when an object is created, built for an object that already
 * exists: `cf-logs backfill` sends it so the normalize Lambda treats the object exactly like a new one. Shape per
 * the S3 User Guide, "Event message structure" (version 2.1).
 */

/** An object to announce. */
export interface CreatedObject {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  /** ETag as listed (quoted or not); events carry it without quotes. */
  readonly eTag?: string;
}

/** Where and when the event is said to happen. */
export interface NotificationContext {
  /** Region of the bucket. */
  readonly region: string;
  /** Event time (the time it is sent: S3 events give the time of the request, which is long past). */
  readonly time: Date;
}

/** Who the event names as the requester and the configuration: marks the message as a backfill's. */
export const BACKFILL_PRINCIPAL = 'cf-logs-backfill';

/**
 * A key as S3 writes it into events: URL-encoded like a form value (spaces as `+`, `+` as `%2B`, UTF-8 bytes
 * percent-encoded), slashes kept. The characters `encodeURIComponent` leaves alone but a form encoder escapes
 * (`!'()~`) are escaped too; decoding either way gives the same key.
 */
export function encodeS3EventKey(key: string): string {
  return key
    .split('/')
    .map((segment) =>
      encodeURIComponent(segment)
        .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
        .replace(/%20/g, '+'),
    )
    .join('/');
}

/** The AWS partition of a region, for the bucket ARN. */
function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  return 'aws';
}

/**
 * The message body S3 sends to an SQS queue for `ObjectCreated:Put` of `object`. No `sequencer`: S3 makes it to
 * order the events of one key, and a made-up one could sort a backfill before or after a real event wrongly.
 */
export function s3EventNotification(object: CreatedObject, context: NotificationContext): string {
  const eTag = object.eTag?.replace(/^"(.*)"$/, '$1');
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: context.region,
        eventTime: context.time.toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: BACKFILL_PRINCIPAL },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: BACKFILL_PRINCIPAL,
          bucket: { name: object.bucket, arn: `arn:${partitionOf(context.region)}:s3:::${object.bucket}` },
          object: {
            key: encodeS3EventKey(object.key),
            size: object.size,
            ...(eTag === undefined || eTag === '' ? {} : { eTag }),
          },
        },
      },
    ],
  });
}

import { describe, expect, it } from 'vitest';
import { objectsInS3Event, S3EventError } from '../../lambdas/core/s3-event.ts';

function notification(key: string, extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:CompleteMultipartUpload',
        s3: {
          bucket: { name: 'logpush-bucket' },
          object: { key, size: 2048, eTag: 'abc123', sequencer: '0055AED6DCD90281E5', ...extra },
        },
      },
    ],
  });
}

describe('objectsInS3Event', () => {
  it('names the created object', () => {
    expect(objectsInS3Event(notification('logpush/http_requests/x.log.gz'))).toEqual([
      {
        bucket: 'logpush-bucket',
        key: 'logpush/http_requests/x.log.gz',
        size: 2048,
        eTag: 'abc123',
        versionId: undefined,
      },
    ]);
  });

  it('decodes URL-encoded keys, with + for spaces', () => {
    const [ref] = objectsInS3Event(notification('logpush/a+b%2Bc%3D%C3%A9.log.gz'));
    expect(ref?.key).toBe('logpush/a b+c=é.log.gz');
  });

  it('names nothing for the S3 test event', () => {
    const body = JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'logpush-bucket' });
    expect(objectsInS3Event(body)).toEqual([]);
  });

  it('ignores events other than object creation', () => {
    const body = notification('k.log.gz').replace(
      'ObjectCreated:CompleteMultipartUpload',
      'ObjectRemoved:Delete',
    );
    expect(objectsInS3Event(body)).toEqual([]);
  });

  it('rejects bodies that are not S3 notifications, saying why', () => {
    expect(() => objectsInS3Event('not json')).toThrow(S3EventError);
    expect(() => objectsInS3Event('{"hello":1}')).toThrow(/no Records/);
    expect(() => objectsInS3Event('{"Records":[{"s3":{}}]}')).toThrow(/without bucket name or object key/);
  });
});

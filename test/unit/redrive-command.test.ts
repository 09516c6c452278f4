/**
 * What `cf-logs redrive` says about each dead-lettered message: the objects its S3 event names, or why it is not
 * an S3 event (such a message is moved all the same).
 */
import { describe, expect, it } from 'vitest';
import { describeMessage } from '../../lambdas/cli/redrive-command.ts';
import { s3EventNotification } from '../../lambdas/cli/s3-event-notification.ts';
import { s3EventBody, s3TestEventBody } from '../support/sqs-events.ts';

describe('redrive message description', () => {
  it('names each object of an S3 event with its size, keys decoded', () => {
    const body = s3EventBody([
      { bucket: 'logs', key: 'logpush/http_requests/z/20261120/a b.log.gz', size: 1536 },
      { bucket: 'logs', key: 'logpush/http_requests/z/20261120/c+d.log.gz', size: 10 },
    ]);
    expect(describeMessage(body)).toEqual({
      text: 's3://logs/logpush/http_requests/z/20261120/a b.log.gz (1.5 KiB), s3://logs/logpush/http_requests/z/20261120/c+d.log.gz (10 B)',
      objects: 2,
      s3Event: true,
    });
  });

  it('reads what a backfill sends like what S3 sends', () => {
    const body = s3EventNotification(
      { bucket: 'logs', key: 'logpush/dns_logs/z/20261120/ü.log.gz', size: 2048 },
      { region: 'eu-west-1', time: new Date(0) },
    );
    expect(describeMessage(body).text).toBe('s3://logs/logpush/dns_logs/z/20261120/ü.log.gz (2.0 KiB)');
  });

  it('says when a message names no object, or is not an S3 event at all', () => {
    expect(describeMessage(s3TestEventBody('logs'))).toEqual({
      text: 'an S3 event naming no object (a test event)',
      objects: 0,
      s3Event: true,
    });
    expect(describeMessage('hello')).toMatchObject({ objects: 0, s3Event: false });
    expect(describeMessage('hello').text).toMatch(
      /^not an S3 event notification \(message body is not JSON: .+\); it moves as it is$/,
    );
    expect(describeMessage('{"Records": 1}').text).toBe(
      'not an S3 event notification (message is not an S3 event notification (no Records)); it moves as it is',
    );
  });
});

/**
 * `cf-logs redrive` against a fake SQS on 127.0.0.1: in-process with the client injected and a virtual clock shared
 * with the fake (visibility timeouts and retry waits take no real time), and once from the command line through
 * AWS_ENDPOINT_URL_SQS. The first block checks the fake itself against the SDK client: the protocol the commands'
 * tests rely on.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  ChangeMessageVisibilityCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  REDRIVE_EXIT,
  REDRIVE_VISIBILITY_SECONDS,
  type RedriveCommandArgs,
  type RedriveCommandIo,
  runRedriveCommand,
} from '../../lambdas/cli/redrive-command.ts';
import type { Clock } from '../../lambdas/ports.ts';
import { FAKE_AWS_REGION, fakeSdkEnvironment, fakeSqsClient } from '../support/aws-clients.ts';
import { fakeClock } from '../support/clock.ts';
import { type FakeSqs, md5OfMessageAttributes, startFakeSqs } from '../support/fake-sqs.ts';
import { s3EventBody, s3TestEventBody } from '../support/sqs-events.ts';
import { captureStream } from '../support/streams.ts';

const BUCKET = 'cf-logs-logpush-test';
const objectKey = (i: number) =>
  `logpush/http_requests/fedcba9876543210fedcba9876543210/20261120/obj ${i}+ü.log.gz`;

let sqs: FakeSqs;
let queueUrl: string;
let dlqUrl: string;
let clock: Clock & { slept: number[] };
let dir: string;

beforeEach(async () => {
  clock = fakeClock(new Date('2026-11-22T08:00:00Z'));
  sqs = await startFakeSqs({ now: () => clock.now().getTime() });
  queueUrl = sqs.createQueue('cf-logs-queue');
  dlqUrl = sqs.createQueue('cf-logs-dlq');
  dir = await mkdtemp(join(tmpdir(), 'cf-logs-redrive-'));
});
afterEach(async () => {
  await sqs.close();
  await rm(dir, { recursive: true, force: true });
});

/** Dead-letters `count` S3 event messages (bodies as S3 sends them), as if each failed five receives. */
function deadLetter(count: number): string[] {
  const bodies = Array.from({ length: count }, (_, i) =>
    s3EventBody([{ bucket: BUCKET, key: objectKey(i), size: 1024 * (i + 1), eTag: `e${i}` }]),
  );
  for (const body of bodies) sqs.sendMessage(dlqUrl, body);
  for (const message of sqs.messages(dlqUrl)) message.receiveCount = 5;
  return bodies;
}

async function run(args: Partial<RedriveCommandArgs> = {}, io: Partial<RedriveCommandIo> = {}) {
  const out = captureStream();
  const err = captureStream();
  const code = await runRedriveCommand(
    { dlq: dlqUrl, queue: queueUrl, ...args },
    {
      stdout: out.stream,
      stderr: err.stream,
      env: {},
      cwd: dir,
      sqs: () => fakeSqsClient(sqs),
      clock,
      retry: { maxAttempts: 3, baseDelayMs: 100 },
      random: () => 1,
      ...io,
    },
  );
  return { code, stdout: out.text(), stderr: err.text() };
}

const visibleNow = (url: string) => sqs.messages(url).filter((m) => m.visibleAt <= clock.now().getTime());

describe('fake SQS (the protocol @aws-sdk/client-sqs speaks)', () => {
  it('answers send, receive and attributes with the MD5s the client checks, and errors the client names', async () => {
    const client = fakeSqsClient(sqs);
    const sent = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          {
            Id: 'a',
            MessageBody: 'héllo 😀',
            MessageAttributes: {
              origin: { DataType: 'String', StringValue: 'x' },
              blob: { DataType: 'Binary', BinaryValue: new Uint8Array([0, 1, 2]) },
            },
          },
          { Id: 'b', MessageBody: 'two' },
        ],
      }),
    );
    expect(sent.Successful?.map((e) => e.Id)).toEqual(['a', 'b']);
    expect(sent.Failed).toEqual([]);
    const received = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 30,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        MessageAttributeNames: ['All'],
      }),
    );
    expect(received.Messages?.map((m) => [m.Body, m.Attributes])).toEqual([
      ['héllo 😀', { ApproximateReceiveCount: '1' }],
      ['two', { ApproximateReceiveCount: '1' }],
    ]);
    const first = received.Messages![0]!;
    expect(first.MessageAttributes?.origin).toEqual({ DataType: 'String', StringValue: 'x' });
    expect([...(first.MessageAttributes?.blob?.BinaryValue ?? [])]).toEqual([0, 1, 2]);
    expect(first.MD5OfMessageAttributes).toBe(
      md5OfMessageAttributes({
        origin: { DataType: 'String', StringValue: 'x' },
        blob: { DataType: 'Binary', BinaryValue: Buffer.from([0, 1, 2]) },
      }),
    );
    // Both are in flight: none visible, until the virtual clock passes their visibility timeout.
    const attributes = async () =>
      (await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] })))
        .Attributes;
    expect(await attributes()).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '2',
    });
    await clock.sleep(30_000);
    expect(await attributes()).toMatchObject({
      ApproximateNumberOfMessages: '2',
      ApproximateNumberOfMessagesNotVisible: '0',
    });
    await expect(
      client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: first.ReceiptHandle!,
          VisibilityTimeout: 0,
        }),
      ),
    ).rejects.toMatchObject({ name: 'MessageNotInflight' });
    await expect(
      client.send(new SendMessageCommand({ QueueUrl: sqs.queueUrl('nope'), MessageBody: 'x' })),
    ).rejects.toMatchObject({
      name: 'QueueDoesNotExist',
    });
    sqs.addFault({ operation: 'SendMessage', error: { type: 'RequestThrottled' } });
    await expect(
      client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'x' })),
    ).rejects.toMatchObject({
      name: 'RequestThrottled',
      $metadata: { httpStatusCode: 403 },
    });
    await expect(
      client.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Array.from({ length: 11 }, (_, i) => ({ Id: `m${i}`, MessageBody: 'x' })),
        }),
      ),
    ).rejects.toMatchObject({ name: 'TooManyEntriesInBatchRequest' });
  });
});

describe('cf-logs redrive', () => {
  it('moves every message once, with its body and attributes, prints the objects, and empties the dead-letter queue', async () => {
    const bodies = deadLetter(12);
    sqs.sendMessage(dlqUrl, 'not json at all', { origin: { DataType: 'String', StringValue: 'manual' } });
    sqs.sendMessage(dlqUrl, s3TestEventBody(BUCKET));
    const ids = sqs.messages(dlqUrl).map((m) => m.messageId);

    const result = await run();

    expect(result.code).toBe(REDRIVE_EXIT.ok);
    expect(sqs.messages(dlqUrl)).toEqual([]);
    expect(sqs.bodies(queueUrl).sort()).toEqual(
      [...bodies, 'not json at all', s3TestEventBody(BUCKET)].sort(),
    );
    const manual = sqs.messages(queueUrl).find((m) => m.body === 'not json at all');
    expect(manual?.attributes).toEqual({ origin: { DataType: 'String', StringValue: 'manual' } });
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(15);
    expect(lines[0]).toBe(`moved ${ids[0]} (receive count 6): s3://${BUCKET}/${objectKey(0)} (1.0 KiB)`);
    expect(lines[11]).toBe(`moved ${ids[11]} (receive count 6): s3://${BUCKET}/${objectKey(11)} (12.0 KiB)`);
    expect(lines[12]).toMatch(
      new RegExp(
        `^moved ${ids[12]} \\(receive count 1\\): not an S3 event notification \\(message body is not JSON: .+\\); it moves as it is$`,
      ),
    );
    expect(lines[13]).toBe(`moved ${ids[13]} (receive count 1): an S3 event naming no object (a test event)`);
    expect(lines[14]).toBe(
      `Redrive from ${dlqUrl} to ${queueUrl}: 14 messages moved (12 objects sent); 1 not S3 events (moved as they are); ` +
        '0 not moved (left in the dead-letter queue), 0 moved but not deleted; 4 receives.',
    );
    expect(result.stderr).toBe(
      [
        `cf-logs redrive: moving the messages of ${dlqUrl} to ${queueUrl}`,
        "cf-logs redrive: about 14 messages waiting, 0 in flight (SQS's approximate counts)",
        '',
      ].join('\n'),
    );
    // Receives of 10, hidden long enough to send and delete; deletes only after the sends were accepted.
    const receives = sqs.requestsFor('ReceiveMessage', dlqUrl);
    expect(
      receives.map((r) => [r.input.MaxNumberOfMessages, r.input.VisibilityTimeout, r.input.WaitTimeSeconds]),
    ).toEqual(Array(4).fill([10, REDRIVE_VISIBILITY_SECONDS, 1]));
    const order = sqs.requests
      .filter((r) => r.operation !== 'ReceiveMessage' && r.operation !== 'GetQueueAttributes')
      .map((r) => r.operation);
    expect(order).toEqual([
      'SendMessageBatch',
      'DeleteMessageBatch',
      'SendMessageBatch',
      'DeleteMessageBatch',
    ]);
  });

  it('leaves a message that could not be sent in the dead-letter queue, visible again, and moves it next time', async () => {
    deadLetter(3);
    const stuck = sqs.messages(dlqUrl)[1]!;
    const fault = sqs.addFault({
      operation: 'SendMessageBatch',
      times: Number.POSITIVE_INFINITY,
      failEntries: { ids: [stuck.messageId], code: 'InternalError' },
    });
    const result = await run();
    expect(result.code).toBe(REDRIVE_EXIT.failed);
    expect(sqs.messages(dlqUrl).map((m) => m.messageId)).toEqual([stuck.messageId]);
    expect(visibleNow(dlqUrl)).toHaveLength(1);
    expect(sqs.bodies(queueUrl)).toHaveLength(2);
    expect(result.stdout).toContain(
      `NOT MOVED ${stuck.messageId} (receive count 6): s3://${BUCKET}/${objectKey(1)} (2.0 KiB): InternalError (Injected failure); left in the dead-letter queue\n`,
    );
    expect(result.stdout).toContain(
      '2 messages moved (2 objects sent); 1 not moved (left in the dead-letter queue)',
    );
    // Sent three times (the retry policy), never deleted, then released at once.
    const sends = sqs
      .requestsFor('SendMessageBatch')
      .filter((r) => (r.input.Entries as { Id: string }[]).some((e) => e.Id === stuck.messageId));
    expect(sends).toHaveLength(3);
    expect(sqs.requestsFor('ChangeMessageVisibilityBatch').map((r) => r.input.Entries)).toEqual([
      [{ Id: stuck.messageId, ReceiptHandle: expect.any(String), VisibilityTimeout: 0 }],
    ]);

    fault.cancel();
    const again = await run();
    expect(again.code).toBe(REDRIVE_EXIT.ok);
    expect(sqs.messages(dlqUrl)).toEqual([]);
    expect(sqs.bodies(queueUrl)).toHaveLength(3);
  });

  it('deletes what a batch got in before a retry of the rest failed as a whole, and leaves only the rest', async () => {
    deadLetter(10);
    const stuck = sqs.messages(dlqUrl)[3]!;
    // The first send accepts nine of ten; every retry of the tenth is throttled as a whole call.
    sqs.addFault({ operation: 'SendMessageBatch', failEntries: { ids: [stuck.messageId] } });
    sqs.addFault({
      operation: 'SendMessageBatch',
      times: Number.POSITIVE_INFINITY,
      error: { type: 'RequestThrottled' },
    });
    const result = await run();
    expect(result.code).toBe(REDRIVE_EXIT.failed);
    expect(sqs.bodies(queueUrl)).toHaveLength(9);
    expect(sqs.messages(dlqUrl).map((m) => m.messageId)).toEqual([stuck.messageId]);
    expect(visibleNow(dlqUrl)).toHaveLength(1);
    expect(result.stdout.split('\n').filter((l) => l.startsWith('NOT MOVED '))).toEqual([
      expect.stringMatching(new RegExp(`^NOT MOVED ${stuck.messageId} .*: RequestThrottled`)),
    ]);
    expect(result.stdout).toContain(
      '9 messages moved (9 objects sent); 1 not moved (left in the dead-letter queue), 0 moved but not deleted',
    );
  });

  it('deletes, without sending it twice, a moved message whose delete failed and that came back during the run', async () => {
    deadLetter(2);
    const [first] = sqs.messages(dlqUrl);
    // Three failed deletes of the first message; the retry waits (100 s, 200 s on the virtual clock) outlast the
    // 120 s it was hidden, so the run receives it again.
    sqs.addFault({ operation: 'DeleteMessageBatch', times: 3, failEntries: { ids: [first!.messageId] } });
    const result = await run({}, { retry: { maxAttempts: 3, baseDelayMs: 100_000, maxDelayMs: 200_000 } });
    expect(result.code).toBe(REDRIVE_EXIT.ok);
    expect(sqs.messages(dlqUrl)).toEqual([]);
    expect(sqs.bodies(queueUrl)).toHaveLength(2);
    expect(result.stdout).toContain(`moved ${first!.messageId} (receive count 6): `);
    expect(result.stdout).toContain('but not deleted from the dead-letter queue (InternalError)');
    expect(result.stderr).toContain(
      `cf-logs redrive: ${first!.messageId}: deleted from the dead-letter queue at the second try\n`,
    );
    expect(result.stdout).toContain(
      '2 messages moved (2 objects sent); 0 not moved (left in the dead-letter queue), 0 moved but not deleted',
    );
  });

  it('says a delete failed, not a receive, when a moved message that came back cannot be deleted', async () => {
    deadLetter(2);
    const [first] = sqs.messages(dlqUrl);
    // As above, the first message comes back after its deletes failed; deleting it then is refused as a whole.
    sqs.addFault({ operation: 'DeleteMessageBatch', times: 3, failEntries: { ids: [first!.messageId] } });
    sqs.addFault({ operation: 'DeleteMessageBatch', error: { type: 'AccessDenied', status: 403 } });
    const result = await run({}, { retry: { maxAttempts: 3, baseDelayMs: 100_000, maxDelayMs: 200_000 } });
    expect(result.code).toBe(REDRIVE_EXIT.failed);
    expect(sqs.bodies(queueUrl)).toHaveLength(2);
    expect(result.stderr).not.toContain('receiving from');
    expect(result.stderr).toContain(
      `cf-logs redrive: deleting 1 moved messages from ${dlqUrl} failed (access denied (AccessDenied)`,
    );
    expect(result.stdout).toContain('1 messages moved (2 objects sent); 0 not moved');
    expect(result.stdout).toContain('1 moved but not deleted');
  });

  it('reports a message moved but not deleted, and leaves it visible for the next run', async () => {
    deadLetter(2);
    const [first] = sqs.messages(dlqUrl);
    sqs.addFault({
      operation: 'DeleteMessageBatch',
      times: Number.POSITIVE_INFINITY,
      failEntries: { ids: [first!.messageId] },
    });
    const result = await run({}, { retry: { maxAttempts: 2, baseDelayMs: 1 } });
    expect(result.code).toBe(REDRIVE_EXIT.failed);
    expect(sqs.bodies(queueUrl)).toHaveLength(2);
    expect(visibleNow(dlqUrl).map((m) => m.messageId)).toEqual([first!.messageId]);
    expect(result.stdout).toContain(
      '1 messages moved (2 objects sent); 0 not moved (left in the dead-letter queue), 1 moved but not deleted',
    );
  });

  it('shows what would move in a dry run, moves nothing, and makes every message visible again at once', async () => {
    deadLetter(13);
    const before = sqs.messages(dlqUrl).map((m) => m.messageId);
    const result = await run({ dryRun: true, queue: undefined });
    expect(result.code).toBe(REDRIVE_EXIT.ok);
    expect(sqs.requestsFor('SendMessageBatch')).toEqual([]);
    expect(sqs.requestsFor('DeleteMessageBatch')).toEqual([]);
    expect(sqs.requestsFor('DeleteMessage')).toEqual([]);
    expect(visibleNow(dlqUrl).map((m) => m.messageId)).toEqual(before);
    expect(result.stdout.split('\n').filter((l) => l.startsWith('would move '))).toHaveLength(13);
    expect(result.stdout).toContain(
      `would move ${before[0]} (receive count 6): s3://${BUCKET}/${objectKey(0)} (1.0 KiB)\n`,
    );
    expect(result.stdout).toContain(
      `Dry run: 13 messages would move (13 objects) from ${dlqUrl}; all made visible again, nothing moved; 4 receives.`,
    );
    expect(
      sqs.requestsFor('ChangeMessageVisibilityBatch').map((r) => (r.input.Entries as unknown[]).length),
    ).toEqual([10, 3]);
    expect(result.stderr).toContain(`dry run: showing the messages of ${dlqUrl}; nothing moves`);
  });

  it('does not count as a failure a message whose hidden time ran out before the release (it is visible already)', async () => {
    deadLetter(12);
    // The run takes longer than the 300 s a dry run hides what it saw (here: 400 s before the second receive, on
    // the virtual clock). The first ten are visible again; the next two receives get two of them each, and the
    // other six keep handles that are no longer in flight when the run releases what it holds.
    const client = fakeSqsClient(sqs);
    let receives = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'ReceiveMessageCommand' && ++receives === 2) await clock.sleep(400_000);
        return next(args);
      },
      { step: 'initialize' },
    );
    const result = await run({ dryRun: true, queue: undefined, max: '12' }, { sqs: () => client });
    const notInFlight = sqs.requestsFor('ChangeMessageVisibilityBatch').flatMap((r) => r.failedEntries);
    expect(notInFlight.map((e) => e.code)).toEqual(Array(6).fill('MessageNotInflight'));
    expect(result.stderr).not.toContain('could not be made visible again');
    expect(result.code).toBe(REDRIVE_EXIT.ok);
    expect(visibleNow(dlqUrl)).toHaveLength(12);
  });

  it('stops after --max messages and leaves the rest untouched', async () => {
    deadLetter(5);
    const result = await run({ max: '3' });
    expect(result.code).toBe(REDRIVE_EXIT.ok);
    expect(sqs.bodies(queueUrl)).toHaveLength(3);
    expect(sqs.messages(dlqUrl)).toHaveLength(2);
    expect(sqs.messages(dlqUrl).every((m) => m.receiveCount === 5)).toBe(true);
    expect(sqs.requestsFor('ReceiveMessage', dlqUrl).map((r) => r.input.MaxNumberOfMessages)).toEqual([3]);
    expect(result.stdout).toContain('3 messages moved (3 objects sent);');
    expect(result.stdout).toContain('Stopped: --max 3 reached.');
  });

  it('stops on an interruption after the batch in flight, with exit 1', async () => {
    deadLetter(15);
    const controller = new AbortController();
    // Ctrl-C arrives while the first batch is being sent.
    sqs.addFault({
      operation: 'SendMessageBatch',
      failEntries: {
        where: () => {
          controller.abort();
          return false;
        },
      },
    });
    const result = await run({}, { signal: controller.signal });
    expect(result.code).toBe(REDRIVE_EXIT.failed);
    expect(sqs.bodies(queueUrl)).toHaveLength(10);
    expect(sqs.messages(dlqUrl)).toHaveLength(5);
    expect(visibleNow(dlqUrl)).toHaveLength(5);
    expect(result.stdout).toContain('10 messages moved (10 objects sent);');
    expect(result.stdout).toContain('Stopped: interrupted (what this run holds was made visible again).');
  });

  it('ends after a couple of empty receives when the dead-letter queue is empty', async () => {
    const result = await run();
    expect(result.code).toBe(REDRIVE_EXIT.ok);
    expect(sqs.requestsFor('ReceiveMessage')).toHaveLength(2);
    expect(result.stdout).toContain('0 messages moved (0 objects sent)');
  });

  it('stops when the queue cannot be sent to at all, leaving every message in the dead-letter queue', async () => {
    deadLetter(25);
    const result = await run({ queue: sqs.queueUrl('no-such-queue') });
    expect(result.code).toBe(REDRIVE_EXIT.failed);
    expect(sqs.requestsFor('ReceiveMessage')).toHaveLength(1);
    expect(sqs.requestsFor('SendMessageBatch')).toHaveLength(1);
    expect(visibleNow(dlqUrl)).toHaveLength(25);
    expect(result.stdout).toContain(': no such queue (QueueDoesNotExist)');
    expect(result.stdout).toContain(
      `0 messages moved (0 objects sent); 10 not moved (left in the dead-letter queue), 0 moved but not deleted; ` +
        `1 receives. Stopped: sending to ${sqs.queueUrl('no-such-queue')} failed: no such queue (QueueDoesNotExist)`,
    );
  });

  it('retries a throttled receive, and fails with the reason at a dead-letter queue that does not exist', async () => {
    deadLetter(1);
    sqs.addFault({ operation: 'ReceiveMessage', error: { type: 'RequestThrottled' } });
    const throttled = await run();
    expect(throttled.code).toBe(REDRIVE_EXIT.ok);
    expect(sqs.bodies(queueUrl)).toHaveLength(1);

    const missing = await run({ dlq: sqs.queueUrl('no-such-dlq') });
    expect(missing.code).toBe(REDRIVE_EXIT.failed);
    expect(missing.stderr).toContain(
      "could not read the queue's attributes (no such queue (QueueDoesNotExist)",
    );
    expect(missing.stderr).toContain(
      `receiving from ${sqs.queueUrl('no-such-dlq')} failed: no such queue (QueueDoesNotExist)`,
    );
  });

  it('refuses a wrong command line with exit 2 and a clear message, touching no queue', async () => {
    const cases: [Partial<RedriveCommandArgs>, string][] = [
      [
        { dlq: undefined },
        'the dead-letter queue is unknown: pass --dlq URL (the stack output DeadLetterQueueUrl)',
      ],
      [{ queue: undefined }, 'the queue is unknown: pass --queue URL (the stack output QueueUrl)'],
      [{ max: '0' }, '--max 0 is not a whole number of messages above 0'],
      [{ max: 'all' }, '--max all is not a whole number of messages above 0'],
      [{ dlq: 'cf-logs-dlq' }, '--dlq cf-logs-dlq is not a queue URL'],
      [{ queue: `${dlqUrl}/` }, '--queue and --dlq name the same queue'],
      [{ outputs: 'missing.json' }, '--outputs missing.json: no such file'],
    ];
    for (const [args, message] of cases) {
      const result = await run(args);
      expect(result.code, message).toBe(REDRIVE_EXIT.usage);
      expect(result.stderr).toContain(`cf-logs redrive: ${message}`);
    }
    expect(sqs.requests).toEqual([]);
  });

  it('takes both queues from cdk-outputs.json', async () => {
    deadLetter(2);
    await writeFile(
      join(dir, 'cdk-outputs.json'),
      JSON.stringify({
        CfLogs: {
          LogpushBucketName: BUCKET,
          LogpushBucketRegion: 'eu-west-1',
          QueueUrl: queueUrl,
          DeadLetterQueueUrl: dlqUrl,
        },
        Other: { QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/other' },
      }),
    );
    const regions: (string | undefined)[] = [];
    const result = await run(
      { dlq: undefined, queue: undefined },
      {
        sqs: (region) => {
          regions.push(region);
          return fakeSqsClient(sqs);
        },
      },
    );
    expect(result.code).toBe(REDRIVE_EXIT.ok);
    expect(sqs.bodies(queueUrl)).toHaveLength(2);
    expect(regions).toEqual(['eu-west-1']);
  });

  it('runs from the command line with AWS_ENDPOINT_URL_SQS, whatever host the queue URLs name', async () => {
    deadLetter(3);
    const bin = new URL('../../bin/cf-logs.ts', import.meta.url).pathname;
    const aws = (url: string) => url.replace(sqs.endpoint, `https://sqs.${FAKE_AWS_REGION}.amazonaws.com`);
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [bin, 'redrive', '--dlq', aws(dlqUrl), '--queue', aws(queueUrl)],
      {
        cwd: dir,
        timeout: 60_000,
        env: fakeSdkEnvironment({ AWS_ENDPOINT_URL_SQS: sqs.endpoint }),
      },
    );
    expect(stderr).toContain('about 3 messages waiting');
    expect(stdout).toContain('3 messages moved (3 objects sent)');
    expect(sqs.messages(dlqUrl)).toEqual([]);
    expect(sqs.bodies(queueUrl)).toHaveLength(3);
  });
});

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { FirehoseRecordSink } from '../adapters/firehose-sink.ts';
import { S3BlobStore } from '../adapters/s3-blob-store.ts';
import { S3CheckpointStore } from '../adapters/s3-checkpoint-store.ts';
import { SecretsManagerCredentials } from '../adapters/secrets-credentials.ts';
import { runPoll } from '../poll/poller.ts';
import { systemClock } from '../ports.ts';
import { readPollSettings } from '../settings.ts';
import { cloudflareSourceFactory, createPollHandler } from './poll-app.ts';

// Read and checked at cold start: a bad deployment fails here, naming the variable.
const settings = readPollSettings(process.env);

// The SDK's default is no socket timeout: a stalled connection would hold the run until the Lambda timeout,
// past the point where it can save its progress.
const requestHandler = { connectionTimeout: 3_000, socketTimeout: 30_000 };
const s3 = new S3Client({ requestHandler });

// In module scope, so the credential cache (5 minutes) outlives an invocation of a warm function.
const credentials = new SecretsManagerCredentials(
  new SecretsManagerClient({ requestHandler }),
  settings.secretId,
);

/** Lambda entry of the poll function (invoked by the EventBridge Scheduler schedule). */
export const handler = createPollHandler({
  settings,
  credentials,
  createSource: cloudflareSourceFactory(settings, credentials),
  runPoll,
  store: new S3CheckpointStore(s3, { bucket: settings.checkpointBucket, prefix: settings.checkpointPrefix }),
  // maxAttempts 1: the core retries failed entries itself, one retry policy.
  sink: new FirehoseRecordSink(
    new FirehoseClient({ maxAttempts: 1, requestHandler }),
    settings.deliveryStream,
  ),
  quarantineStore: new S3BlobStore(s3, settings.lakeBucket),
  logger: new Logger({ serviceName: 'cf-logs-poll' }),
  metrics: new Metrics({ namespace: 'CloudflareLogLake', serviceName: 'cf-logs-poll' }),
  clock: systemClock,
});

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import { systemClock } from '../ports.ts';
import { readNormalizeSettings } from '../settings.ts';
import { createNormalizeHandler } from './normalize-app.ts';

// Read and checked at cold start: a bad deployment fails here, naming the variable.
const settings = readNormalizeSettings(process.env);

// Without a socket timeout the SDK waits forever on a stalled connection (its default is no limit): a stalled
// body would hold the function until its timeout and the whole batch would come back. With one, a stall
// becomes a TimeoutError that the S3 source resumes and the Firehose delivery retries.
const requestHandler = { connectionTimeout: 3_000, socketTimeout: 30_000 };

/** Lambda entry of the normalize function (SQS event source with ReportBatchItemFailures). */
export const handler = createNormalizeHandler({
  settings,
  s3: new S3Client({ requestHandler }),
  firehose: new FirehoseClient({ maxAttempts: 1, requestHandler }),
  logger: new Logger({ serviceName: 'cf-logs-normalize' }),
  metrics: new Metrics({ namespace: 'CloudflareLogLake', serviceName: 'cf-logs-normalize' }),
  clock: systemClock,
  ...(settings.maxReceiveCount === undefined ? {} : { maxReceiveCount: settings.maxReceiveCount }),
});

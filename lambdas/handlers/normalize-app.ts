import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { FirehoseClient } from '@aws-sdk/client-firehose';
import type { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { RetryPolicy } from '../core/deliver.ts';
import type { ObjectSummary } from '../core/pipeline.ts';
import { objectsInS3Event } from '../core/s3-event.ts';
import { createObjectIngester } from '../ingest/object-ingester.ts';
import type { Clock } from '../ports.ts';
import type { NormalizeSettings } from '../settings.ts';

/** Everything the normalize handler is built from; the Lambda entry builds it from the environment. */
export interface NormalizeDependencies {
  readonly settings: NormalizeSettings;
  readonly s3: S3Client;
  /** Build it with `maxAttempts: 1`: the pipeline retries failed entries itself. */
  readonly firehose: FirehoseClient;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clock: Clock;
  readonly retry?: Omit<RetryPolicy, 'remainingMs'>;
  /**
   * The queue's `maxReceiveCount`. When it is known, an object that fails on the last receive is logged as going
   * to the dead-letter queue rather than as retried. @default unknown
   */
  readonly maxReceiveCount?: number;
}

/** Log message of an object that failed on a receive after which SQS retries the message. */
export const OBJECT_RETRIED_MESSAGE = 'object failed; the message will be retried';
/** Log message of an object that failed on the last receive: SQS moves the message to the dead-letter queue. */
export const OBJECT_DEAD_LETTERED_MESSAGE =
  'object failed on the last receive; the message goes to the dead-letter queue';

/**
 * The normalize Lambda: each SQS message carries an S3 event; every object it names goes through the pipeline.
 * Messages whose objects all succeed (or are skipped) are deleted; the others are reported as batch item
 * failures so SQS retries them and, after `maxReceiveCount`, moves them to the dead-letter queue.
 */
export function createNormalizeHandler(deps: NormalizeDependencies) {
  const { settings, logger, metrics, clock } = deps;
  const ingest = createObjectIngester({
    s3: deps.s3,
    firehose: deps.firehose,
    deliveryStream: settings.deliveryStream,
    quarantine: { bucket: settings.lakeBucket, prefix: settings.quarantinePrefix },
    clock,
    logpushPrefix: settings.logpushPrefix,
    ...(deps.retry === undefined ? {} : { retry: deps.retry }),
    onResume: (ref, offset, error) => {
      metrics.addMetric('S3StreamResumes', MetricUnit.Count, 1);
      logger.warn('object stream broke; resuming from the next byte', {
        bucket: ref.bucket,
        key: ref.key,
        offset,
        error: error as Error,
      });
    },
  });
  const processor = new BatchProcessor(EventType.SQS);

  const handleRecord = async (record: SQSRecord, context: Context): Promise<void> => {
    let refs: ReturnType<typeof objectsInS3Event>;
    try {
      refs = objectsInS3Event(record.body);
    } catch (error) {
      // Not an S3 notification: retrying cannot help, but the message is kept (and dead-lettered) for a look.
      metrics.addMetric('MessagesMalformed', MetricUnit.Count, 1);
      logger.error('message is not an S3 event notification', {
        messageId: record.messageId,
        receiveCount: record.attributes.ApproximateReceiveCount,
        body: record.body.length > 1000 ? `${record.body.slice(0, 1000)}…` : record.body,
        error: error as Error,
      });
      throw error;
    }
    if (refs.length === 0) {
      logger.info('message names no object (S3 test event)', { messageId: record.messageId });
      return;
    }
    for (const ref of refs) {
      try {
        const summary = await ingest(ref, () => context.getRemainingTimeInMillis());
        report(summary);
      } catch (error) {
        metrics.addMetric('ObjectsFailed', MetricUnit.Count, 1);
        // The same failure each time (corrupt gzip, a refused stream) ends in the dead-letter queue: the last
        // receive says so, where an operator looking for the cause of a dead letter searches.
        const last =
          deps.maxReceiveCount !== undefined &&
          Number(record.attributes.ApproximateReceiveCount) >= deps.maxReceiveCount;
        logger.error(last ? OBJECT_DEAD_LETTERED_MESSAGE : OBJECT_RETRIED_MESSAGE, {
          bucket: ref.bucket,
          key: ref.key,
          messageId: record.messageId,
          receiveCount: record.attributes.ApproximateReceiveCount,
          error: error as Error,
        });
        throw error;
      }
    }
  };

  const report = (summary: ObjectSummary): void => {
    if (summary.outcome === 'skipped') {
      metrics.addMetric('ObjectsSkipped', MetricUnit.Count, 1);
      logger.info('object skipped', { bucket: summary.bucket, key: summary.key, reason: summary.skipReason });
      return;
    }
    metrics.addMetric('ObjectsProcessed', MetricUnit.Count, 1);
    metrics.addMetric('LinesRead', MetricUnit.Count, summary.lines);
    metrics.addMetric('EventsDelivered', MetricUnit.Count, summary.events);
    metrics.addMetric('LinesQuarantined', MetricUnit.Count, summary.quarantined);
    metrics.addMetric('EventsInvalidUtf8', MetricUnit.Count, summary.invalidUtf8);
    metrics.addMetric('FirehoseCalls', MetricUnit.Count, summary.delivery.calls);
    metrics.addMetric('FirehoseRetriedRecords', MetricUnit.Count, summary.delivery.retriedRecords);
    metrics.addMetric('FirehoseFailedCalls', MetricUnit.Count, summary.delivery.failedCalls);
    for (const [dataset, events] of Object.entries(summary.eventsByDataset)) {
      const single = metrics.singleMetric();
      single.addDimension('Dataset', dataset);
      single.addMetric('DatasetEvents', MetricUnit.Count, events);
    }
    const log =
      summary.quarantined > 0 || summary.datasetMismatches > 0 || summary.invalidUtf8 > 0
        ? logger.warn
        : logger.info;
    log.call(logger, 'object processed', {
      bucket: summary.bucket,
      key: summary.key,
      dataset: summary.keyDataset,
      lines: summary.lines,
      blankLines: summary.blankLines,
      events: summary.events,
      quarantined: summary.quarantined,
      datasetMismatches: summary.datasetMismatches,
      invalidUtf8: summary.invalidUtf8,
      eventsByDataset: summary.eventsByDataset,
      firehose: summary.delivery,
    });
  };

  return middy(
    async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
      processPartialResponse(event, (record: SQSRecord) => handleRecord(record, context), processor, {
        context,
        // One object at a time keeps memory bounded whatever the batch size.
        processInParallel: false,
      }),
  )
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

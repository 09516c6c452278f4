import {
  type FirehoseClient,
  PutRecordBatchCommand,
  type PutRecordBatchCommandOutput,
} from '@aws-sdk/client-firehose';
import { SinkError } from '../core/errors.ts';
import type { FailedRecord, PutRecordsResult, RecordSink } from '../ports.ts';
import { classifyAwsError } from './aws-errors.ts';

// Errors after which the same call can succeed later (Firehose API Reference, PutRecordBatch; SDK error names).
const RETRYABLE = new Set([
  'ServiceUnavailableException',
  'ThrottlingException',
  'LimitExceededException',
  'InternalFailure',
  'InternalServerError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);
/**
 * Sends packed records to a Firehose delivery stream with `PutRecordBatch`. Entries that fail inside a 200
 * response are reported back for the caller to retry; a failed call becomes a {@link SinkError} that says
 * whether retrying can help. Retries themselves are the caller's (see `deliverRecords`), so build the client
 * with `maxAttempts: 1` to keep one retry policy.
 */
export class FirehoseRecordSink implements RecordSink {
  private readonly client: FirehoseClient;
  private readonly streamName: string;

  constructor(client: FirehoseClient, streamName: string) {
    this.client = client;
    this.streamName = streamName;
  }

  async putRecords(records: readonly Uint8Array[]): Promise<PutRecordsResult> {
    let response: PutRecordBatchCommandOutput;
    try {
      response = await this.client.send(
        new PutRecordBatchCommand({
          DeliveryStreamName: this.streamName,
          Records: records.map((Data) => ({ Data })),
        }),
      );
    } catch (error) {
      throw toSinkError(error);
    }
    if (!response.FailedPutCount) return { failed: [] };
    const failed: FailedRecord[] = [];
    response.RequestResponses?.forEach((entry, index) => {
      if (entry.ErrorCode) failed.push({ index, code: entry.ErrorCode, message: entry.ErrorMessage });
    });
    if (failed.length !== response.FailedPutCount) {
      throw new SinkError(
        `FailedPutCount ${response.FailedPutCount} but ${failed.length} entries carry an error`,
        'InconsistentResponse',
        true,
      );
    }
    return { failed };
  }
}

/** Classifies an SDK or network error of a whole call. */
export function toSinkError(error: unknown): SinkError {
  const { name, message, retryable } = classifyAwsError(error, RETRYABLE);
  return new SinkError(message, name, retryable, { cause: error });
}

import { LAKE_ECS_PREFIX, LAKE_ERROR_PREFIX } from '../settings.ts';

/**
 * The partitioning contract between the pipeline and Firehose, written once. Firehose evaluates this JQ 1.6
 * query on every de-aggregated event (dynamic partitioning, inline parsing); the local run evaluates
 * {@link partitionOf}, its TypeScript twin. Every event the mappers emit has `event.dataset` and a
 * `@timestamp` in `YYYY-MM-DDT…Z` form, so the first ten characters are the UTC day.
 */
export const PARTITION_JQ_QUERY = '{dataset: .event.dataset, dt: (.["@timestamp"] | .[0:10])}';

/** S3 prefix Firehose writes events under, with its partition-key placeholders. */
export const LAKE_EVENTS_PREFIX_TEMPLATE = `${LAKE_ECS_PREFIX}/dataset=!{partitionKeyFromQuery:dataset}/dt=!{partitionKeyFromQuery:dt}/`;

/** S3 prefix Firehose writes what it could not deliver or partition under. */
export const LAKE_ERRORS_PREFIX_TEMPLATE = `${LAKE_ERROR_PREFIX}/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/`;

/** The partition keys of one event. */
export interface PartitionKeys {
  readonly dataset: string;
  readonly dt: string;
}

/** What {@link PARTITION_JQ_QUERY} gives for `event`, or undefined where Firehose would fail extraction. */
export function partitionOf(event: {
  event?: { dataset?: unknown };
  '@timestamp'?: unknown;
}): PartitionKeys | undefined {
  const dataset = event.event?.dataset;
  const timestamp = event['@timestamp'];
  if (
    typeof dataset !== 'string' ||
    dataset === '' ||
    typeof timestamp !== 'string' ||
    timestamp.length < 10
  ) {
    return undefined;
  }
  return { dataset, dt: timestamp.slice(0, 10) };
}

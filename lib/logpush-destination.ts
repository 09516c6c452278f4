/**
 * The `destination_conf` a Logpush job needs to write into the Logpush bucket. Pure string building with no
 * CDK import, so the CLI can use it too; CDK tokens (bucket name, region) pass through as strings.
 */

/** Where one Logpush job writes. */
export interface LogpushDestination {
  /** Name of the Logpush bucket. */
  readonly bucket: string;
  /** Key prefix of Logpush objects in the bucket, without leading or trailing slash. */
  readonly prefix: string;
  /** Cloudflare dataset name, e.g. `http_requests`. */
  readonly dataset: string;
  /** Zone id for zone-scoped jobs, account id for account-scoped jobs. */
  readonly scopeId: string;
  /** AWS region of the bucket. */
  readonly region: string;
}

/**
 * Builds `s3://<bucket>/<prefix>/<dataset>/<scopeId>/{DATE}?region=<region>&sse=AES256`.
 *
 * The key layout `<prefix>/<dataset>/<scopeId>/` is what the normalize function reads the dataset from.
 * `{DATE}` is left for Cloudflare to fill in (`YYYYMMDD`, FACTS A1), giving daily subdirectories.
 * `sse=AES256` is the only server-side encryption Logpush documents (FACTS A1, E7).
 */
export function logpushDestinationConf(destination: LogpushDestination): string {
  const { bucket, prefix, dataset, scopeId, region } = destination;
  return `s3://${bucket}/${prefix}/${dataset}/${scopeId}/{DATE}?region=${region}&sse=AES256`;
}

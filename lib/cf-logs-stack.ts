import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DatasetName, DatasetScope } from '../lambdas/datasets/catalog.ts';
import { CloudflareLogLake } from './cloudflare-log-lake.ts';
import type { CfLogsConfig } from './config.ts';

/** Props of {@link CfLogsStack}. */
export interface CfLogsStackProps extends StackProps {
  /** The checked configuration (see `config.ts`). */
  readonly config: CfLogsConfig;
}

/** One Logpush job the configuration asks for: a dataset in a zone or in the account. */
export interface LogpushJobTarget {
  readonly dataset: DatasetName;
  readonly scope: DatasetScope;
  /** Zone id or account id. */
  readonly scopeId: string;
  /** Zone name, when the configuration gives one. */
  readonly scopeName?: string;
  /** Stable, readable CloudFormation output id, e.g. `DestinationConfHttpRequestsZone01234567`. */
  readonly outputId: string;
}

/**
 * The deployable stack: the {@link CloudflareLogLake} built from the configuration, and the outputs an operator
 * needs, above all the exact Logpush `destination_conf` of each configured dataset.
 */
export class CfLogsStack extends Stack {
  /** The log lake. */
  readonly lake: CloudflareLogLake;

  constructor(scope: Construct, id: string, props: CfLogsStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.lake = new CloudflareLogLake(this, 'LogLake', {
      logpushPrefix: config.logpushPrefix,
      quarantinePrefix: config.quarantinePrefix,
      retention: config.retention,
      normalize: config.normalize,
      firehose: config.firehose,
      athena: config.athena,
      removalPolicy: config.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      accessLogs: config.accessLogs,
      ...(config.cloudflare.accountId === undefined
        ? {}
        : { cloudflareAccountId: config.cloudflare.accountId }),
      cloudflareZoneIds: config.cloudflare.zones.map((zone) => zone.id),
      poller: config.poller,
    });
    const { lake } = this;

    const outputs: [id: string, value: string, description: string][] = [
      ['LogpushBucketName', lake.logpushBucket.bucketName, 'Bucket Cloudflare Logpush writes into'],
      ['LakeBucketName', lake.lakeBucket.bucketName, 'Bucket of the lake (ecs/, errors/, quarantine)'],
      ['DeliveryStreamName', lake.deliveryStream.deliveryStreamName, 'Firehose stream into the lake'],
      ['QueueUrl', lake.queue.queueUrl, 'Queue of new Logpush objects'],
      ['DeadLetterQueueUrl', lake.deadLetterQueue.queueUrl, 'Dead-letter queue: Logpush objects that failed'],
      [
        'GlueDatabaseName',
        lake.catalog.database.ref,
        'Glue database of the lake tables (ecs, raw_*, quarantine)',
      ],
      [
        'AthenaWorkGroupName',
        lake.query.workGroup.ref,
        'Athena workgroup to query the lake in (saved queries)',
      ],
      ['AthenaResultsBucketName', lake.query.resultsBucket.bucketName, 'Bucket of Athena query results'],
      [
        'LogpushDestinationConfTemplate',
        lake.logpushDestinationConf('<dataset>', '<account-or-zone-id>'),
        'Logpush destination_conf for a dataset not configured here: fill in the dataset and the zone or account id',
      ],
    ];
    for (const job of logpushJobTargets(config)) {
      const where = job.scopeName
        ? `${job.scope} ${job.scopeId} (${job.scopeName})`
        : `${job.scope} ${job.scopeId}`;
      outputs.push([
        job.outputId,
        lake.logpushDestinationConf(job.dataset, job.scopeId),
        `Logpush destination_conf for dataset ${job.dataset} in ${where}`,
      ]);
    }
    for (const [outputId, value, description] of outputs) {
      new CfnOutput(this, outputId, { value, description });
    }
  }
}

/**
 * Every (dataset, zone or account) pair the configuration asks for, with its output id. The id uses the first
 * 8 characters of the zone or account id, or all 32 when two configured zones share those 8.
 */
export function logpushJobTargets(config: CfLogsConfig): LogpushJobTarget[] {
  const short = (ids: readonly string[]) => {
    const firsts = ids.map((id) => id.slice(0, 8));
    return new Set(firsts).size === firsts.length ? (id: string) => id.slice(0, 8) : (id: string) => id;
  };
  const zoneKey = short(config.cloudflare.zones.map((zone) => zone.id));
  const targets: LogpushJobTarget[] = [];
  for (const dataset of config.datasets.zone) {
    for (const zone of config.cloudflare.zones) {
      targets.push({
        dataset,
        scope: 'zone',
        scopeId: zone.id,
        ...(zone.name === undefined ? {} : { scopeName: zone.name }),
        outputId: `DestinationConf${pascalCase(dataset)}Zone${zoneKey(zone.id)}`,
      });
    }
  }
  const accountId = config.cloudflare.accountId;
  if (accountId !== undefined) {
    for (const dataset of config.datasets.account) {
      targets.push({
        dataset,
        scope: 'account',
        scopeId: accountId,
        outputId: `DestinationConf${pascalCase(dataset)}Account${accountId.slice(0, 8)}`,
      });
    }
  }
  return targets;
}

function pascalCase(name: string): string {
  return name
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DatasetName, DatasetScope } from '../lambdas/datasets/catalog.ts';
import { logpushTargets } from '../lambdas/logpush/jobs.ts';
import { DEFAULT_CLOUDFLARE_API_BASE } from '../lambdas/poll/cloudflare-api.ts';
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

/** Most outputs one CloudFormation template may have (CloudFormation quotas, "Outputs"). */
export const MAX_STACK_OUTPUTS = 200;

/** Id of the output that says how many per-job `destination_conf` outputs were left out for the limit. */
export const OMITTED_DESTINATION_CONFS_OUTPUT = 'DestinationConfsNotListed';

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
      monitoring: config.monitoring,
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
      [
        'LogpushBucketRegion',
        this.region,
        'Region of the Logpush bucket: the region= of every destination_conf',
      ],
      [
        'LogpushSetupCommand',
        `npm run cf-logs -- logpush apply --bucket ${lake.logpushBucket.bucketName} --region ${this.region}`,
        'Creates or updates the Logpush job of every configured dataset and zone or account, ownership challenge ' +
          'included (run it in this repository with a Cloudflare API token); "logpush plan" with the same ' +
          'options shows what it would change',
      ],
      [
        'LogpushOwnershipChallengeCurl',
        `curl -sX POST ${DEFAULT_CLOUDFLARE_API_BASE}/<zones-or-accounts>/<id>/logpush/ownership ` +
          '-H "Authorization: Bearer $CLOUDFLARE_API_TOKEN" -H "Content-Type: application/json" ' +
          `-d '{"destination_conf":"${lake.logpushDestinationConf('<dataset>', '<id>')}"}'`,
        'Manual step 1 of a Logpush job: fill in zones or accounts, the zone or account id and the dataset. ' +
          'Cloudflare writes a file into the bucket and names it in the response (the name starts with the ' +
          'bucket): read the token in it and pass it as ownership_challenge when creating the job with the same ' +
          'destination_conf (README "Pointing Logpush at the bucket")',
      ],
    ];
    const { topic, dashboard } = lake.monitoring;
    if (topic) {
      outputs.push([
        'AlarmTopicArn',
        topic.topicArn,
        config.monitoring.emails.length > 0
          ? 'SNS topic the alarms notify: each subscribed address gets a confirmation e-mail to accept first'
          : 'SNS topic the alarms notify (from monitoring.topicArn)',
      ]);
    }
    if (dashboard) {
      outputs.push(
        ['DashboardName', dashboard.dashboardName, 'CloudWatch dashboard of the lake and its alarms'],
        [
          'DashboardUrl',
          `https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}` +
            `#dashboards/dashboard/${dashboard.dashboardName}`,
          'The dashboard in the CloudWatch console',
        ],
      );
    }
    const jobs = logpushJobTargets(config).map((job): [string, string, string] => {
      const where = job.scopeName
        ? `${job.scope} ${job.scopeId} (${job.scopeName})`
        : `${job.scope} ${job.scopeId}`;
      return [
        job.outputId,
        lake.logpushDestinationConf(job.dataset, job.scopeId),
        `Logpush destination_conf for dataset ${job.dataset} in ${where}`,
      ];
    });
    // With many zones one output per (dataset, zone) would pass CloudFormation's limit and fail the deployment:
    // list the first ones, and say where the rest are (the command prints every destination_conf).
    const room = MAX_STACK_OUTPUTS - countOutputs(this) - outputs.length;
    if (jobs.length <= room) {
      outputs.push(...jobs);
    } else {
      const listed = jobs.slice(0, Math.max(0, room - 1));
      outputs.push(...listed, [
        OMITTED_DESTINATION_CONFS_OUTPUT,
        `${jobs.length - listed.length} of ${jobs.length}`,
        `Logpush destination_conf outputs left out of this stack (CloudFormation allows ${MAX_STACK_OUTPUTS} ` +
          'outputs): "npm run cf-logs -- logpush plan" prints every job with its destination_conf, and ' +
          'LogpushDestinationConfTemplate gives the pattern',
      ]);
    }
    for (const [outputId, value, description] of outputs) {
      new CfnOutput(this, outputId, { value, description });
    }
    // The pollers add outputs too, and so may later parts: fail the synth rather than the deployment.
    this.node.addValidation({
      validate: () => {
        const count = countOutputs(this);
        return count > MAX_STACK_OUTPUTS
          ? [`the stack has ${count} outputs, more than CloudFormation's ${MAX_STACK_OUTPUTS}`]
          : [];
      },
    });
  }
}

function countOutputs(stack: Stack): number {
  return stack.node.findAll().filter((construct) => construct instanceof CfnOutput).length;
}

/**
 * Every (dataset, zone or account) pair the configuration asks for (`logpushTargets`, the jobs `cf-logs logpush`
 * manages), with its output id. The id uses the first
 * 8 characters of the zone or account id, or all 32 when two configured zones share those 8.
 */
export function logpushJobTargets(config: CfLogsConfig): LogpushJobTarget[] {
  const firsts = config.cloudflare.zones.map((zone) => zone.id.slice(0, 8));
  const zoneKey =
    new Set(firsts).size === firsts.length ? (id: string) => id.slice(0, 8) : (id: string) => id;
  return logpushTargets(config).map(({ dataset, scope }) => ({
    dataset,
    scope: scope.kind,
    scopeId: scope.id,
    ...(scope.name === undefined ? {} : { scopeName: scope.name }),
    outputId:
      scope.kind === 'zone'
        ? `DestinationConf${pascalCase(dataset)}Zone${zoneKey(scope.id)}`
        : `DestinationConf${pascalCase(dataset)}Account${scope.id.slice(0, 8)}`,
  }));
}

function pascalCase(name: string): string {
  return name
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

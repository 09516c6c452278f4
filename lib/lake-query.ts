import { Aws, Names, type RemovalPolicy } from 'aws-cdk-lib';
import { CfnNamedQuery, CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import type { Bucket, IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { SAVED_QUERIES, type SavedQuery } from '../lambdas/lake/queries.ts';
import { countPlaceholders } from '../scripts/athena-dialect.ts';
import { createSecureBucket } from './secure-bucket.ts';

/** Props of {@link LakeQuery}. */
export interface LakeQueryProps {
  /** Name of the Glue database the saved queries run in (a token ties them to the database resource). */
  readonly databaseName: string;
  /** Largest amount of data one query may scan, in MiB; 0 for no limit. */
  readonly scanLimitMiB: number;
  /** Days query results are kept. */
  readonly resultsRetentionDays: number;
  readonly abortIncompleteUploadDays: number;
  /** What happens to the results bucket when it leaves the stack. */
  readonly removalPolicy: RemovalPolicy;
  /** Bucket receiving server access logs, when they are on. */
  readonly accessLogBucket?: IBucket;
  /**
   * The saved queries to deploy as named queries.
   * @default SAVED_QUERIES
   */
  readonly queries?: readonly SavedQuery[];
}

/** Athena's limit on a named query's description (CreateNamedQuery API). */
const DESCRIPTION_MAX_LENGTH = 1024;
/** Athena's limit on a named query's name (CreateNamedQuery API). */
const NAME_MAX_LENGTH = 128;
const MIB = 1024 * 1024;

/**
 * Where the lake is queried: an Athena workgroup (engine version 3) whose settings queries cannot override,
 * results written SSE-S3-encrypted into a bucket of their own that forgets them after a while, a per-query scan
 * limit, CloudWatch query metrics, and the saved queries as named queries.
 */
export class LakeQuery extends Construct {
  /** The workgroup. */
  readonly workGroup: CfnWorkGroup;
  /** Name of the workgroup. */
  readonly workGroupName: string;
  /** Bucket of query results. */
  readonly resultsBucket: Bucket;
  /** One named query per saved query, by saved query id. */
  readonly namedQueries: ReadonlyMap<string, CfnNamedQuery>;

  constructor(scope: Construct, id: string, props: LakeQueryProps) {
    super(scope, id);
    const queries = props.queries ?? SAVED_QUERIES;
    const problems = queries.flatMap(savedQueryProblems);
    if (problems.length > 0) throw new Error(`Saved queries:\n${problems.join('\n')}`);

    this.resultsBucket = createSecureBucket(this, 'ResultsBucket', {
      removalPolicy: props.removalPolicy,
      abortIncompleteUploadDays: props.abortIncompleteUploadDays,
      expirations: [{ id: 'ExpireQueryResults', days: props.resultsRetentionDays }],
      accessLogs: props.accessLogBucket && {
        bucket: props.accessLogBucket,
        prefix: 'athena-results-bucket/',
      },
    });
    // Workgroup names are unique per account and region: derived from the construct path, so two stacks differ.
    this.workGroupName = Names.uniqueResourceName(this, { maxLength: 128, separator: '-' });
    this.workGroup = new CfnWorkGroup(this, 'WorkGroup', {
      name: this.workGroupName,
      description: 'cf-logs: queries over the Cloudflare log lake (saved queries included)',
      state: 'ENABLED',
      // Deleting the stack deletes the workgroup with the named queries people saved in it; the results
      // bucket follows the stack's removal policy.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        publishCloudWatchMetricsEnabled: true,
        requesterPaysEnabled: false,
        ...(props.scanLimitMiB === 0 ? {} : { bytesScannedCutoffPerQuery: props.scanLimitMiB * MIB }),
        resultConfiguration: {
          outputLocation: `s3://${this.resultsBucket.bucketName}/`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
          // Athena refuses to write results into a bucket of another account (a deleted and re-created name).
          expectedBucketOwner: Aws.ACCOUNT_ID,
        },
      },
    });

    this.namedQueries = new Map(
      queries.map((query) => [
        query.id,
        new CfnNamedQuery(this, `Query-${query.id}`, {
          name: query.name,
          description: namedQueryDescription(query),
          database: props.databaseName,
          workGroup: this.workGroup.ref,
          queryString: query.sql,
        }),
      ]),
    );
  }
}

/** The description of a named query: the saved query's, then its parameters in order, with an example each. */
export function namedQueryDescription(query: SavedQuery): string {
  if (query.parameters.length === 0) return query.description;
  const parameters = query.parameters.map(
    (parameter, index) =>
      `${index + 1}. ${parameter.name}: ${parameter.description} (e.g. ${parameter.example})`,
  );
  return `${query.description}\nParameters (the ? in order): ${parameters.join('; ')}`;
}

/** What Athena would refuse in a saved query, one line each. */
function savedQueryProblems(query: SavedQuery, index: number, all: readonly SavedQuery[]): string[] {
  const problems: string[] = [];
  const add = (problem: string) => problems.push(`"${query.id}" ${problem}`);
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(query.id)) add('is not a kebab-case id');
  if (all.findIndex((other) => other.id === query.id) !== index) add('is the id of two saved queries');
  if (query.name.length === 0 || query.name.length > NAME_MAX_LENGTH) {
    add(`has a name of ${query.name.length} characters; Athena takes 1 to ${NAME_MAX_LENGTH}`);
  }
  const description = namedQueryDescription(query);
  if (query.description.length === 0 || description.length > DESCRIPTION_MAX_LENGTH) {
    add(
      `has a description of ${description.length} characters with its parameters; Athena takes 1 to ` +
        `${DESCRIPTION_MAX_LENGTH}`,
    );
  }
  // Counted by the dialect's tokenizer: a `?` in a string, a quoted name or a comment is not a parameter.
  const placeholders = countPlaceholders(query.sql);
  if (placeholders !== query.parameters.length) {
    add(`has ${placeholders} "?" in its SQL but ${query.parameters.length} parameters`);
  }
  return problems;
}

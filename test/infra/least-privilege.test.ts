/**
 * Least privilege over the whole template, not a sample: one stack with the pollers on, alarms notifying e-mail
 * addresses (a topic and its key), and prefixes that are not the defaults (so every grant is seen to follow the
 * settings) is synthesized, and every statement that grants or denies anything is listed in one table: the
 * identity policies of every IAM role (inline, AWS::IAM::Policy, managed policies), every trust policy, and every
 * resource policy (buckets, queues, topics, keys, secrets, function permissions). A new or widened grant, or a new
 * resource that grants access, fails with a diff of the table's lines. The README's "Security" promises are then
 * asserted one by one on the same statements.
 */
import { CfnElement } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { CLOUDFLARE_LOGPUSH_PRINCIPAL } from '../../lib/logpush-storage.ts';
import { synthesize } from './helpers.ts';

const ACCOUNT = '0123456789abcdef0123456789abcdef';
const LOGPUSH = 'cloudflare/logpush';
const QUARANTINE = 'quarantined';

const { stack, template } = synthesize({
  cloudflare: { accountId: ACCOUNT, zones: [{ id: '89abcdef0123456789abcdef01234567' }] },
  datasets: { zone: ['http_requests'], account: ['gateway_dns'] },
  logpushPrefix: LOGPUSH,
  quarantinePrefix: QUARANTINE,
  poller: { enabled: true, sources: ['access_requests', 'audit_logs'], reservedConcurrency: true },
  // Alarms notify e-mail addresses: the stack then makes a topic and its key, both with policies.
  monitoring: { emails: ['secops@example.com'] },
});
const resources = template.toJSON().Resources as Record<
  string,
  { Type: string; Properties?: Record<string, unknown> }
>;

/** A resource's name in the table: its construct path under the stack, without the L1's `Resource` child. */
const names = new Map<string, string>();
for (const construct of stack.node.findAll()) {
  if (!(construct instanceof CfnElement)) continue;
  const path = construct.node.path
    .replace(/^CfLogs\/(LogLake\/)?/, '')
    .replace(/\/(Resource|Default)$/, '')
    // CDK's singleton carries a hash in its id; the name reads the same without it.
    .replace(/^BucketNotificationsHandler[0-9a-f]{32}/, 'BucketNotificationsHandler');
  names.set(stack.getLogicalId(construct), path);
}
const nameOf = (id: string): string => names.get(id) ?? id;

/** A CloudFormation value as text: `<Delivery/LakeBucket.Arn>/quarantined/*`, `<AWS::Region>`. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    if ('Ref' in value) return `<${nameOf((value as { Ref: string }).Ref)}>`;
    if ('Fn::GetAtt' in value) {
      const [id, attribute] = (value as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
      return `<${nameOf(id)}.${attribute}>`;
    }
    if ('Fn::Join' in value) {
      const [separator, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
      return parts.map(render).join(separator);
    }
  }
  return JSON.stringify(value);
}

/** A condition block with its values rendered, as compact JSON. */
function renderCondition(condition: unknown): string {
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (typeof value === 'object' && value !== null) {
      const keys = Object.keys(value);
      if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'))) return render(value);
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, walk(inner)]));
    }
    return value;
  };
  return JSON.stringify(walk(condition));
}

/** A principal as text: `Service:lambda.amazonaws.com`, `AWS:*`, `AWS:arn:aws:iam::…`. */
function renderPrincipals(principal: unknown): string[] {
  if (principal === '*') return ['*'];
  if (typeof principal !== 'object' || principal === null) return [render(principal)];
  return Object.entries(principal).flatMap(([kind, values]) =>
    [values].flat().map((value) => `${kind}:${render(value)}`),
  );
}

/** One (effect, principal, action, resource, condition) of one statement: a line of the table. */
interface Grant {
  /** The role, or `<kind> <resource>` for a resource policy, or `<role> trust`. */
  readonly owner: string;
  readonly kind: 'identity' | 'trust' | 'resource' | 'managed';
  readonly effect: string;
  /** Empty for identity policies (the principal is the role). */
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly condition: string;
}

interface Statement {
  Effect: string;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Condition?: unknown;
}

function grantsOfStatements(owner: string, kind: Grant['kind'], statements: readonly Statement[]): Grant[] {
  return statements.flatMap((statement) => {
    // NotAction / NotResource / NotPrincipal grant by exclusion: they show up marked, never silently.
    const actions = statement.NotAction
      ? [statement.NotAction].flat().map((a) => `NOT ${render(a)}`)
      : [statement.Action].flat().map(render);
    const resourceList = statement.NotResource
      ? [statement.NotResource].flat().map((r) => `NOT ${render(r)}`)
      : statement.Resource === undefined
        ? ['-']
        : [statement.Resource].flat().map(render);
    const principals = statement.NotPrincipal
      ? renderPrincipals(statement.NotPrincipal).map((p) => `NOT ${p}`)
      : statement.Principal === undefined
        ? ['']
        : renderPrincipals(statement.Principal);
    const condition = statement.Condition === undefined ? '' : renderCondition(statement.Condition);
    return principals.flatMap((principal) =>
      actions.flatMap((action) =>
        resourceList.map(
          (resource): Grant => ({
            owner,
            kind,
            effect: statement.Effect,
            principal,
            action,
            resource,
            condition,
          }),
        ),
      ),
    );
  });
}

type PolicyDocument = { Statement: Statement[] };
const documentOf = (value: unknown): PolicyDocument =>
  (typeof value === 'string' ? JSON.parse(value) : value) as PolicyDocument;
const refsOf = (value: unknown): string => [value].flat().map(render).join(', ').replace(/[<>]/g, '');

/**
 * How each resource type that grants access is read. Anything else that looks like it grants access (see
 * {@link looksLikeAccess}) is reported by "knows every resource that grants access".
 */
const READERS: Readonly<Record<string, (id: string, properties: Record<string, unknown>) => Grant[]>> = {
  'AWS::IAM::Role': (id, p) => [
    ...grantsOfStatements(`${nameOf(id)} trust`, 'trust', documentOf(p.AssumeRolePolicyDocument).Statement),
    ...((p.Policies ?? []) as { PolicyDocument: unknown }[]).flatMap((policy) =>
      grantsOfStatements(nameOf(id), 'identity', documentOf(policy.PolicyDocument).Statement),
    ),
    ...((p.ManagedPolicyArns ?? []) as unknown[]).map(
      (arn): Grant => ({
        owner: nameOf(id),
        kind: 'managed',
        effect: 'Attach',
        principal: '',
        action: 'managed policy',
        resource: render(arn),
        condition: '',
      }),
    ),
  ],
  'AWS::IAM::Policy': (_id, p) =>
    [p.Roles, p.Users, p.Groups]
      .flatMap((list) => (list ?? []) as unknown[])
      .flatMap((holder) =>
        grantsOfStatements(refsOf(holder), 'identity', documentOf(p.PolicyDocument).Statement),
      ),
  'AWS::IAM::ManagedPolicy': (id, p) =>
    grantsOfStatements(
      `${nameOf(id)} (managed policy of ${refsOf([p.Roles ?? [], p.Users ?? [], p.Groups ?? []].flat())})`,
      'identity',
      documentOf(p.PolicyDocument).Statement,
    ),
  'AWS::S3::BucketPolicy': (_id, p) =>
    grantsOfStatements(`bucket ${refsOf(p.Bucket)}`, 'resource', documentOf(p.PolicyDocument).Statement),
  'AWS::SQS::QueuePolicy': (_id, p) =>
    grantsOfStatements(`queue ${refsOf(p.Queues)}`, 'resource', documentOf(p.PolicyDocument).Statement),
  'AWS::SNS::TopicPolicy': (_id, p) =>
    grantsOfStatements(`topic ${refsOf(p.Topics)}`, 'resource', documentOf(p.PolicyDocument).Statement),
  'AWS::KMS::Key': (id, p) =>
    grantsOfStatements(`key ${nameOf(id)}`, 'resource', documentOf(p.KeyPolicy).Statement),
  'AWS::SecretsManager::ResourcePolicy': (_id, p) =>
    grantsOfStatements(`secret ${refsOf(p.SecretId)}`, 'resource', documentOf(p.ResourcePolicy).Statement),
  'AWS::Logs::ResourcePolicy': (id, p) =>
    grantsOfStatements(`logs ${nameOf(id)}`, 'resource', documentOf(p.PolicyDocument).Statement),
  'AWS::Lambda::Permission': (_id, p) =>
    grantsOfStatements(`function ${refsOf(p.FunctionName)}`, 'resource', [
      {
        Effect: 'Allow',
        Principal: String(p.Principal).includes('.amazonaws.com')
          ? { Service: p.Principal }
          : { AWS: p.Principal },
        Action: p.Action,
        Resource: p.FunctionName,
        ...(p.SourceArn || p.SourceAccount
          ? {
              Condition: {
                ...(p.SourceArn ? { ArnLike: { 'AWS:SourceArn': p.SourceArn } } : {}),
                ...(p.SourceAccount ? { StringEquals: { 'AWS:SourceAccount': p.SourceAccount } } : {}),
              },
            }
          : {}),
      },
    ]),
};

/** Whether a resource that has no reader above may grant access (a policy, a permission, a key, IAM). */
function looksLikeAccess(type: string, properties: Record<string, unknown>): boolean {
  if (/^AWS::(IAM|KMS|LakeFormation|SSO|RAM)::|Policy$|Permission$|Permissions$|Grant$/.test(type))
    return true;
  return Object.keys(properties).some((key) =>
    [
      'PolicyDocument',
      'KeyPolicy',
      'ResourcePolicy',
      'AssumeRolePolicyDocument',
      'Policies',
      'PolicyText',
    ].includes(key),
  );
}

const actual: Grant[] = [];
const unknown: string[] = [];
for (const [id, resource] of Object.entries(resources)) {
  const read = READERS[resource.Type];
  if (read) actual.push(...read(id, resource.Properties ?? {}));
  else if (looksLikeAccess(resource.Type, resource.Properties ?? {}))
    unknown.push(`${resource.Type} ${nameOf(id)}`);
}

/** A grant as one line of the table. */
function line(grant: Grant): string {
  const who = grant.principal === '' ? '' : ` ${grant.principal}`;
  const when = grant.condition === '' ? '' : ` if ${grant.condition}`;
  return `${grant.owner}: ${grant.effect}${who} ${grant.action} on ${grant.resource}${when}`;
}

// ---- the table: what the README promises, written out ----

const lakeBucket = '<Delivery/LakeBucket.Arn>';
const logpushBucket = '<Storage/LogpushBucket.Arn>';
const checkpointBucket = '<Poller/CheckpointBucket.Arn>';
const accessLogBucket = '<AccessLogBucket.Arn>';
const resultsBucket = '<Query/ResultsBucket.Arn>';
const queue = '<Ingest/Queue.Arn>';
const deadLetterQueue = '<Ingest/DeadLetterQueue.Arn>';
const stream = '<Delivery/DeliveryStream.Arn>';
const glue = 'arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>';
const topic = '<Monitoring/AlarmTopic>';
const ACCOUNT_ROOT = 'arn:<AWS::Partition>:iam::<AWS::AccountId>:root';
const TLS_ONLY = '{"Bool":{"aws:SecureTransport":"false"}}';
const ALARMS_OF_THIS_ACCOUNT =
  '{"StringEquals":{"aws:SourceAccount":"<AWS::AccountId>"},' +
  '"ArnLike":{"aws:SourceArn":"arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:*"}}';
const sourceOf = (bucket: string) =>
  `{"ArnLike":{"aws:SourceArn":"${bucket}"},"StringEquals":{"aws:SourceAccount":"<AWS::AccountId>"}}`;

/** `[owner, effect, principal, actions, resources, condition]`, expanded to one line per action and resource. */
type Entry = readonly [
  owner: string,
  effect: 'Allow' | 'Deny' | 'Attach',
  principal: string,
  actions: readonly string[],
  resources: readonly string[],
  condition?: string,
];

/** A bucket made by createSecureBucket: TLS-only, nothing else unless added. */
const tlsOnlyBucket = (bucket: string, arn: string): Entry => [
  `bucket ${bucket}`,
  'Deny',
  'AWS:*',
  ['s3:*'],
  [arn, `${arn}/*`],
  TLS_ONLY,
];
const lambdaTrust = (role: string): Entry => [
  `${role} trust`,
  'Allow',
  'Service:lambda.amazonaws.com',
  ['sts:AssumeRole'],
  ['-'],
];

const EXPECTED: readonly Entry[] = [
  // The normalize function: its log group, its queue, the Logpush prefix (read), the quarantine prefix (write),
  // its delivery stream. Nothing else (README "Security", second point).
  lambdaTrust('Ingest/NormalizeFunctionRole'),
  [
    'Ingest/NormalizeFunctionRole',
    'Allow',
    '',
    ['logs:CreateLogStream', 'logs:PutLogEvents'],
    ['<Ingest/NormalizeFunctionLogGroup.Arn>'],
  ],
  [
    'Ingest/NormalizeFunctionRole',
    'Allow',
    '',
    [
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:ReceiveMessage',
    ],
    [queue],
  ],
  ['Ingest/NormalizeFunctionRole', 'Allow', '', ['s3:GetObject'], [`${logpushBucket}/${LOGPUSH}/*`]],
  ['Ingest/NormalizeFunctionRole', 'Allow', '', ['s3:PutObject'], [`${lakeBucket}/${QUARANTINE}/*`]],
  ['Ingest/NormalizeFunctionRole', 'Allow', '', ['firehose:PutRecord', 'firehose:PutRecordBatch'], [stream]],

  // The poll function: its log group, its secret, one checkpoint key per source (and the listing that turns a
  // first run's 403 into a 404), the quarantine prefix, the stream (README "Security", fourth point).
  lambdaTrust('Poller/PollFunctionRole'),
  [
    'Poller/PollFunctionRole',
    'Allow',
    '',
    ['logs:CreateLogStream', 'logs:PutLogEvents'],
    ['<Poller/PollFunctionLogGroup.Arn>'],
  ],
  ['Poller/PollFunctionRole', 'Allow', '', ['secretsmanager:GetSecretValue'], ['<Poller/Credential>']],
  [
    'Poller/PollFunctionRole',
    'Allow',
    '',
    ['s3:GetObject', 's3:PutObject'],
    [
      `${checkpointBucket}/state/poller/access_requests.json`,
      `${checkpointBucket}/state/poller/audit_logs.json`,
    ],
  ],
  ['Poller/PollFunctionRole', 'Allow', '', ['s3:ListBucket'], [checkpointBucket]],
  ['Poller/PollFunctionRole', 'Allow', '', ['s3:PutObject'], [`${lakeBucket}/${QUARANTINE}/*`]],
  ['Poller/PollFunctionRole', 'Allow', '', ['firehose:PutRecordBatch'], [stream]],

  // The schedule's role: invoke that one function, assumed only for schedules of this account.
  [
    'Poller/SchedulerRole trust',
    'Allow',
    'Service:scheduler.amazonaws.com',
    ['sts:AssumeRole'],
    ['-'],
    '{"StringEquals":{"aws:SourceAccount":"<AWS::AccountId>"}}',
  ],
  ['Poller/SchedulerRole', 'Allow', '', ['lambda:InvokeFunction'], ['<Poller/PollFunction.Arn>']],

  // Firehose: its two lake prefixes (and the bucket-level calls its documented role has), the ECS table's
  // definition in Glue, its error log; assumed only on behalf of this account (README "Security", sixth point).
  [
    'Delivery/DeliveryRole trust',
    'Allow',
    'Service:firehose.amazonaws.com',
    ['sts:AssumeRole'],
    ['-'],
    '{"StringEquals":{"sts:ExternalId":"<AWS::AccountId>"}}',
  ],
  [
    'Delivery/DeliveryRole',
    'Allow',
    '',
    ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
    [lakeBucket],
  ],
  [
    'Delivery/DeliveryRole',
    'Allow',
    '',
    ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
    [`${lakeBucket}/ecs/*`, `${lakeBucket}/errors/*`],
  ],
  [
    'Delivery/DeliveryRole',
    'Allow',
    '',
    ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions'],
    [
      `${glue}:catalog`,
      `${glue}:database/<Catalog/Database>`,
      `${glue}:table/<Catalog/Database>/<Catalog/Ecs>`,
    ],
  ],
  ['Delivery/DeliveryRole', 'Allow', '', ['logs:PutLogEvents'], ['<Delivery/LogGroup.Arn>']],

  // CDK's own function that sets the Logpush bucket's notifications at deployment (nag.test.ts acknowledges its
  // managed policy): the notification configuration of that one bucket.
  lambdaTrust('BucketNotificationsHandler/Role'),
  [
    'BucketNotificationsHandler/Role',
    'Attach',
    '',
    ['managed policy'],
    ['arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
  ],
  [
    'BucketNotificationsHandler/Role',
    'Allow',
    '',
    ['s3:GetBucketNotification', 's3:PutBucketNotification'],
    [logpushBucket],
  ],

  // Buckets: TLS only; Cloudflare's principal may put objects under the Logpush prefix and nothing else (README
  // "Security", first point); S3 delivers server access logs for this account's buckets, each under its prefix.
  tlsOnlyBucket('Storage/LogpushBucket', logpushBucket),
  [
    'bucket Storage/LogpushBucket',
    'Allow',
    `AWS:${CLOUDFLARE_LOGPUSH_PRINCIPAL}`,
    ['s3:PutObject'],
    [`${logpushBucket}/${LOGPUSH}/*`],
  ],
  tlsOnlyBucket('Delivery/LakeBucket', lakeBucket),
  tlsOnlyBucket('Query/ResultsBucket', resultsBucket),
  tlsOnlyBucket('Poller/CheckpointBucket', checkpointBucket),
  tlsOnlyBucket('AccessLogBucket', accessLogBucket),
  ...(
    [
      ['logpush-bucket', logpushBucket],
      ['lake-bucket', lakeBucket],
      ['athena-results-bucket', resultsBucket],
      ['checkpoint-bucket', checkpointBucket],
    ] as const
  ).map(
    ([prefix, source]): Entry => [
      'bucket AccessLogBucket',
      'Allow',
      'Service:logging.s3.amazonaws.com',
      ['s3:PutObject'],
      [`${accessLogBucket}/${prefix}/*`],
      sourceOf(source),
    ],
  ),

  // Queues: TLS only; S3 may send the Logpush bucket's events to the queue.
  ['queue Ingest/Queue', 'Deny', 'AWS:*', ['sqs:*'], [queue], TLS_ONLY],
  [
    'queue Ingest/Queue',
    'Allow',
    'Service:s3.amazonaws.com',
    ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
    [queue],
    `{"ArnLike":{"aws:SourceArn":"${logpushBucket}"}}`,
  ],
  ['queue Ingest/DeadLetterQueue', 'Deny', 'AWS:*', ['sqs:*'], [deadLetterQueue], TLS_ONLY],

  // Monitoring with e-mail subscriptions: the alarm topic takes TLS only, and publications from this account's
  // alarms. Its key is administered by the account (CDK's default key policy: without it no IAM policy could manage
  // the key) and used by CloudWatch to publish; in a key policy `*` is the key itself, which encrypts this topic
  // only, so the topic's conditions are what keep other accounts' alarms out.
  ['key Monitoring/AlarmTopicKey', 'Allow', `AWS:${ACCOUNT_ROOT}`, ['kms:*'], ['*']],
  [
    'key Monitoring/AlarmTopicKey',
    'Allow',
    'Service:cloudwatch.amazonaws.com',
    ['kms:Decrypt', 'kms:GenerateDataKey*'],
    ['*'],
  ],
  ['topic Monitoring/AlarmTopic', 'Deny', '*', ['sns:Publish'], [topic], TLS_ONLY],
  [
    'topic Monitoring/AlarmTopic',
    'Allow',
    'Service:cloudwatch.amazonaws.com',
    ['sns:Publish'],
    [topic],
    ALARMS_OF_THIS_ACCOUNT,
  ],
];

const expectedGrants: Grant[] = EXPECTED.flatMap(
  ([owner, effect, principal, actions, resourceList, condition]) =>
    actions.flatMap((action) =>
      resourceList.map(
        (resource): Grant => ({
          owner,
          kind: owner.endsWith(' trust')
            ? 'trust'
            : effect === 'Attach'
              ? 'managed'
              : /^(bucket|queue|topic|key|secret|function|logs) /.test(owner)
                ? 'resource'
                : 'identity',
          effect,
          principal,
          action,
          resource,
          condition: condition ?? '',
        }),
      ),
    ),
);

const sorted = (grants: readonly Grant[]) => grants.map(line).sort();
const identity = (owner: string) => actual.filter((g) => g.owner === owner && g.kind === 'identity');

// ---- the tests ----

describe('the whole template (pollers on)', () => {
  it('knows every resource that grants access', () => {
    expect(
      unknown,
      'resources that may grant access but have no reader in least-privilege.test.ts: read their statements and ' +
        'add them to EXPECTED, each with the reason it is needed',
    ).toEqual([]);
  });

  it('grants and denies exactly what the table lists, statement for statement', () => {
    expect(
      sorted(actual),
      'a grant differs from the table in least-privilege.test.ts: narrow the code, or add the grant to the ' +
        'table with the reason it is needed (and to the README "Security" section)',
    ).toEqual(sorted(expectedGrants));
  });

  it('allows no `*` resource and no wildcard action', () => {
    // No action this stack needs lacks resource-level permissions: the functions send metrics as EMF log lines
    // (no cloudwatch:PutMetricData, which takes only `*`) and do not trace (no xray:PutTraceSegments, same).
    // The one exception would be a KMS key policy, where `*` names the key itself.
    const NO_RESOURCE_LEVEL_PERMISSIONS: Readonly<Record<string, string>> = {};
    const allowed = actual.filter((g) => g.effect === 'Allow' && !g.owner.startsWith('key '));
    expect(
      allowed.filter((g) => g.resource === '*' && !(g.action in NO_RESOURCE_LEVEL_PERMISSIONS)).map(line),
    ).toEqual([]);
    expect(allowed.filter((g) => g.action.includes('*')).map(line)).toEqual([]);
    expect(
      actual.filter((g) => g.action.startsWith('NOT ') || g.resource.startsWith('NOT ')).map(line),
    ).toEqual([]);
    expect(actual.filter((g) => g.principal.startsWith('NOT ')).map(line)).toEqual([]);
  });

  it("puts no AWS-managed policy on the project's roles (CDK's notification handler aside)", () => {
    expect(actual.filter((g) => g.kind === 'managed').map((g) => g.owner)).toEqual([
      'BucketNotificationsHandler/Role',
    ]);
    expect(Object.values(resources).filter((r) => r.Type === 'AWS::IAM::ManagedPolicy')).toEqual([]);
  });
});

describe('the promises of the README "Security" section', () => {
  it('the normalize function reads only the Logpush prefix and writes only to its stream and the quarantine', () => {
    const grants = identity('Ingest/NormalizeFunctionRole');
    const s3 = grants.filter((g) => g.action.startsWith('s3:'));
    expect(s3.filter((g) => /^s3:(Get|List)/.test(g.action)).map((g) => g.resource)).toEqual([
      `${logpushBucket}/${LOGPUSH}/*`,
    ]);
    expect(
      s3.filter((g) => !/^s3:(Get|List)/.test(g.action)).map((g) => `${g.action} ${g.resource}`),
    ).toEqual([`s3:PutObject ${lakeBucket}/${QUARANTINE}/*`]);
    expect(new Set(grants.filter((g) => g.action.startsWith('firehose:')).map((g) => g.resource))).toEqual(
      new Set([stream]),
    );
    expect(new Set(grants.filter((g) => g.action.startsWith('sqs:')).map((g) => g.resource))).toEqual(
      new Set([queue]),
    );
    expect(new Set(grants.map((g) => g.action.split(':')[0]))).toEqual(
      new Set(['logs', 'sqs', 's3', 'firehose']),
    );
  });

  it('the poll function reads only its secret and its checkpoint keys', () => {
    const grants = identity('Poller/PollFunctionRole');
    expect(grants.filter((g) => g.action.startsWith('secretsmanager:')).map(line)).toEqual([
      'Poller/PollFunctionRole: Allow secretsmanager:GetSecretValue on <Poller/Credential>',
    ]);
    const reads = grants
      .filter((g) => /^s3:(Get|List)/.test(g.action))
      .map((g) => `${g.action} ${g.resource}`);
    expect(reads.sort()).toEqual([
      `s3:GetObject ${checkpointBucket}/state/poller/access_requests.json`,
      `s3:GetObject ${checkpointBucket}/state/poller/audit_logs.json`,
      `s3:ListBucket ${checkpointBucket}`,
    ]);
    expect(grants.some((g) => g.resource.includes('Storage/LogpushBucket'))).toBe(false);
  });

  it('only Firehose writes under ecs/ and errors/, and only the functions write the quarantine', () => {
    const objectWrites = actual.filter(
      (g) =>
        g.effect === 'Allow' &&
        /^s3:(Put|Delete|Abort|Restore|Replicate)/.test(g.action) &&
        g.resource.startsWith(`${lakeBucket}/`),
    );
    expect(objectWrites.map((g) => `${g.owner} ${g.action} ${g.resource}`).sort()).toEqual([
      `Delivery/DeliveryRole s3:AbortMultipartUpload ${lakeBucket}/ecs/*`,
      `Delivery/DeliveryRole s3:AbortMultipartUpload ${lakeBucket}/errors/*`,
      `Delivery/DeliveryRole s3:PutObject ${lakeBucket}/ecs/*`,
      `Delivery/DeliveryRole s3:PutObject ${lakeBucket}/errors/*`,
      `Ingest/NormalizeFunctionRole s3:PutObject ${lakeBucket}/${QUARANTINE}/*`,
      `Poller/PollFunctionRole s3:PutObject ${lakeBucket}/${QUARANTINE}/*`,
    ]);
  });

  it("gives Cloudflare's principal s3:PutObject under the Logpush prefix and nothing else", () => {
    const cloudflare = actual.filter((g) => g.principal.includes('391854517948'));
    expect(cloudflare.map(line)).toEqual([
      `bucket Storage/LogpushBucket: Allow AWS:${CLOUDFLARE_LOGPUSH_PRINCIPAL} s3:PutObject on ${logpushBucket}/${LOGPUSH}/*`,
    ]);
    // Nobody else may put objects into the Logpush bucket.
    const writers = actual.filter(
      (g) =>
        g.effect === 'Allow' && /^s3:Put(Object|\*)/.test(g.action) && g.resource.startsWith(logpushBucket),
    );
    expect(writers).toEqual(cloudflare);
  });

  it('lets AWS services act on a resource policy only for this account, and no one else at all', () => {
    const granted = actual.filter((g) => g.kind === 'resource' && g.effect === 'Allow');
    const key = (g: Grant) => g.owner === 'key Monitoring/AlarmTopicKey';
    for (const grant of granted) {
      if (grant.principal === `AWS:${CLOUDFLARE_LOGPUSH_PRINCIPAL}`) continue;
      // A key policy must let the account manage the key; it delegates to this account's IAM policies.
      if (key(grant) && grant.principal === `AWS:${ACCOUNT_ROOT}`) continue;
      expect(grant.principal, line(grant)).toMatch(/^Service:[a-z0-9.-]+\.amazonaws\.com$/);
      // CloudWatch may use the alarm topic's key only through that topic, whose policy admits this account's
      // alarms alone (the next test).
      if (key(grant) && grant.principal === 'Service:cloudwatch.amazonaws.com') continue;
      // The service acts for this account's resources only (no confused deputy).
      expect(grant.condition, line(grant)).toMatch(/aws:Source(Arn|Account)/);
    }
  });

  it("lets only this account's alarms publish to the alarm topic, over TLS", () => {
    const publishers = actual.filter((g) => g.owner === 'topic Monitoring/AlarmTopic');
    expect(publishers.map(line)).toEqual([
      `topic Monitoring/AlarmTopic: Deny * sns:Publish on ${topic} if ${TLS_ONLY}`,
      `topic Monitoring/AlarmTopic: Allow Service:cloudwatch.amazonaws.com sns:Publish on ${topic} if ${ALARMS_OF_THIS_ACCOUNT}`,
    ]);
    // The key is the topic's alone: no other resource of the stack names it.
    const keyId = [...names].find(([, name]) => name === 'Monitoring/AlarmTopicKey')?.[0];
    const users = Object.entries(resources)
      .filter(([id, r]) => id !== keyId && JSON.stringify(r.Properties ?? {}).includes(`"${keyId}"`))
      .map(([id]) => nameOf(id));
    expect(users).toEqual(['Monitoring/AlarmTopic']);
  });

  it('lets only AWS services assume the roles', () => {
    const trust = actual.filter((g) => g.kind === 'trust');
    expect(trust.length).toBe(5);
    for (const grant of trust) {
      expect(`${grant.effect} ${grant.principal} ${grant.action}`, line(grant)).toMatch(
        /^Allow Service:(lambda|scheduler|firehose)\.amazonaws\.com sts:AssumeRole$/,
      );
    }
  });
});

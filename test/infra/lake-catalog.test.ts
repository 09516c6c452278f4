import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lambdas/core/errors.ts';
import { DATASET_NAMES } from '../../lambdas/datasets/catalog.ts';
import { SAVED_QUERIES, type SavedQuery } from '../../lambdas/lake/queries.ts';
import {
  hiveType,
  LAKE_DATASETS,
  LAKE_NAME_PATTERN,
  LAKE_SCHEMA,
  LAKE_TABLES,
  QUARANTINE_COLUMNS,
  rawTableColumns,
} from '../../lambdas/lake/schema.ts';
import { CloudflareLogLake } from '../../lib/cloudflare-log-lake.ts';
import { contextOverrides, parseConfig } from '../../lib/config.ts';
import { LakeQuery, namedQueryDescription } from '../../lib/lake-query.ts';
import { logpushDestinationConf } from '../../lib/logpush-destination.ts';
import { arnOf, grantsOf, logicalId, renderValue, roleStatements, synthesize } from './helpers.ts';

const ACCOUNT = '0123456789abcdef0123456789abcdef';
const ZONES = ['89abcdef0123456789abcdef01234567', 'fedcba9876543210fedcba9876543210'];
const EXAMPLE = JSON.parse(
  readFileSync(new URL('../../cf-logs.config.example.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

// The example configuration (two zones, an account) with every Athena setting away from its default.
const { stack, template, assembly } = synthesize({
  ...EXAMPLE,
  athena: {
    databaseName: 'cf_logs_test',
    scanLimitMiB: 2048,
    resultsRetentionDays: 7,
    projectionStartDate: '2024-02-29',
  },
});
const { lake } = stack;
const resources = template.toJSON().Resources;
const ids = {
  lakeBucket: logicalId(lake.lakeBucket),
  logpushBucket: logicalId(lake.logpushBucket),
  accessLogBucket: logicalId(lake.accessLogBucket!),
  database: stack.getLogicalId(lake.catalog.database),
  ecsTable: stack.getLogicalId(lake.catalog.ecsTable),
  deliveryStream: logicalId(lake.deliveryStream),
  workGroup: stack.getLogicalId(lake.query.workGroup),
  resultsBucket: logicalId(lake.query.resultsBucket),
};
const refs = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'REGION',
  'AWS::AccountId': 'ACCOUNT',
  [ids.lakeBucket]: 'LAKE',
  [ids.logpushBucket]: 'LOGPUSH',
  [ids.database]: 'DB',
  [ids.ecsTable]: 'ecs',
  [ids.resultsBucket]: 'RESULTS',
};
const render = (value: unknown) => renderValue(value, refs);

/** A Glue column as the template has it. */
interface GlueColumn {
  readonly Name: string;
  readonly Type: string;
}

/** The parts of a Glue `TableInput` the tests read. */
interface TableInput {
  readonly Name: string;
  readonly TableType: string;
  readonly Parameters: Record<string, unknown>;
  readonly PartitionKeys: GlueColumn[];
  readonly StorageDescriptor: {
    readonly Columns: GlueColumn[];
    readonly Location: unknown;
    readonly InputFormat: string;
    readonly OutputFormat: string;
    readonly SerdeInfo: unknown;
  };
}

/** The `TableInput` of every Glue table. */
const tableInputs = (): TableInput[] =>
  Object.values(template.findResources('AWS::Glue::Table')).map((resource) => resource.Properties.TableInput);

/** The `TableInput` of the Glue table named `name`. */
function table(name: string): TableInput {
  const found = Object.values(template.findResources('AWS::Glue::Table')).filter(
    (resource) => resource.Properties.TableInput.Name === name,
  );
  expect(found, name).toHaveLength(1);
  expect(found[0]?.Properties.DatabaseName).toEqual({ Ref: ids.database });
  expect(found[0]?.Properties.CatalogId).toEqual({ Ref: 'AWS::AccountId' });
  return found[0]?.Properties.TableInput;
}

/** Name and Glue type of each column. */
const columnsOf = (columns: readonly { name: string; type: Parameters<typeof hiveType>[0] }[]) =>
  columns.map((column) => ({ Name: column.name, Type: hiveType(column.type) }));

/** Table parameters with the location template rendered. */
function parametersOf(input: TableInput): Record<string, unknown> {
  const { 'storage.location.template': location, ...rest } = input.Parameters;
  return { ...rest, 'storage.location.template': render(location) };
}

const OPENX_JSON = {
  InputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
  OutputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
  SerdeInfo: {
    SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
    Parameters: { 'ignore.malformed.json': 'true', 'case.insensitive': 'true' },
  },
};

describe('the Glue database', () => {
  it('has the configured name and holds the ECS, raw and quarantine tables, nothing else', () => {
    expect(resources[ids.database]?.Properties.DatabaseInput.Name).toBe('cf_logs_test');
    const names = tableInputs().map((input) => input.Name);
    expect(names.sort()).toEqual(
      [LAKE_TABLES.ecs, LAKE_TABLES.quarantine, ...LAKE_DATASETS.map(LAKE_TABLES.raw)].sort(),
    );
    expect(LAKE_DATASETS).toEqual(DATASET_NAMES);
  });

  it('has no crawler and no partition: projection finds every partition', () => {
    expect(template.findResources('AWS::Glue::Crawler')).toEqual({});
    expect(template.findResources('AWS::Glue::Partition')).toEqual({});
  });

  it('uses only names Athena accepts, struct members included', () => {
    for (const input of tableInputs()) {
      const names: string[] = [input.Name];
      for (const column of [...input.StorageDescriptor.Columns, ...input.PartitionKeys]) {
        names.push(column.Name);
        // Struct members: every `name:` after `<` or `,` in the type.
        for (const match of column.Type.matchAll(/[<,]([^<>,:]+):/g)) names.push(match[1]!);
      }
      for (const name of names) expect(name, `${input.Name}: ${name}`).toMatch(LAKE_NAME_PATTERN);
    }
  });
});

describe('the ECS table', () => {
  const input = table(LAKE_TABLES.ecs);

  it('declares the columns of LAKE_SCHEMA with their Glue types, partitioned by dataset and dt', () => {
    expect(input.StorageDescriptor.Columns).toEqual(columnsOf(LAKE_SCHEMA.columns));
    expect(input.StorageDescriptor.Columns[0]).toEqual({ Name: 'ts', Type: 'timestamp' });
    expect(input.PartitionKeys).toEqual([
      { Name: 'dataset', Type: 'string' },
      { Name: 'dt', Type: 'string' },
    ]);
    expect(LAKE_SCHEMA.partitionKeys.map((key) => key.name)).toEqual(['dataset', 'dt']);
  });

  it('reads Parquet under ecs/ of the lake bucket', () => {
    expect(input.TableType).toBe('EXTERNAL_TABLE');
    expect(render(input.StorageDescriptor.Location)).toBe('s3://LAKE/ecs/');
    expect(input.StorageDescriptor).toMatchObject({
      InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
      OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
      SerdeInfo: {
        SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
        Parameters: { 'serialization.format': '1' },
      },
    });
  });

  it('projects every dataset and every day from the configured start to today', () => {
    expect(parametersOf(input)).toEqual({
      classification: 'parquet',
      EXTERNAL: 'TRUE',
      'projection.enabled': 'true',
      'projection.dataset.type': 'enum',
      'projection.dataset.values': DATASET_NAMES.join(','),
      'projection.dt.type': 'date',
      'projection.dt.format': 'yyyy-MM-dd',
      'projection.dt.range': '2024-02-29,NOW',
      'projection.dt.interval': '1',
      'projection.dt.interval.unit': 'DAYS',
      'storage.location.template': `s3://LAKE/ecs/dataset=\${dataset}/dt=\${dt}/`,
    });
  });

  it('finds partitions where Firehose writes them', () => {
    const prefix = resources[ids.deliveryStream]?.Properties.ExtendedS3DestinationConfiguration
      .Prefix as string;
    expect(`s3://LAKE/${prefix.replace(/!\{partitionKeyFromQuery:(\w+)\}/g, `\${$1}`)}`).toBe(
      parametersOf(input)['storage.location.template'],
    );
  });
});

describe('the raw tables', () => {
  it.each(LAKE_DATASETS)('%s: its Logpush fields, gzip NDJSON read with the OpenX SerDe', (dataset) => {
    const input = table(LAKE_TABLES.raw(dataset));
    expect(input.StorageDescriptor.Columns).toEqual(columnsOf(rawTableColumns(dataset)));
    expect(input.StorageDescriptor).toMatchObject(OPENX_JSON);
    expect(render(input.StorageDescriptor.Location)).toBe(`s3://LOGPUSH/logpush/${dataset}/`);
    expect(input.PartitionKeys).toEqual([
      { Name: 'scope_id', Type: 'string' },
      { Name: 'day', Type: 'string' },
    ]);
    const parameters = parametersOf(input);
    expect(parameters).toMatchObject({
      classification: 'json',
      'projection.enabled': 'true',
      'projection.day.type': 'date',
      'projection.day.format': 'yyyyMMdd',
      'projection.day.range': '20240229,NOW',
      'projection.day.interval': '1',
      'projection.day.interval.unit': 'DAYS',
      'storage.location.template': `s3://LOGPUSH/logpush/${dataset}/\${scope_id}/\${day}/`,
    });
    // The template is the Logpush destination with its id and {DATE} as partition keys.
    const destination = logpushDestinationConf({
      bucket: 'LOGPUSH',
      prefix: 'logpush',
      dataset,
      scopeId: `\${scope_id}`,
      region: 'REGION',
    });
    expect(parameters['storage.location.template']).toBe(
      `${destination.replace('{DATE}', `\${day}`).split('?')[0]}/`,
    );
  });

  it('projects the configured zones, the account, or both, as the dataset allows', () => {
    const scope = (dataset: string) => {
      const { 'projection.scope_id.type': type, 'projection.scope_id.values': values } = table(
        LAKE_TABLES.raw(dataset as never),
      ).Parameters;
      return { type, values };
    };
    expect(scope('http_requests')).toEqual({ type: 'enum', values: ZONES.join(',') });
    expect(scope('firewall_events')).toEqual({ type: 'enum', values: [...ZONES, ACCOUNT].join(',') });
    expect(scope('gateway_dns')).toEqual({ type: 'enum', values: ACCOUNT });
  });
});

describe('the quarantine table', () => {
  it('reads the quarantine files by day', () => {
    const input = table(LAKE_TABLES.quarantine);
    expect(input.StorageDescriptor.Columns).toEqual(columnsOf(QUARANTINE_COLUMNS));
    expect(input.StorageDescriptor).toMatchObject(OPENX_JSON);
    expect(render(input.StorageDescriptor.Location)).toBe('s3://LAKE/quarantine/');
    expect(input.PartitionKeys).toEqual([{ Name: 'dt', Type: 'string' }]);
    expect(parametersOf(input)).toEqual({
      classification: 'json',
      EXTERNAL: 'TRUE',
      'projection.enabled': 'true',
      'projection.dt.type': 'date',
      'projection.dt.format': 'yyyy-MM-dd',
      'projection.dt.range': '2024-02-29,NOW',
      'projection.dt.interval': '1',
      'projection.dt.interval.unit': 'DAYS',
      'storage.location.template': `s3://LAKE/quarantine/dt=\${dt}/`,
    });
  });
});

describe('the Firehose Parquet conversion', () => {
  const destination = resources[ids.deliveryStream]?.Properties.ExtendedS3DestinationConfiguration;
  const roleId = destination.RoleARN['Fn::GetAtt'][0] as string;

  it('reads JSON with the OpenX SerDe (@timestamp into ts) and writes GZIP Parquet in the ECS table schema', () => {
    expect(destination.DataFormatConversionConfiguration).toEqual({
      Enabled: true,
      InputFormatConfiguration: {
        Deserializer: { OpenXJsonSerDe: { ColumnToJsonKeyMappings: { ts: '@timestamp' } } },
      },
      OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: 'GZIP' } } },
      SchemaConfiguration: {
        CatalogId: { Ref: 'AWS::AccountId' },
        DatabaseName: { Ref: ids.database },
        TableName: { Ref: ids.ecsTable },
        Region: { Ref: 'AWS::Region' },
        RoleARN: arnOf(roleId),
        VersionId: 'LATEST',
      },
    });
  });

  it('leaves S3 compression off (Parquet compresses inside) and names objects .parquet', () => {
    expect(destination.CompressionFormat ?? 'UNCOMPRESSED').toBe('UNCOMPRESSED');
    expect(destination.FileExtension).toBe('.parquet');
  });

  it('lets the role read exactly the catalog, the database and the ECS table, nothing more of Glue', () => {
    const glue = grantsOf(roleStatements(template, roleId))
      .filter(([action]) => action.startsWith('glue:'))
      .map(([action, resource]) => `${action} ${render(JSON.parse(resource))}`);
    const arns = [
      'arn:aws:glue:REGION:ACCOUNT:catalog',
      'arn:aws:glue:REGION:ACCOUNT:database/DB',
      'arn:aws:glue:REGION:ACCOUNT:table/DB/ecs',
    ];
    expect(glue.sort()).toEqual(
      ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions']
        .flatMap((action) => arns.map((arn) => `${action} ${arn}`))
        .sort(),
    );
  });
});

describe('the Athena workgroup', () => {
  const workGroup = resources[ids.workGroup]?.Properties;

  it('enforces engine version 3, SSE-S3 results in its own bucket, metrics and the configured scan limit', () => {
    expect(workGroup.State).toBe('ENABLED');
    expect(workGroup.WorkGroupConfiguration).toMatchObject({
      EnforceWorkGroupConfiguration: true,
      EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
      PublishCloudWatchMetricsEnabled: true,
      BytesScannedCutoffPerQuery: 2048 * 1024 * 1024,
      ResultConfiguration: {
        EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
        ExpectedBucketOwner: { Ref: 'AWS::AccountId' },
      },
    });
    expect(render(workGroup.WorkGroupConfiguration.ResultConfiguration.OutputLocation)).toBe('s3://RESULTS/');
    expect(workGroup.Name).toBe(lake.query.workGroupName);
    expect(workGroup.Name).toMatch(/^[A-Za-z0-9._-]{1,128}$/);
  });

  it('keeps results in a private, encrypted bucket that expires them after the configured days', () => {
    const bucket = resources[ids.resultsBucket]?.Properties;
    expect(bucket.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.LifecycleConfiguration.Rules).toContainEqual({
      Id: 'ExpireQueryResults',
      ExpirationInDays: 7,
      Status: 'Enabled',
    });
    expect(bucket.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: ids.accessLogBucket },
      LogFilePrefix: 'athena-results-bucket/',
    });
  });

  it('holds one named query per saved query, in the lake database', () => {
    const named = Object.values(template.findResources('AWS::Athena::NamedQuery'));
    expect(named).toHaveLength(SAVED_QUERIES.length);
    for (const query of SAVED_QUERIES) {
      expect(named.map((resource) => resource.Properties)).toContainEqual({
        Name: query.name,
        Description: namedQueryDescription(query),
        Database: { Ref: ids.database },
        WorkGroup: { Ref: ids.workGroup },
        QueryString: query.sql,
      });
    }
  });
});

describe('the stack', () => {
  it('outputs the database, the workgroup and the results bucket', () => {
    const outputs = template.toJSON().Outputs;
    expect(outputs.GlueDatabaseName.Value).toEqual({ Ref: ids.database });
    expect(outputs.AthenaWorkGroupName.Value).toEqual({ Ref: ids.workGroup });
    expect(outputs.AthenaResultsBucketName.Value).toEqual({ Ref: ids.resultsBucket });
  });

  it('stays well inside the CloudFormation template limits (1 MB, 500 resources)', () => {
    const file = join(assembly.directory, stack.templateFile);
    expect(statSync(file).size).toBeLessThan(1_000_000);
    expect(Object.keys(resources).length).toBeLessThan(500);
  });
});

/** The messages of a configuration that is refused. */
function problemsOf(raw: unknown): string[] {
  try {
    parseConfig(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message.split('\n');
  }
  throw new Error('expected the configuration to be rejected');
}

describe('the athena settings', () => {
  it.each([
    ['scanLimitMiB', 9, 'must be 0 (no limit) or an integer from 10 to 1073741824, got 9'],
    ['scanLimitMiB', 1.5, 'must be 0 (no limit) or an integer from 10 to 1073741824, got 1.5'],
    ['resultsRetentionDays', 0, 'must be an integer from 1 to 36500, got 0'],
    [
      'projectionStartDate',
      '2023-02-29',
      'must be a day written yyyy-MM-dd, 1970-01-01 or later, got "2023-02-29"',
    ],
    [
      'projectionStartDate',
      '2024/01/01',
      'must be a day written yyyy-MM-dd, 1970-01-01 or later, got "2024/01/01"',
    ],
    [
      'projectionStartDate',
      '1969-12-31',
      'must be a day written yyyy-MM-dd, 1970-01-01 or later, got "1969-12-31"',
    ],
    ['projectionStartDate', 20240101, 'must be a day written yyyy-MM-dd, 1970-01-01 or later, got 20240101'],
    ['databaseName', 'Cloudflare_Logs', 'must be a Glue database name: a lower case letter, then lower case'],
    ['databaseName', 'cloudflare-logs', 'must be a Glue database name'],
    ['databaseName', '_logs', 'must be a Glue database name'],
    ['databaseName', 'a'.repeat(256), 'must be a Glue database name'],
  ])('names "athena.%s" when it is %j', (key, value, expected) => {
    const problems = problemsOf({ athena: { [key]: value } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`cf-logs config: "athena.${key}" ${expected}`);
  });

  it('accepts the bounds, 0 as no scan limit, and a leap day', () => {
    const low = parseConfig({
      athena: {
        scanLimitMiB: 10,
        resultsRetentionDays: 1,
        projectionStartDate: '1970-01-01',
        databaseName: 'a',
      },
    });
    expect(low.athena).toEqual({
      scanLimitMiB: 10,
      resultsRetentionDays: 1,
      projectionStartDate: '1970-01-01',
      databaseName: 'a',
    });
    const high = parseConfig({
      athena: { scanLimitMiB: 0, resultsRetentionDays: 36500, projectionStartDate: '2024-02-29' },
    });
    expect(high.athena).toMatchObject({ scanLimitMiB: 0, resultsRetentionDays: 36500 });
    expect(parseConfig({ athena: { databaseName: `a${'_'.repeat(254)}` } }).athena.databaseName).toHaveLength(
      255,
    );
  });

  it('rejects an unknown athena key with a suggestion', () => {
    expect(problemsOf({ athena: { scanLimitMib: 100 } })).toEqual([
      'cf-logs config: "athena.scanLimitMib" is not a setting (did you mean "athena.scanLimitMiB"?)',
    ]);
  });

  it('reads athena settings from -c strings', () => {
    const { overrides, problems } = contextOverrides({
      'athena.scanLimitMiB': '512',
      'athena.databaseName': 'cf',
      'athena.projectionStartDate': '2025-01-01',
    });
    expect(problems).toEqual([]);
    expect(parseConfig({}, overrides).athena).toMatchObject({
      scanLimitMiB: 512,
      databaseName: 'cf',
      projectionStartDate: '2025-01-01',
    });
  });

  it('are checked by the construct too, with the zone and account ids', () => {
    const scope = new Stack(new App(), 'Props');
    expect(
      () =>
        new CloudflareLogLake(scope, 'Lake', {
          athena: { databaseName: 'Logs', scanLimitMiB: 1 },
          cloudflareAccountId: 'not-an-id',
          cloudflareZoneIds: [ZONES[0]!, 'example.com', ZONES[0]!],
        }),
    ).toThrow(
      new ConfigError(
        [
          'CloudflareLogLake props: "athena.scanLimitMiB" must be 0 (no limit) or an integer from 10 to 1073741824, got 1',
          'CloudflareLogLake props: "athena.databaseName" must be a Glue database name: a lower case letter, then ' +
            'lower case letters, digits or _ (at most 255), got "Logs"',
          'CloudflareLogLake props: "cloudflareAccountId" must be 32 lowercase hexadecimal characters, got "not-an-id"',
          'CloudflareLogLake props: "cloudflareZoneIds[1]" must be 32 lowercase hexadecimal characters, got "example.com"',
          `CloudflareLogLake props: "cloudflareZoneIds[2]" repeats "${ZONES[0]}"`,
        ].join('\n'),
      ),
    );
    expect(scope.node.tryFindChild('Lake')?.node.children).toEqual([]);
  });
});

describe('named queries', () => {
  const query = (overrides: Partial<SavedQuery>): SavedQuery => ({
    id: 'blocked-by-host',
    name: 'WAF: blocks by host',
    description: 'Blocked requests per host.',
    sql: "SELECT url.domain, count(*) FROM ecs WHERE dt BETWEEN ? AND ? AND event.outcome = 'failure?' GROUP BY 1",
    parameters: [
      { name: 'from_dt', description: 'first day', example: "'2026-01-01'" },
      { name: 'to_dt', description: 'last day', example: "'2026-01-31'" },
    ],
    ...overrides,
  });
  const build = (queries: readonly SavedQuery[]) => {
    const scope = new Stack(new App(), 'Queries');
    new LakeQuery(scope, 'Query', {
      databaseName: 'cf',
      scanLimitMiB: 10,
      resultsRetentionDays: 1,
      abortIncompleteUploadDays: 1,
      removalPolicy: RemovalPolicy.DESTROY,
      queries,
    });
    return Template.fromStack(scope);
  };

  it('carry the parameters and their examples after the description', () => {
    const built = build([query({}), query({ id: 'no-parameters', sql: 'SELECT 1', parameters: [] })]);
    const descriptions = Object.values(built.findResources('AWS::Athena::NamedQuery')).map(
      (resource) => resource.Properties.Description,
    );
    expect(descriptions).toEqual([
      "Blocked requests per host.\nParameters (the ? in order): 1. from_dt: first day (e.g. '2026-01-01'); " +
        "2. to_dt: last day (e.g. '2026-01-31')",
      'Blocked requests per host.',
    ]);
  });

  it('refuse what Athena would refuse, and a ? count that does not match the parameters', () => {
    expect(() =>
      build([
        query({}),
        query({}),
        query({ id: 'Bad_Id' }),
        query({ id: 'long-name', name: 'n'.repeat(129) }),
        query({ id: 'long-description', description: 'd'.repeat(1000) }),
        query({ id: 'one-missing', sql: 'SELECT 1 FROM ecs WHERE dt = ?' }),
      ]),
    ).toThrow(
      [
        'Saved queries:',
        '"blocked-by-host" is the id of two saved queries',
        '"Bad_Id" is not a kebab-case id',
        '"long-name" has a name of 129 characters; Athena takes 1 to 128',
        '"long-description" has a description of 1111 characters with its parameters; Athena takes 1 to 1024',
        '"one-missing" has 1 "?" in its SQL but 2 parameters',
      ].join('\n'),
    );
  });

  it('of the project all fit Athena', () => {
    expect(() => build(SAVED_QUERIES)).not.toThrow();
  });
});

import { Aws } from 'aws-cdk-lib';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { LAKE_EVENTS_PREFIX_TEMPLATE } from '../lambdas/core/partition.ts';
import { type DatasetName, datasetHasScope } from '../lambdas/datasets/catalog.ts';
import {
  hiveType,
  LAKE_DATASETS,
  LAKE_NAME_PATTERN,
  LAKE_SCHEMA,
  LAKE_TABLES,
  type LakeColumn,
  type LakeType,
  QUARANTINE_COLUMNS,
  rawTableColumns,
} from '../lambdas/lake/schema.ts';
import { LAKE_ECS_PREFIX } from '../lambdas/settings.ts';

/** Props of {@link LakeCatalog}. */
export interface LakeCatalogProps {
  /** Glue database name (checked by the settings: lower case letters, digits, underscores). */
  readonly databaseName: string;
  /** The lake bucket: ECS events under `ecs/`, quarantined lines under {@link quarantinePrefix}. */
  readonly lakeBucket: IBucket;
  /** The bucket Logpush writes into. */
  readonly logpushBucket: IBucket;
  /** Key prefix of Logpush objects, without leading or trailing slash. */
  readonly logpushPrefix: string;
  /** Key prefix of quarantined lines in the lake bucket, without leading or trailing slash. */
  readonly quarantinePrefix: string;
  /** First day partition projection offers, `yyyy-MM-dd`. */
  readonly projectionStartDate: string;
  /** Ids of the zones whose Logpush jobs write into the Logpush bucket. */
  readonly zoneIds: readonly string[];
  /** Id of the account whose Logpush jobs write into the Logpush bucket, when known. */
  readonly accountId?: string;
}

/** How the files of a table are stored and read. */
interface StorageFormat {
  readonly classification: string;
  readonly inputFormat: string;
  readonly outputFormat: string;
  readonly serdeInfo: CfnTable.SerdeInfoProperty;
}

/** What Firehose writes: Parquet (GZIP, LAKE_PARQUET_COMPRESSION). */
const PARQUET: StorageFormat = {
  classification: 'parquet',
  inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  serdeInfo: {
    serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
    parameters: { 'serialization.format': '1' },
  },
};

/**
 * Gzip NDJSON (Logpush objects, quarantine files; Athena decompresses by the `.gz` extension). A line that is not
 * JSON (a Logpush ownership-challenge file, a cut-off line) reads as a row of nulls instead of failing the query;
 * keys match columns whatever their case (Cloudflare field names are CamelCase).
 */
const JSON_LINES: StorageFormat = {
  classification: 'json',
  inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
  serdeInfo: {
    serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
    parameters: { 'ignore.malformed.json': 'true', 'case.insensitive': 'true' },
  },
};

/** Partition projection of one partition key, as table parameters (Athena UG "Supported types for partition projection"). */
type Projection =
  | { readonly type: 'date'; readonly format: string; readonly start: string }
  | { readonly type: 'enum'; readonly values: readonly string[] }
  | { readonly type: 'injected' };

/** One table: where, what, and how its partitions are projected. */
interface TableSpec {
  readonly name: string;
  readonly description: string;
  /** `s3://…/` of the table; partitions lie below it. */
  readonly location: string;
  readonly columns: readonly LakeColumn[];
  /** Partition keys (all strings) in key order, with their projection. */
  readonly partitions: readonly (readonly [name: string, projection: Projection])[];
  /** `storage.location.template`: the location of one partition, `${key}` for each partition key. */
  readonly locationTemplate: string;
  readonly format: StorageFormat;
}

/** Glue's limit on a column type string (Glue API `Column.Type`): the `cloudflare` struct grows with the tables. */
const GLUE_TYPE_MAX_LENGTH = 131_072;

/** The partition key of the Logpush `{DATE}` folder (`yyyyMMdd`) in raw tables. */
export const RAW_DAY_KEY = 'day';
/** The partition key of the zone or account id folder in raw tables. */
export const RAW_SCOPE_KEY = 'scope_id';

/**
 * The Glue database Athena queries: the ECS table Firehose converts to Parquet with (and writes), one raw table
 * per Logpush dataset over the untouched Logpush objects, and the quarantine table. Every partition is found by
 * partition projection, from the S3 layout alone: no crawler, no `MSCK REPAIR TABLE`, no partition to add.
 */
export class LakeCatalog extends Construct {
  /** The Glue database. */
  readonly database: CfnDatabase;
  /** Name of the Glue database. */
  readonly databaseName: string;
  /** The ECS table over `ecs/` of the lake bucket: Firehose's Parquet schema. */
  readonly ecsTable: CfnTable;
  /** One table per Logpush dataset over its Logpush objects. */
  readonly rawTables: ReadonlyMap<DatasetName, CfnTable>;
  /** The table of quarantined lines. */
  readonly quarantineTable: CfnTable;

  constructor(scope: Construct, id: string, props: LakeCatalogProps) {
    super(scope, id);
    const start = props.projectionStartDate;
    const lake = `s3://${props.lakeBucket.bucketName}`;
    const logpush = `s3://${props.logpushBucket.bucketName}/${props.logpushPrefix}`;

    const ecsProjections: Readonly<Record<string, Projection>> = {
      dataset: { type: 'enum', values: LAKE_DATASETS },
      dt: { type: 'date', format: 'yyyy-MM-dd', start },
    };
    const ecs: TableSpec = {
      name: LAKE_TABLES.ecs,
      description:
        'Cloudflare logs of every dataset, normalized to ECS; @timestamp is the column ts, vendor fields are ' +
        'in the struct cloudflare (lower-case names) and the map cloudflare_other. Filter on dataset and dt.',
      location: `${lake}/${LAKE_ECS_PREFIX}/`,
      columns: LAKE_SCHEMA.columns,
      partitions: LAKE_SCHEMA.partitionKeys.map(({ name }) => {
        const projection = ecsProjections[name];
        if (!projection) throw new Error(`ECS partition key "${name}" has no projection`);
        return [name, projection] as const;
      }),
      // The layout Firehose writes (its dynamic partitioning prefix), with Athena's placeholders.
      locationTemplate: `${lake}/${LAKE_EVENTS_PREFIX_TEMPLATE.replace(/!\{partitionKeyFromQuery:(\w+)\}/g, '$${$1}')}`,
      format: PARQUET,
    };
    const raw = LAKE_DATASETS.map(
      (dataset): TableSpec => ({
        name: LAKE_TABLES.raw(dataset),
        description:
          `Logpush objects of ${dataset} as Cloudflare wrote them (lower-case field names; times and objects ` +
          `as text). Filter on ${RAW_SCOPE_KEY} (zone or account id) and ${RAW_DAY_KEY} (yyyyMMdd).`,
        location: `${logpush}/${dataset}/`,
        columns: rawTableColumns(dataset),
        partitions: [
          [RAW_SCOPE_KEY, scopeProjection(dataset, props)],
          [RAW_DAY_KEY, { type: 'date', format: 'yyyyMMdd', start: start.replaceAll('-', '') }],
        ],
        // logpushDestinationConf: `<prefix>/<dataset>/<zone or account id>/{DATE}`.
        locationTemplate: `${logpush}/${dataset}/\${${RAW_SCOPE_KEY}}/\${${RAW_DAY_KEY}}/`,
        format: JSON_LINES,
      }),
    );
    const quarantine: TableSpec = {
      name: LAKE_TABLES.quarantine,
      description:
        'Lines the normalize function could not map, with the reason, the Logpush object and the raw line. ' +
        'Filter on dt (yyyy-MM-dd, the day of the Logpush object).',
      location: `${lake}/${props.quarantinePrefix}/`,
      columns: QUARANTINE_COLUMNS,
      partitions: [['dt', { type: 'date', format: 'yyyy-MM-dd', start }]],
      // BlobQuarantine: `<prefix>/dt=<yyyy-MM-dd>/<object hash>-<part>.json.gz`.
      locationTemplate: `${lake}/${props.quarantinePrefix}/dt=\${dt}/`,
      format: JSON_LINES,
    };
    const problems = [ecs, ...raw, quarantine].flatMap(tableProblems);
    if (problems.length > 0) throw new Error(`Glue tables:\n${problems.join('\n')}`);

    this.databaseName = props.databaseName;
    this.database = new CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: {
        name: props.databaseName,
        description: 'cf-logs: Cloudflare logs as ECS (table ecs), raw Logpush tables (raw_*), quarantine',
      },
    });
    this.ecsTable = this.createTable(ecs);
    this.rawTables = new Map(raw.map((spec, index) => [LAKE_DATASETS[index]!, this.createTable(spec)]));
    this.quarantineTable = this.createTable(quarantine);
  }

  private createTable(spec: TableSpec): CfnTable {
    const projection: Record<string, string> = {};
    for (const [key, value] of spec.partitions) {
      const at = (name: string, text: string) => {
        projection[`projection.${key}.${name}`] = text;
      };
      at('type', value.type);
      if (value.type === 'enum') at('values', value.values.join(','));
      if (value.type === 'date') {
        at('format', value.format);
        at('range', `${value.start},NOW`);
        at('interval', '1');
        at('interval.unit', 'DAYS');
      }
    }
    return new CfnTable(this, pascalCase(spec.name), {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: this.database.ref,
      tableInput: {
        name: spec.name,
        description: spec.description,
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          classification: spec.format.classification,
          EXTERNAL: 'TRUE',
          'projection.enabled': 'true',
          ...projection,
          'storage.location.template': spec.locationTemplate,
        },
        partitionKeys: spec.partitions.map(([name]) => ({ name, type: 'string' })),
        storageDescriptor: {
          location: spec.location,
          inputFormat: spec.format.inputFormat,
          outputFormat: spec.format.outputFormat,
          serdeInfo: spec.format.serdeInfo,
          columns: spec.columns.map((column) => ({ name: column.name, type: hiveType(column.type) })),
        },
      },
    });
  }
}

/**
 * The `scope_id` projection of a raw table: the configured zones (zone datasets) and account (account datasets).
 * With none configured, `injected`: a query then names the id (`WHERE scope_id = '…'`).
 */
function scopeProjection(dataset: DatasetName, props: LakeCatalogProps): Projection {
  const ids = [
    ...(datasetHasScope(dataset, 'zone') ? props.zoneIds : []),
    ...(datasetHasScope(dataset, 'account') && props.accountId !== undefined ? [props.accountId] : []),
  ];
  return ids.length > 0 ? { type: 'enum', values: ids } : { type: 'injected' };
}

/** What is wrong with a table's names and types, one line each. */
function tableProblems(spec: TableSpec): string[] {
  const problems: string[] = [];
  if (!LAKE_NAME_PATTERN.test(spec.name)) problems.push(`table name "${spec.name}" is not valid in Athena`);
  const names = [...spec.columns.map((column) => column.name), ...spec.partitions.map(([name]) => name)];
  for (const name of new Set(names.filter((name, index) => names.indexOf(name) !== index))) {
    problems.push(`${spec.name}: "${name}" is declared twice`);
  }
  const check = (path: string, type: LakeType) => {
    if (type.kind === 'array') check(path, type.element);
    if (type.kind !== 'struct') return;
    for (const field of type.fields) {
      const at = `${path}.${field.name}`;
      if (!LAKE_NAME_PATTERN.test(field.name))
        problems.push(`${spec.name}: "${at}" is not a valid column name`);
      check(at, field.type);
    }
  };
  for (const name of names) {
    if (!LAKE_NAME_PATTERN.test(name)) problems.push(`${spec.name}: "${name}" is not a valid column name`);
  }
  for (const column of spec.columns) {
    check(column.name, column.type);
    const length = hiveType(column.type).length;
    if (length > GLUE_TYPE_MAX_LENGTH) {
      problems.push(
        `${spec.name}: the type of "${column.name}" is ${length} characters, Glue allows ${GLUE_TYPE_MAX_LENGTH}`,
      );
    }
  }
  return problems;
}

/** `raw_http_requests` → `RawHttpRequests`, a construct id. */
function pascalCase(name: string): string {
  return name
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

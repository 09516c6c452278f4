import { describe, expect, it } from 'vitest';
import type { LogpushJob } from '../../lambdas/logpush/api.ts';
import { challengeKey } from '../../lambdas/logpush/challenge.ts';
import {
  createBody,
  type DesiredJob,
  desiredJob,
  diffJob,
  jobName,
  jobTargetKey,
  type LogpushBucket,
  type LogpushTarget,
  logpushTargets,
  NDJSON_FORMAT_DEFAULTS,
  needsChallenge,
  parseDestination,
  sameTarget,
  showDestination,
  updateBody,
  writesToBucket,
} from '../../lambdas/logpush/jobs.ts';
import { DEFAULT_LOGPUSH_SETTINGS, type LogpushSettings } from '../../lambdas/logpush/settings.ts';

const ZONE = '89abcdef0123456789abcdef01234567';
const ACCOUNT = '0123456789abcdef0123456789abcdef';
const BUCKET: LogpushBucket = { bucket: 'cf-logs-logpush-1', prefix: 'logpush', region: 'eu-west-1' };
const TARGET: LogpushTarget = { dataset: 'http_requests', scope: { kind: 'zone', id: ZONE } };
const FIELDS = ['ClientIP', 'ClientRequestHost', 'EdgeStartTimestamp', 'RayID', 'Cookies'];
const DEST = `s3://cf-logs-logpush-1/logpush/http_requests/${ZONE}/{DATE}?region=eu-west-1&sse=AES256`;

function desired(settings: LogpushSettings = DEFAULT_LOGPUSH_SETTINGS): DesiredJob {
  const { job, problems } = desiredJob(TARGET, settings, BUCKET, FIELDS);
  expect(problems).toEqual([]);
  return job;
}

/** The job Cloudflare would return after a create from `desired()` (defaults filled in). */
function inLine(overrides: Partial<LogpushJob> = {}, options: Record<string, unknown> = {}): LogpushJob {
  return {
    id: 11,
    dataset: 'http_requests',
    name: 'cf-logs-http-requests',
    enabled: true,
    destination_conf: DEST,
    output_options: {
      ...NDJSON_FORMAT_DEFAULTS,
      output_type: 'ndjson',
      timestamp_format: 'unixnano',
      field_names: [...FIELDS],
      sample_rate: 1,
      'CVE-2021-44228': false,
      ...options,
    },
    filter: null,
    kind: '',
    max_upload_bytes: 0,
    max_upload_records: 100000,
    max_upload_interval_seconds: 30,
    last_complete: null,
    last_error: null,
    error_message: null,
    ...overrides,
  };
}

describe('Logpush targets and desired jobs', () => {
  it('makes one target per zone dataset and zone, then one per account dataset', () => {
    const targets = logpushTargets({
      cloudflare: { accountId: ACCOUNT, zones: [{ id: ZONE, name: 'example.com' }, { id: 'f'.repeat(32) }] },
      datasets: { zone: ['http_requests'], account: ['gateway_dns', 'audit_logs'] },
    });
    expect(targets.map((t) => `${t.dataset}@${t.scope.kind}:${t.scope.id.slice(0, 4)}`)).toEqual([
      'http_requests@zone:89ab',
      'http_requests@zone:ffff',
      'gateway_dns@account:0123',
      'audit_logs@account:0123',
    ]);
    expect(targets[0]?.scope.name).toBe('example.com');
  });

  it('names jobs with the characters Cloudflare allows', () => {
    expect(jobName('zero_trust_network_sessions')).toBe('cf-logs-zero-trust-network-sessions');
    expect(jobName('http_requests')).toMatch(/^[a-zA-Z0-9.-]+$/);
  });

  it('asks for every field Cloudflare lists, the stack destination and the API timestamp default', () => {
    const job = desired();
    expect(job.destinationConf).toBe(DEST);
    expect(job.fieldNames).toEqual(FIELDS);
    expect(job.timestampFormat).toBe('unixnano');
    expect(job.sampleRate).toBe(1);
    expect(job.uploadLimits).toEqual({});
  });

  it('applies fields, excludeFields, filter, sample rate and upload limits from the settings', () => {
    const filter = { where: { key: 'ClientRequestHost', operator: 'eq', value: 'example.com' } } as const;
    const job = desired({
      timestampFormat: 'rfc3339ns',
      maxUploadRecords: 50_000,
      maxUploadIntervalSeconds: 0,
      jobs: { http_requests: { excludeFields: ['Cookies'], filter, sampleRate: 0.25 } },
    });
    expect(job.fieldNames).toEqual(['ClientIP', 'ClientRequestHost', 'EdgeStartTimestamp', 'RayID']);
    expect(job.uploadLimits).toEqual({ max_upload_records: 50_000, max_upload_interval_seconds: 0 });
    expect(createBody(job, 'tok.en.x')).toEqual({
      dataset: 'http_requests',
      name: 'cf-logs-http-requests',
      destination_conf: DEST,
      ownership_challenge: 'tok.en.x',
      enabled: true,
      output_options: {
        output_type: 'ndjson',
        timestamp_format: 'rfc3339ns',
        field_names: ['ClientIP', 'ClientRequestHost', 'EdgeStartTimestamp', 'RayID'],
        sample_rate: 0.25,
        'CVE-2021-44228': false,
      },
      filter: JSON.stringify(filter),
      max_upload_records: 50_000,
      max_upload_interval_seconds: 0,
    });
  });

  it('reports configured fields and filter keys Cloudflare does not list, naming the setting', () => {
    const { problems } = desiredJob(
      TARGET,
      {
        ...DEFAULT_LOGPUSH_SETTINGS,
        jobs: {
          http_requests: {
            fields: ['ClientIP', 'ClientIp', 'Nope'],
            filter: { where: { and: [{ key: 'Hostname', operator: 'eq', value: 'x' }] } },
          },
        },
      },
      BUCKET,
      FIELDS,
    );
    expect(problems).toEqual([
      'logpush.jobs.http_requests.fields names "ClientIp", "Nope", not a field of http_requests (Cloudflare lists 5 fields for http_requests)',
      'logpush.jobs.http_requests.filter uses "Hostname", not a field of http_requests (Cloudflare lists 5 fields for http_requests)',
    ]);
    const excluded = desiredJob(
      TARGET,
      { ...DEFAULT_LOGPUSH_SETTINGS, jobs: { http_requests: { excludeFields: [...FIELDS] } } },
      BUCKET,
      FIELDS,
    );
    expect(excluded.problems).toEqual(['logpush.jobs.http_requests: no field left to push']);
  });
});

describe('which jobs are the stack’s', () => {
  it('parses s3 destinations and hides keys of S3-compatible ones when shown', () => {
    expect(parseDestination(DEST)).toEqual({
      bucket: 'cf-logs-logpush-1',
      path: `logpush/http_requests/${ZONE}/{DATE}`,
      params: { region: 'eu-west-1', sse: 'AES256' },
    });
    expect(parseDestination('https://logs.example.com/ingest?header_Authorization=x')).toBeUndefined();
    expect(
      showDestination(
        's3://b/p?region=auto&access-key-id=AKIA1&secret-access-key=s3cr3t&endpoint=e.example.com',
      ),
    ).toBe('s3://b/p?region=auto&access-key-id=…&secret-access-key=…&endpoint=e.example.com');
    expect(
      showDestination('splunk://splunk.example.com:8088/services?channel=1&header_Authorization=Splunk x'),
    ).toBe('splunk://…');
  });

  it('recognises a job by bucket and prefix, whatever its name', () => {
    const job = inLine({ name: 'made-in-the-dashboard' });
    expect(writesToBucket(job, BUCKET)).toBe(true);
    expect(sameTarget(job, TARGET, BUCKET)).toBe(true);
    expect(jobTargetKey(job, BUCKET)).toBe(`http_requests/${ZONE}`);
    expect(
      writesToBucket(inLine({ destination_conf: DEST.replace('cf-logs-logpush-1', 'other') }), BUCKET),
    ).toBe(false);
    expect(
      writesToBucket(inLine({ destination_conf: DEST.replace('logpush/', 'logpush-old/') }), BUCKET),
    ).toBe(false);
    expect(sameTarget(inLine({ dataset: 'firewall_events' }), TARGET, BUCKET)).toBe(false);
  });

  it('still claims a job of the bucket in another layout, and has no target key for it', () => {
    const job = inLine({
      destination_conf: 's3://cf-logs-logpush-1/logpush/http_requests/{DATE}?region=eu-west-1',
    });
    expect(sameTarget(job, TARGET, BUCKET)).toBe(true);
    expect(jobTargetKey(job, BUCKET)).toBeUndefined();
  });

  it('takes the key of the challenge file from the filename Cloudflare returns', () => {
    expect(challengeKey('cf-logs-logpush-1/logpush/x/ownership-challenge.txt', 'cf-logs-logpush-1')).toBe(
      'logpush/x/ownership-challenge.txt',
    );
    expect(
      challengeKey('s3://cf-logs-logpush-1/logpush/ownership-challenge-1a2b.txt', 'cf-logs-logpush-1'),
    ).toBe('logpush/ownership-challenge-1a2b.txt');
    expect(challengeKey('logpush/ownership-challenge.txt', 'cf-logs-logpush-1')).toBe(
      'logpush/ownership-challenge.txt',
    );
    expect(challengeKey('/logpush/ownership-challenge.txt', 'cf-logs-logpush-1')).toBe(
      'logpush/ownership-challenge.txt',
    );
  });
});

describe('diffJob', () => {
  it('finds nothing to change in a job as Cloudflare returns it after the create', () => {
    expect(diffJob(desired(), inLine())).toEqual([]);
  });

  it('takes absent output options and query parameters in another order as the defaults', () => {
    const job = inLine(
      { destination_conf: DEST.replace('region=eu-west-1&sse=AES256', 'sse=AES256&region=eu-west-1') },
      { batch_prefix: null, record_prefix: '', timestamp_format: undefined, sample_rate: undefined },
    );
    expect(diffJob(desired(), job)).toEqual([]);
  });

  it('lists added and removed fields, a disabled job and a changed timestamp format', () => {
    const job = inLine(
      { enabled: false },
      { field_names: ['ClientIP', 'RayID', 'EdgeStartTimestamp', 'OldField'], timestamp_format: 'rfc3339' },
    );
    expect(diffJob(desired(), job)).toEqual([
      { field: 'enabled', from: false, to: true },
      { field: 'output_options.timestamp_format', from: 'rfc3339', to: 'unixnano' },
      {
        field: 'output_options.field_names',
        from: 4,
        to: 5,
        added: ['ClientRequestHost', 'Cookies'],
        removed: ['OldField'],
      },
    ]);
  });

  it('needs a challenge only when the destination changes', () => {
    const moved = diffJob(desired(), inLine({ destination_conf: DEST.replace('eu-west-1', 'us-east-1') }));
    expect(moved.map((c) => c.field)).toEqual(['destination_conf']);
    expect(needsChallenge(moved)).toBe(true);
    expect(needsChallenge(diffJob(desired(), inLine({ name: 'x' })))).toBe(false);
  });

  it('resets formatting a dashboard edit changed, the Log4j rewrite, CSV and sampling', () => {
    const job = inLine(
      {},
      { output_type: 'csv', record_template: '{{.ClientIP}}', 'CVE-2021-44228': true, sample_rate: 0.5 },
    );
    const changes = diffJob(desired(), job);
    expect(changes.map((c) => c.field)).toEqual([
      'output_options.output_type',
      'output_options.sample_rate',
      'output_options.CVE-2021-44228',
      'output_options.record_template',
    ]);
    const body = updateBody(desired(), job);
    expect(body.output_options).toMatchObject({
      output_type: 'ndjson',
      record_template: '',
      'CVE-2021-44228': false,
    });
    expect(body).not.toHaveProperty('ownership_challenge');
    expect(body).not.toHaveProperty('filter');
  });

  it('compares filters as JSON, and clears one the configuration does not have', () => {
    const filter = { where: { and: [{ key: 'RayID', operator: '!eq', value: 'x' }] } } as const;
    const withFilter = desired({ ...DEFAULT_LOGPUSH_SETTINGS, jobs: { http_requests: { filter } } });
    const same = inLine({ filter: '{ "where": {"and": [{"value":"x","operator":"!eq","key":"RayID"}]} }' });
    expect(diffJob(withFilter, same)).toEqual([]);
    expect(diffJob(desired(), same)).toEqual([{ field: 'filter', from: same.filter, to: null }]);
    expect(updateBody(desired(), same).filter).toBe('');
    expect(diffJob(desired(), inLine({ filter: '{}' }))).toEqual([]);
    expect(diffJob(withFilter, inLine()).map((c) => c.field)).toEqual(['filter']);
  });

  it('compares only the upload limits the configuration sets', () => {
    const limited = desired({ ...DEFAULT_LOGPUSH_SETTINGS, maxUploadBytes: 100_000_000 });
    expect(diffJob(limited, inLine())).toEqual([{ field: 'max_upload_bytes', from: 0, to: 100_000_000 }]);
    expect(diffJob(desired(), inLine({ max_upload_records: 5000 }))).toEqual([]);
  });

  it('sends the new token with an update that moves the destination', () => {
    const job = inLine({ destination_conf: DEST.replace('logpush/http_requests', 'logpush/http') });
    expect(updateBody(desired(), job, 'new.token.1')).toMatchObject({
      destination_conf: DEST,
      ownership_challenge: 'new.token.1',
      enabled: true,
    });
  });
});

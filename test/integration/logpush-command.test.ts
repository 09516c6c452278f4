/**
 * `cf-logs logpush` end to end against a fake Cloudflare Logpush API and a fake S3 on 127.0.0.1: the real
 * Cloudflare client, the real S3 client reading and deleting the challenge file, the configuration file as
 * `cdk deploy` reads it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  LOGPUSH_EXIT,
  type LogpushCommandArgs,
  runLogpushCommand,
} from '../../lambdas/cli/logpush-command.ts';
import { MAPPERS } from '../../lambdas/datasets/index.ts';
import { FAKE_AWS_CREDENTIALS, fakeS3Client } from '../support/aws-clients.ts';
import { FAKE_CF_ACCOUNT_ID, FAKE_CF_API_TOKEN } from '../support/fake-cloudflare.ts';
import {
  FAKE_ZONE_ID,
  FAKE_ZONE_ID_2,
  type FakeLogpush,
  type FakeLogpushOptions,
  startFakeLogpush,
} from '../support/fake-logpush.ts';
import { type FakeS3, startFakeS3 } from '../support/fake-s3.ts';
import {
  type FakeSecretsManager,
  fakeSecretsManagerClient,
  startFakeSecretsManager,
} from '../support/fake-secrets-manager.ts';
import { captureStream } from '../support/streams.ts';

const BUCKET = 'cf-logs-logpush-bucket-1';
const REGION = 'eu-west-1';
const HTTP_FIELDS = Object.keys(MAPPERS.http_requests.spec.fields);
const GATEWAY_FIELDS = Object.keys(MAPPERS.gateway_dns.spec.fields);
const dest = (dataset: string, id: string) =>
  `s3://${BUCKET}/logpush/${dataset}/${id}/{DATE}?region=${REGION}&sse=AES256`;

const CONFIG = {
  cloudflare: {
    accountId: FAKE_CF_ACCOUNT_ID,
    zones: [{ id: FAKE_ZONE_ID, name: 'example.com' }, { id: FAKE_ZONE_ID_2 }],
  },
  datasets: { zone: ['http_requests'], account: ['gateway_dns'] },
};

let s3: FakeS3;
let cf: FakeLogpush;
let dir: string;
let clock: number;

async function start(options: Partial<FakeLogpushOptions> = {}) {
  await cf?.close();
  cf = await startFakeLogpush({
    s3,
    // Cloudflare's clock is the command's virtual one: challenge dates and expiry do not depend on today.
    now: () => new Date(clock),
    writableBuckets: [BUCKET],
    bucketRegions: { [BUCKET]: REGION },
    ...options,
  });
}

beforeEach(async () => {
  clock = Date.parse('2026-11-21T10:00:00Z');
  s3 = await startFakeS3({ buckets: [BUCKET] });
  await start();
  dir = await mkdtemp(join(tmpdir(), 'cf-logs-logpush-'));
  await writeConfig(CONFIG);
});
afterEach(async () => {
  await cf.close();
  await s3.close();
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(config: unknown) {
  await writeFile(join(dir, 'cf-logs.config.json'), JSON.stringify(config));
}

/** Runs the command in-process with a virtual clock (challenge polling and retries do not wait). */
async function run(
  action: string,
  args: Partial<LogpushCommandArgs> = {},
  env: Record<string, string> = { CLOUDFLARE_API_TOKEN: FAKE_CF_API_TOKEN },
) {
  const out = captureStream();
  const err = captureStream();
  const code = await runLogpushCommand(
    { action, bucket: BUCKET, region: REGION, ...args },
    {
      stdout: out.stream,
      stderr: err.stream,
      env: { CLOUDFLARE_API_BASE: cf.baseUrl, ...env },
      cwd: dir,
      s3: () => fakeS3Client(s3),
      sleep: async (ms) => {
        clock += ms;
      },
      now: () => clock,
    },
  );
  const result = { code, stdout: out.text(), stderr: err.text() };
  expect(`${result.stdout}${result.stderr}`).not.toContain(FAKE_CF_API_TOKEN);
  return result;
}

const writes = () => cf.requests.filter((r) => r.method !== 'GET');
const challengeFiles = () => s3.listKeys(BUCKET).filter((key) => key.includes('ownership-challenge'));

describe('cf-logs logpush apply', () => {
  it('creates one enabled job per dataset and scope, through the ownership challenge, and deletes the file', async () => {
    const plan = await run('plan', { check: true });
    expect(plan.code).toBe(LOGPUSH_EXIT.changes);
    expect(plan.stdout).toContain('Plan: 3 to create, 0 to update, 0 in sync, 0 blocked.');
    expect(plan.stdout).toContain(`destination_conf  ${dest('http_requests', FAKE_ZONE_ID)}`);
    expect(writes().filter((r) => r.route !== 'validate-ownership')).toEqual([]);

    const applied = await run('apply');
    expect(applied.stderr).toBe(
      [
        `cf-logs logpush: s3://${BUCKET}/logpush/ in ${REGION}; credential from the environment (CLOUDFLARE_API_TOKEN)`,
        `cf-logs logpush: creating http_requests in zone ${FAKE_ZONE_ID} (example.com)`,
        `cf-logs logpush: creating http_requests in zone ${FAKE_ZONE_ID_2}`,
        `cf-logs logpush: creating gateway_dns in account ${FAKE_CF_ACCOUNT_ID}`,
        '',
      ].join('\n'),
    );
    expect(applied.code).toBe(LOGPUSH_EXIT.ok);
    expect(applied.stdout).toContain('Applied: 3 created, 0 updated, 0 unchanged, 0 failed, 0 blocked.');

    for (const [scopeId, dataset, fields] of [
      [FAKE_ZONE_ID, 'http_requests', HTTP_FIELDS],
      [FAKE_ZONE_ID_2, 'http_requests', HTTP_FIELDS],
      [FAKE_CF_ACCOUNT_ID, 'gateway_dns', GATEWAY_FIELDS],
    ] as const) {
      const [job] = cf.jobs(scopeId);
      expect(job).toMatchObject({
        dataset,
        name: `cf-logs-${dataset.replace('_', '-')}`,
        enabled: true,
        destination_conf: dest(dataset, scopeId),
        filter: null,
        output_options: {
          output_type: 'ndjson',
          timestamp_format: 'unixnano',
          field_names: fields,
          sample_rate: 1,
          'CVE-2021-44228': false,
        },
      });
    }
    // Each create carried the token of its own challenge, checked first; every challenge file is gone.
    const creates = cf.requests.filter((r) => r.route === 'create-job');
    expect(creates.map((r) => (r.body as { ownership_challenge: string }).ownership_challenge)).toEqual(
      cf.challenges.map((c) => c.token),
    );
    expect(cf.requests.filter((r) => r.route === 'validate-ownership')).toHaveLength(3);
    expect(cf.challenges.every((c) => c.written)).toBe(true);
    expect(challengeFiles()).toEqual([]);
    expect(s3.requestsFor('DeleteObject')).toHaveLength(3);
  });

  it('changes nothing the second time', async () => {
    expect((await run('apply')).code).toBe(LOGPUSH_EXIT.ok);
    const before = cf.requests.length;
    const again = await run('apply');
    expect(again.code).toBe(LOGPUSH_EXIT.ok);
    expect(again.stdout).toContain('Plan: 0 to create, 0 to update, 3 in sync, 0 blocked.');
    expect(again.stdout).toContain('Applied: 0 created, 0 updated, 3 unchanged, 0 failed, 0 blocked.');
    expect(cf.requests.slice(before).every((r) => r.method === 'GET')).toBe(true);
    // One job list per scope, one field list per dataset (the same in every zone).
    expect(cf.requests.slice(before).map((r) => r.route)).toEqual([
      'list-jobs',
      'fields',
      'list-jobs',
      'list-jobs',
      'fields',
    ]);
    expect((await run('plan', { check: true })).code).toBe(LOGPUSH_EXIT.ok);
  });

  it('shows drift field by field and brings the job back in line without a challenge', async () => {
    await run('apply');
    const [job] = cf.jobs(FAKE_ZONE_ID);
    // Cloudflare disabled it after delivery errors, and someone edited it in the dashboard.
    cf.updateJob(FAKE_ZONE_ID, job!.id, {
      enabled: false,
      last_error: '2026-11-20T08:00:00Z',
      error_message: 'AccessDenied: Access Denied',
      name: 'example.com',
      output_options: {
        ...job!.output_options,
        timestamp_format: 'rfc3339',
        field_names: [...HTTP_FIELDS.slice(2), 'SomethingOld'],
        'CVE-2021-44228': true,
      },
    });
    const plan = await run('plan', { check: true });
    expect(plan.code).toBe(LOGPUSH_EXIT.changes);
    expect(plan.stdout).toContain(`~ update  http_requests job ${job!.id}`);
    expect(plan.stdout).toContain('name: "example.com" → "cf-logs-http-requests"');
    expect(plan.stdout).toContain('enabled: false → true');
    expect(plan.stdout).toContain('output_options.timestamp_format: "rfc3339" → "unixnano"');
    expect(plan.stdout).toContain(
      `output_options.field_names: ${HTTP_FIELDS.length - 1} → ${HTTP_FIELDS.length} fields (+ ${HTTP_FIELDS[0]}, ${HTTP_FIELDS[1]}; - SomethingOld)`,
    );
    expect(plan.stdout).toContain('output_options.CVE-2021-44228: true → false');
    expect(plan.stdout).toContain('last error 2026-11-20T08:00:00Z: AccessDenied: Access Denied');
    expect(plan.stdout).toContain('Plan: 0 to create, 1 to update, 2 in sync, 0 blocked.');

    const challenges = cf.challenges.length;
    const applied = await run('apply');
    expect(applied.code).toBe(LOGPUSH_EXIT.ok);
    expect(applied.stdout).toContain(
      `updated http_requests in zone ${FAKE_ZONE_ID} (example.com): job ${job!.id}, enabled`,
    );
    expect(cf.challenges).toHaveLength(challenges);
    const put = cf.requests.find((r) => r.route === 'update-job');
    expect(put?.body).not.toHaveProperty('ownership_challenge');
    expect(cf.jobs(FAKE_ZONE_ID)[0]).toMatchObject({
      enabled: true,
      name: 'cf-logs-http-requests',
      output_options: { timestamp_format: 'unixnano', field_names: HTTP_FIELDS, 'CVE-2021-44228': false },
    });
    expect((await run('plan', { check: true })).code).toBe(LOGPUSH_EXIT.ok);
  });

  it('moves a job to the stack destination with a new challenge, keeping its id', async () => {
    const seeded = cf.addJob('zone', FAKE_ZONE_ID, {
      dataset: 'http_requests',
      name: 'by-hand',
      enabled: true,
      destination_conf: `s3://${BUCKET}/logpush/http_requests/{DATE}?region=${REGION}`,
      output_options: { field_names: ['ClientIP'], timestamp_format: 'rfc3339' },
    });
    const plan = await run('plan', { dataset: ['http_requests'] });
    expect(plan.stdout).toContain(`~ update  http_requests job ${seeded.id}`);
    expect(plan.stdout).toContain('(new destination: ownership challenge requested, read, then deleted)');
    expect(plan.stdout).not.toContain('gateway_dns');
    const applied = await run('apply', { dataset: ['http_requests'] });
    expect(applied.code).toBe(LOGPUSH_EXIT.ok);
    expect(cf.jobs(FAKE_ZONE_ID)).toHaveLength(1);
    expect(cf.jobs(FAKE_ZONE_ID)[0]).toMatchObject({
      id: seeded.id,
      destination_conf: dest('http_requests', FAKE_ZONE_ID),
    });
    const put = cf.requests.find((r) => r.route === 'update-job');
    expect(put?.body).toMatchObject({ ownership_challenge: cf.challenges[0]?.token });
    expect(challengeFiles()).toEqual([]);
  });

  it('sends the configured options: fields, filter, sample rate, timestamp format, upload limits', async () => {
    const filter = { where: { key: 'ClientRequestHost', operator: 'eq', value: 'app.example.com' } };
    await writeConfig({
      ...CONFIG,
      logpush: {
        timestampFormat: 'rfc3339ns',
        maxUploadRecords: 200_000,
        jobs: {
          http_requests: { excludeFields: ['Cookies', 'RequestHeaders'], filter, sampleRate: 0.5 },
          gateway_dns: { fields: ['Datetime', 'QueryName', 'SrcIP'] },
        },
      },
    });
    expect((await run('apply')).code).toBe(LOGPUSH_EXIT.ok);
    const [http] = cf.jobs(FAKE_ZONE_ID);
    expect(http?.output_options).toMatchObject({
      timestamp_format: 'rfc3339ns',
      sample_rate: 0.5,
      field_names: HTTP_FIELDS.filter((f) => f !== 'Cookies' && f !== 'RequestHeaders'),
    });
    expect(JSON.parse(http?.filter ?? 'null')).toEqual(filter);
    expect(http?.max_upload_records).toBe(200_000);
    expect(cf.jobs(FAKE_CF_ACCOUNT_ID)[0]?.output_options?.field_names).toEqual([
      'Datetime',
      'QueryName',
      'SrcIP',
    ]);
    expect((await run('plan', { check: true })).code).toBe(LOGPUSH_EXIT.ok);

    // Dropping the filter from the configuration clears it in Cloudflare.
    await writeConfig({ ...CONFIG, logpush: { timestampFormat: 'rfc3339ns', maxUploadRecords: 200_000 } });
    const plan = await run('plan');
    expect(plan.stdout).toContain('filter: ');
    expect((await run('apply')).code).toBe(LOGPUSH_EXIT.ok);
    expect(cf.jobs(FAKE_ZONE_ID)[0]?.filter).toBeNull();
  });

  it('blocks a job whose configured field Cloudflare does not list, naming the setting, and creates the rest', async () => {
    await writeConfig({
      ...CONFIG,
      logpush: { jobs: { gateway_dns: { fields: ['Datetime', 'QueryNme'] } } },
    });
    const applied = await run('apply');
    expect(applied.code).toBe(LOGPUSH_EXIT.failed);
    expect(applied.stdout).toContain(
      `logpush.jobs.gateway_dns.fields names "QueryNme", not a field of gateway_dns (Cloudflare lists ${GATEWAY_FIELDS.length} fields for gateway_dns)`,
    );
    expect(applied.stdout).toContain('Applied: 2 created, 0 updated, 0 unchanged, 0 failed, 1 blocked.');
    expect(cf.jobs(FAKE_CF_ACCOUNT_ID)).toEqual([]);
  });
});

describe('cf-logs logpush: the ownership challenge going wrong', () => {
  it('fails clearly when the challenge file never appears, and creates nothing', async () => {
    cf.settings.challengeWrite = 'never';
    const applied = await run('apply', { dataset: ['gateway_dns'], challengeTimeout: '20' });
    expect(applied.code).toBe(LOGPUSH_EXIT.failed);
    expect(applied.stdout).toMatch(
      new RegExp(
        `FAILED gateway_dns in account ${FAKE_CF_ACCOUNT_ID}: Cloudflare said it wrote the ownership challenge to s3://${BUCKET}/logpush/gateway_dns/${FAKE_CF_ACCOUNT_ID}/20261121/ownership-challenge-[0-9a-f]{8}\\.txt, but it did not appear within 20 s\\.`,
      ),
    );
    expect(applied.stdout).toContain('arn:aws:iam::391854517948:user/cloudflare-logpush');
    expect(cf.jobs(FAKE_CF_ACCOUNT_ID)).toEqual([]);
    // Bounded: one read every 2 s for 20 s.
    expect(s3.requestsFor('GetObject').length).toBeLessThanOrEqual(11);
  });

  it('refuses an expired token left in the bucket, and deletes the file', async () => {
    cf.settings.challengeWrite = 'expired';
    const applied = await run('apply', { dataset: ['gateway_dns'] });
    expect(applied.code).toBe(LOGPUSH_EXIT.failed);
    expect(applied.stdout).toContain('Cloudflare does not accept the token in s3://');
    expect(applied.stdout).toContain(
      'it has expired (tokens last 7 days) or belongs to an earlier challenge',
    );
    expect(cf.requests.filter((r) => r.route === 'create-job')).toEqual([]);
    expect(challengeFiles()).toEqual([]);
  });

  it('refuses a token written for another destination', async () => {
    cf.settings.challengeWrite = 'other-destination';
    const applied = await run('apply', { dataset: ['gateway_dns'] });
    expect(applied.code).toBe(LOGPUSH_EXIT.failed);
    expect(applied.stdout).toContain('Cloudflare does not accept the token');
    expect(cf.jobs(FAKE_CF_ACCOUNT_ID)).toEqual([]);
    expect(challengeFiles()).toEqual([]);
  });

  it('waits for a file that arrives late, and reads the key whether or not the filename names the bucket', async () => {
    cf.settings.challengeDelayMs = 150;
    cf.settings.filenameStyle = 'key';
    cf.settings.challengeName = 'plain';
    // Real time must pass for the fake's delayed write: this run's sleeps are real (bounded by the timeout).
    const out = captureStream();
    const err = captureStream();
    const code = await runLogpushCommand(
      { action: 'apply', bucket: BUCKET, region: REGION, dataset: ['gateway_dns'], challengeTimeout: '10' },
      {
        stdout: out.stream,
        stderr: err.stream,
        env: { CLOUDFLARE_API_BASE: cf.baseUrl, CLOUDFLARE_API_TOKEN: FAKE_CF_API_TOKEN },
        cwd: dir,
        s3: () => fakeS3Client(s3),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 50))),
      },
    );
    expect(out.text()).toContain('1 created');
    expect(code).toBe(LOGPUSH_EXIT.ok);
    expect(cf.challenges[0]?.key).toMatch(
      new RegExp(`^logpush/gateway_dns/${FAKE_CF_ACCOUNT_ID}/\\d{8}/ownership-challenge\\.txt$`),
    );
    expect(challengeFiles()).toEqual([]);
  });

  it('deletes the challenge file when Cloudflare cannot validate it', async () => {
    cf.script.planner = (request) =>
      request.path.endsWith('/logpush/ownership/validate')
        ? { kind: 'unsuccessful', status: 400, errors: [{ code: 1002, message: 'validation unavailable' }] }
        : undefined;
    const applied = await run('apply', { dataset: ['gateway_dns'] });
    expect(applied.code).toBe(LOGPUSH_EXIT.failed);
    expect(applied.stdout).toContain(
      `cannot validate the ownership challenge in account ${FAKE_CF_ACCOUNT_ID}: POST /accounts/${FAKE_CF_ACCOUNT_ID}/logpush/ownership/validate: HTTP 400: 1002 validation unavailable`,
    );
    expect(cf.challenges).toHaveLength(1);
    expect(challengeFiles()).toEqual([]);
    expect(cf.jobs(FAKE_CF_ACCOUNT_ID)).toEqual([]);
  });

  it('reports a bucket Cloudflare cannot write to', async () => {
    await start({ writableBuckets: ['another-bucket'] });
    const applied = await run('apply', { dataset: ['gateway_dns'] });
    expect(applied.code).toBe(LOGPUSH_EXIT.failed);
    expect(applied.stdout).toContain(
      `cannot request an ownership challenge in account ${FAKE_CF_ACCOUNT_ID}`,
    );
  });
});

describe('cf-logs logpush: permissions and limits', () => {
  it('names Logs: Edit when the token lacks it', async () => {
    await start({ tokens: { [FAKE_CF_API_TOKEN]: { logsEdit: false, zeroTrustPiiRead: true } } });
    const plan = await run('plan');
    expect(plan.code).toBe(LOGPUSH_EXIT.failed);
    expect(plan.stdout).toContain(
      `cannot list the Logpush jobs in zone ${FAKE_ZONE_ID} (example.com): the token lacks the permission (HTTP 403, code 10000). It needs Logs: Edit (Logs Write), zone-scoped, including zone ${FAKE_ZONE_ID} (example.com).`,
    );
    expect(plan.stdout).toContain(`account-scoped, for account ${FAKE_CF_ACCOUNT_ID}`);
    expect(plan.stdout).toContain('Plan: 0 to create, 0 to update, 0 in sync, 3 blocked.');
  });

  it('names Zero Trust: PII Read for error 1004 and still creates the other jobs', async () => {
    await start({ tokens: { [FAKE_CF_API_TOKEN]: { logsEdit: true, zeroTrustPiiRead: false } } });
    const applied = await run('apply');
    expect(applied.code).toBe(LOGPUSH_EXIT.failed);
    expect(applied.stdout).toContain(
      'Jobs of gateway_dns need the token to hold Zero Trust: PII Read besides Logs: Edit (since 2025-11-05); add it to the token.',
    );
    expect(applied.stdout).toContain("reading job for product 'gateway' is not allowed");
    expect(applied.stdout).toContain('Applied: 2 created, 0 updated, 0 unchanged, 0 failed, 1 blocked.');
  });

  it('names a token limited to other zones', async () => {
    await start({
      tokens: { [FAKE_CF_API_TOKEN]: { logsEdit: true, zeroTrustPiiRead: true, scopes: [FAKE_ZONE_ID] } },
    });
    const plan = await run('plan');
    expect(plan.stdout).toContain(`zone-scoped, including zone ${FAKE_ZONE_ID_2}`);
    expect(plan.stdout).toContain('Plan: 1 to create, 0 to update, 0 in sync, 2 blocked.');
  });

  it('blocks a create that would exceed 4 jobs in a zone before asking Cloudflare', async () => {
    for (const dataset of ['dns_logs', 'firewall_events', 'spectrum_events', 'nel_reports']) {
      cf.addJob('zone', FAKE_ZONE_ID_2, {
        dataset,
        enabled: true,
        destination_conf: 'https://siem.example.com/ingest?header_Authorization=Bearer%20x',
      });
    }
    const applied = await run('apply', { dataset: ['http_requests'] });
    expect(applied.code).toBe(LOGPUSH_EXIT.failed);
    expect(applied.stdout).toContain(
      `zone ${FAKE_ZONE_ID_2} would have more than 4 Logpush jobs, Cloudflare's limit per zone (it has 4, and this plan creates 0 before this one)`,
    );
    expect(applied.stdout).toContain(
      'other destinations, left alone, counted toward the 4 jobs per zone: job 1 dns_logs',
    );
    expect(applied.stdout).not.toContain('Bearer');
    expect(cf.requests.filter((r) => r.route === 'create-job' && r.scope?.id === FAKE_ZONE_ID_2)).toEqual([]);
    expect(cf.jobs(FAKE_ZONE_ID)).toHaveLength(1);
  });

  it("explains Cloudflare's own job-limit answer", async () => {
    await start({ maxJobsPerZone: 0 });
    const applied = await run('apply', { dataset: ['http_requests'] });
    expect(applied.code).toBe(LOGPUSH_EXIT.failed);
    expect(applied.stdout).toContain(`already has 4 Logpush jobs, Cloudflare's limit per zone`);
    expect(applied.stdout).not.toContain('Zero Trust');
    expect(challengeFiles()).toEqual([]);
  });
});

describe('cf-logs logpush plan, list and delete', () => {
  it('reports duplicates, strays and other jobs, and leaves them alone', async () => {
    await run('apply');
    const duplicate = cf.addJob('zone', FAKE_ZONE_ID, {
      dataset: 'http_requests',
      enabled: true,
      destination_conf: `s3://${BUCKET}/logpush/http_requests/${FAKE_ZONE_ID}/copy/{DATE}?region=${REGION}`,
    });
    const stray = cf.addJob('zone', FAKE_ZONE_ID, {
      dataset: 'dns_logs',
      enabled: true,
      destination_conf: dest('dns_logs', FAKE_ZONE_ID),
    });
    const plan = await run('plan');
    expect(plan.stdout).toContain(
      `! duplicate job ${duplicate.id} also pushes http_requests into the bucket`,
    );
    expect(plan.stdout).toContain(
      `? job ${stray.id} pushes dns_logs into the bucket but the configuration does not list it`,
    );
    expect(plan.stdout).toContain('Plan: 0 to create, 0 to update, 3 in sync, 0 blocked.');
    const before = cf.requests.length;
    await run('apply');
    expect(cf.requests.slice(before).every((r) => r.method === 'GET')).toBe(true);
  });

  it('lists every job of the configured scopes with its health, marking the stack’s', async () => {
    await run('apply', { dataset: ['http_requests'] });
    cf.addJob('zone', FAKE_ZONE_ID, {
      dataset: 'firewall_events',
      enabled: false,
      destination_conf:
        's3://other/fw?region=us-east-1&access-key-id=AKIAEXAMPLE&secret-access-key=hunter2&endpoint=s3.example.com',
      last_error: '2026-11-21T09:00:00Z',
      error_message: 'destination unreachable',
    });
    const listed = await run('list');
    expect(listed.code).toBe(LOGPUSH_EXIT.ok);
    expect(listed.stdout).toContain(`job 1 http_requests enabled "cf-logs-http-requests" [this stack]`);
    expect(listed.stdout).toContain('job 3 firewall_events DISABLED');
    expect(listed.stdout).toContain('last error 2026-11-21T09:00:00Z: destination unreachable');
    expect(listed.stdout).toContain('2 of 4 jobs this zone may have');
    expect(listed.stdout).not.toContain('hunter2');
    expect(listed.stdout).not.toContain('AKIAEXAMPLE');
    const json = JSON.parse((await run('list', { json: true })).stdout) as { jobs: { stack: boolean }[] }[];
    expect(json[0]?.jobs.map((job) => job.stack)).toEqual([true, false]);
  });

  it('deletes only the stack’s jobs, and only with --yes', async () => {
    await run('apply');
    const other = cf.addJob('zone', FAKE_ZONE_ID, {
      dataset: 'dns_logs',
      enabled: true,
      destination_conf: 'https://siem.example.com/ingest',
    });
    const dry = await run('delete', { dataset: ['http_requests'] });
    expect(dry.code).toBe(LOGPUSH_EXIT.ok);
    expect(dry.stdout).toContain('Would delete 2 job(s) (nothing deleted: add --yes)');
    expect(writes().filter((r) => r.route === 'delete-job')).toEqual([]);

    const refused = await run('delete', { job: [String(other.id)], yes: true });
    expect(refused.code).toBe(LOGPUSH_EXIT.failed);
    expect(refused.stderr).toContain(
      `not deleted: job ${other.id} (dns_logs) writes to https://…, not into the stack's bucket`,
    );

    const deleted = await run('delete', { yes: true });
    expect(deleted.code).toBe(LOGPUSH_EXIT.ok);
    expect(deleted.stdout).toContain('Deleted 3 of 3 job(s).');
    expect(cf.jobs(FAKE_ZONE_ID).map((job) => job.id)).toEqual([other.id]);
    expect(cf.jobs(FAKE_CF_ACCOUNT_ID)).toEqual([]);
  });

  it('prints the plan as JSON', async () => {
    const plan = JSON.parse((await run('plan', { json: true })).stdout) as {
      bucket: unknown;
      plan: { jobs: { action: string; dataset: string; destination_conf: string }[] };
    };
    expect(plan.bucket).toEqual({ bucket: BUCKET, prefix: 'logpush', region: REGION });
    expect(plan.plan.jobs.map((job) => [job.action, job.dataset, job.destination_conf])).toEqual([
      ['create', 'http_requests', dest('http_requests', FAKE_ZONE_ID)],
      ['create', 'http_requests', dest('http_requests', FAKE_ZONE_ID_2)],
      ['create', 'gateway_dns', dest('gateway_dns', FAKE_CF_ACCOUNT_ID)],
    ]);
  });
});

describe('cf-logs logpush: bucket and credential', () => {
  let secrets: FakeSecretsManager;
  beforeEach(async () => {
    secrets = await startFakeSecretsManager();
  });
  afterEach(async () => {
    await secrets.close();
  });

  it('takes bucket, region and the pollers’ secret from cdk-outputs.json', async () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cf-logs-poller-AbCdEf';
    secrets.setSecret(arn, JSON.stringify({ apiToken: FAKE_CF_API_TOKEN }));
    await writeFile(
      join(dir, 'cdk-outputs.json'),
      JSON.stringify({
        CfLogs: { LogpushBucketName: BUCKET, LogpushBucketRegion: REGION, PollCredentialSecretArn: arn },
      }),
    );
    const out = captureStream();
    const err = captureStream();
    const regions: string[] = [];
    const code = await runLogpushCommand(
      { action: 'plan' },
      {
        stdout: out.stream,
        stderr: err.stream,
        env: { CLOUDFLARE_API_BASE: cf.baseUrl },
        cwd: dir,
        secretsManager: (region) => {
          regions.push(region);
          return fakeSecretsManagerClient(secrets);
        },
      },
    );
    expect(err.text()).toContain(`credential from the pollers' secret ${arn}`);
    expect(code).toBe(LOGPUSH_EXIT.ok);
    expect(out.text()).toContain('Plan: 3 to create');
    expect(regions).toEqual([REGION]);
    expect(`${out.text()}${err.text()}`).not.toContain(FAKE_CF_API_TOKEN);
  });

  it('says how to give the bucket and the credential when they are missing', async () => {
    const noBucket = await run('plan', { bucket: undefined, region: undefined });
    expect(noBucket.code).toBe(LOGPUSH_EXIT.usage);
    expect(noBucket.stderr).toContain('the Logpush bucket is unknown: pass --bucket NAME --region REGION');
    const noCredential = await run('plan', {}, {});
    expect(noCredential.code).toBe(LOGPUSH_EXIT.usage);
    expect(noCredential.stderr).toContain(
      'no Cloudflare credential: set CLOUDFLARE_API_TOKEN (a token with Logs: Edit',
    );
    const badConfig = await run('plan', { config: 'missing.json' });
    expect(badConfig.code).toBe(LOGPUSH_EXIT.usage);
    expect(badConfig.stderr).toContain('does not exist');
  });

  it('runs from the command line with the standard AWS SDK environment (AWS_ENDPOINT_URL_S3)', async () => {
    const bin = new URL('../../bin/cf-logs.ts', import.meta.url).pathname;
    const result = await promisify(execFile)(
      process.execPath,
      [bin, 'logpush', 'apply', '--bucket', BUCKET, '--region', REGION, '--dataset', 'gateway_dns'],
      {
        cwd: dir,
        timeout: 60_000,
        env: {
          PATH: process.env.PATH ?? '',
          CLOUDFLARE_API_TOKEN: FAKE_CF_API_TOKEN,
          CLOUDFLARE_API_BASE: cf.baseUrl,
          AWS_ENDPOINT_URL_S3: s3.endpoint,
          AWS_ACCESS_KEY_ID: FAKE_AWS_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: FAKE_AWS_CREDENTIALS.secretAccessKey,
          AWS_EC2_METADATA_DISABLED: 'true',
        },
      },
    );
    expect(result.stdout).toContain('Applied: 1 created');
    expect(cf.jobs(FAKE_CF_ACCOUNT_ID)).toHaveLength(1);
    expect(challengeFiles()).toEqual([]);
    expect(s3.requestsFor('GetObject').length).toBeGreaterThan(0);
  });
});

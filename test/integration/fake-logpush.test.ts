/**
 * Tests of the fake Logpush API itself, driven by plain `fetch` and the fake S3 (both on 127.0.0.1, started and
 * closed by each test), so the lead's client tests can trust the rules it models.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAPPERS } from '../../lambdas/datasets/index.ts';
import { logpushDestinationConf } from '../../lib/logpush-destination.ts';
import { FAKE_CF_ACCOUNT_ID, FAKE_CF_API_TOKEN } from '../support/fake-cloudflare.ts';
import {
  CHALLENGE_LIFETIME_MS,
  FAKE_LOGPUSH_ERRORS,
  FAKE_ZONE_ID,
  FAKE_ZONE_ID_2,
  type FakeLogpush,
  type FakeLogpushOptions,
  startFakeLogpush,
} from '../support/fake-logpush.ts';
import { type FakeS3, startFakeS3 } from '../support/fake-s3.ts';

const BUCKET = 'cf-logs-logpush';
const START = new Date('2026-11-21T12:00:00Z');
const ZONE = `zones/${FAKE_ZONE_ID}`;
const ACCOUNT = `accounts/${FAKE_CF_ACCOUNT_ID}`;

const destination = (dataset: string, scopeId: string, region = 'eu-west-1'): string =>
  logpushDestinationConf({ bucket: BUCKET, prefix: 'cloudflare', dataset, scopeId, region });
const HTTP_DEST = destination('http_requests', FAKE_ZONE_ID);

interface Answer {
  status: number;
  body: { success: boolean; errors: { code: number; message: string }[]; result: unknown };
}

describe('fake Logpush API', () => {
  let s3: FakeS3;
  let cf: FakeLogpush;
  let clock: Date;

  const start = async (options: Omit<FakeLogpushOptions, 's3'> = {}): Promise<FakeLogpush> => {
    await cf?.close();
    cf = await startFakeLogpush({ s3, now: () => clock, ...options });
    return cf;
  };

  const call = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = { authorization: `Bearer ${FAKE_CF_API_TOKEN}` },
  ): Promise<Answer> => {
    const response = await fetch(`${cf.baseUrl}/${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Answer['body'] };
  };

  const result = <T = Record<string, unknown>>(answer: Answer): T => {
    expect(answer.body.success, JSON.stringify(answer.body.errors)).toBe(true);
    return answer.body.result as T;
  };

  /** Requests a challenge and reads the token from the fake S3, as the command will. */
  const challenge = async (scope: string, conf: string): Promise<string> => {
    const { filename } = result<{ filename: string }>(
      await call('POST', `${scope}/logpush/ownership`, { destination_conf: conf }),
    );
    const body = s3.getObject(BUCKET, filename.slice(BUCKET.length + 1));
    if (!body) throw new Error(`no challenge file at ${filename}`);
    return body.toString('utf8');
  };

  const createJob = async (scope: string, dataset: string, scopeId: string, extra: object = {}) => {
    const conf = destination(dataset, scopeId);
    const token = await challenge(scope, conf);
    return call('POST', `${scope}/logpush/jobs`, {
      dataset,
      destination_conf: conf,
      ownership_challenge: token,
      ...extra,
    });
  };

  beforeEach(async () => {
    clock = START;
    s3 = await startFakeS3({ buckets: [BUCKET] });
    cf = await startFakeLogpush({ s3, now: () => clock });
  });

  afterEach(async () => {
    await cf.close();
    await s3.close();
  });

  describe('ownership challenge', () => {
    it('writes a token file under the destination path with {DATE} filled in and names it with the bucket', async () => {
      const answer = result<{ filename: string; valid: boolean; message: string }>(
        await call('POST', `${ZONE}/logpush/ownership`, { destination_conf: HTTP_DEST }),
      );
      expect(answer.valid).toBe(true);
      expect(answer.message).toBe('');
      expect(answer.filename).toMatch(
        new RegExp(
          `^${BUCKET}/cloudflare/http_requests/${FAKE_ZONE_ID}/20261121/ownership-challenge-[0-9a-f]{8}\\.txt$`,
        ),
      );
      const key = answer.filename.slice(BUCKET.length + 1);
      const token = s3.getObject(BUCKET, key)?.toString('utf8') ?? '';
      expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(cf.challenges).toMatchObject([
        { token, scopeId: FAKE_ZONE_ID, destinationConf: HTTP_DEST, key },
      ]);
      expect(await challenge(ZONE, HTTP_DEST)).not.toBe(token);
    });

    it('writes ownership-challenge.txt and answers the key alone when set to', async () => {
      await start({ settings: { challengeName: 'plain', filenameStyle: 'key' } });
      const { filename } = result<{ filename: string }>(
        await call('POST', `${ZONE}/logpush/ownership`, { destination_conf: HTTP_DEST }),
      );
      expect(filename).toBe(`cloudflare/http_requests/${FAKE_ZONE_ID}/20261121/ownership-challenge.txt`);
      expect(s3.listKeys(BUCKET)).toEqual([filename]);
    });

    it('validates a token for exactly its scope and destination', async () => {
      const token = await challenge(ZONE, HTTP_DEST);
      const validate = async (scope: string, conf: string) =>
        result<{ valid: boolean }>(
          await call('POST', `${scope}/logpush/ownership/validate`, {
            destination_conf: conf,
            ownership_challenge: token,
          }),
        ).valid;
      expect(await validate(ZONE, HTTP_DEST)).toBe(true);
      expect(await validate(ZONE, HTTP_DEST.replace('eu-west-1', 'us-east-1'))).toBe(false);
      expect(await validate(`zones/${FAKE_ZONE_ID_2}`, HTTP_DEST)).toBe(false);
    });

    it('lets a token expire after 7 days by the fake clock', async () => {
      const token = await challenge(ZONE, HTTP_DEST);
      const body = { destination_conf: HTTP_DEST, ownership_challenge: token };
      clock = new Date(START.getTime() + CHALLENGE_LIFETIME_MS - 1000);
      expect(result(await call('POST', `${ZONE}/logpush/ownership/validate`, body))).toEqual({ valid: true });
      clock = new Date(START.getTime() + CHALLENGE_LIFETIME_MS + 1000);
      expect(result(await call('POST', `${ZONE}/logpush/ownership/validate`, body))).toEqual({
        valid: false,
      });
    });

    it('writes nothing when challengeWrite is never, yet names the file', async () => {
      cf.settings.challengeWrite = 'never';
      const { filename } = result<{ filename: string }>(
        await call('POST', `${ZONE}/logpush/ownership`, { destination_conf: HTTP_DEST }),
      );
      expect(filename).toContain('ownership-challenge-');
      expect(s3.listKeys(BUCKET)).toEqual([]);
      expect(cf.challenges[0]?.written).toBe(false);
    });

    it('writes a token issued 8 days ago when challengeWrite is expired', async () => {
      cf.settings.challengeWrite = 'expired';
      const token = await challenge(ZONE, HTTP_DEST);
      expect(cf.challenges[0]?.issuedAt).toEqual(new Date(START.getTime() - 8 * 24 * 3600 * 1000));
      const created = await call('POST', `${ZONE}/logpush/jobs`, {
        dataset: 'http_requests',
        destination_conf: HTTP_DEST,
        ownership_challenge: token,
      });
      expect(created.status).toBe(400);
      expect(created.body.errors[0]?.message).toBe('ownership challenge token is invalid or expired');
    });

    it('writes a token bound to another destination when challengeWrite is other-destination', async () => {
      cf.settings.challengeWrite = 'other-destination';
      const token = await challenge(ZONE, HTTP_DEST);
      const other = cf.challenges[0]?.destinationConf ?? '';
      expect(other).not.toBe(HTTP_DEST);
      const validate = async (conf: string) =>
        result(
          await call('POST', `${ZONE}/logpush/ownership/validate`, {
            destination_conf: conf,
            ownership_challenge: token,
          }),
        );
      expect(await validate(HTTP_DEST)).toEqual({ valid: false });
      expect(await validate(other)).toEqual({ valid: true });
    });

    it('writes the file after challengeDelayMs, and close() cancels a pending write', async () => {
      cf.settings.challengeDelayMs = 30;
      await call('POST', `${ZONE}/logpush/ownership`, { destination_conf: HTTP_DEST });
      expect(s3.listKeys(BUCKET)).toEqual([]);
      for (let i = 0; i < 100 && s3.listKeys(BUCKET).length === 0; i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(s3.listKeys(BUCKET)).toHaveLength(1);

      await call('POST', `${ZONE}/logpush/ownership`, {
        destination_conf: destination('dns_logs', FAKE_ZONE_ID),
      });
      await cf.close();
      await new Promise((r) => setTimeout(r, 80));
      expect(s3.listKeys(BUCKET)).toHaveLength(1);
      expect(cf.challenges[1]?.written).toBe(false);
    });

    it('refuses an unknown bucket and a region other than the bucket’s', async () => {
      const unknown = await call('POST', `${ZONE}/logpush/ownership`, {
        destination_conf: HTTP_DEST.replace(BUCKET, 'someone-elses-bucket'),
      });
      expect(unknown.status).toBe(400);
      expect(unknown.body.errors[0]).toMatchObject({ code: FAKE_LOGPUSH_ERRORS.invalidInput });
      expect(unknown.body.errors[0]?.message).toMatch(/^error creating ownership challenge: bucket/);

      await start({ bucketRegions: { [BUCKET]: 'us-east-1' } });
      const wrongRegion = await call('POST', `${ZONE}/logpush/ownership`, { destination_conf: HTTP_DEST });
      expect(wrongRegion.status).toBe(400);
      expect(wrongRegion.body.errors[0]?.message).toContain('us-east-1, not eu-west-1');
      expect(s3.listKeys(BUCKET)).toEqual([]);
    });
  });

  describe('jobs', () => {
    it('refuses an s3 job without a valid challenge and creates it with one', async () => {
      const without = await call('POST', `${ZONE}/logpush/jobs`, {
        dataset: 'http_requests',
        destination_conf: HTTP_DEST,
      });
      expect(without.status).toBe(400);
      expect(without.body.errors[0]?.code).toBe(FAKE_LOGPUSH_ERRORS.invalidInput);

      const otherScopeToken = await challenge(`zones/${FAKE_ZONE_ID_2}`, HTTP_DEST);
      const wrongScope = await call('POST', `${ZONE}/logpush/jobs`, {
        dataset: 'http_requests',
        destination_conf: HTTP_DEST,
        ownership_challenge: otherScopeToken,
      });
      expect(wrongScope.status).toBe(400);

      const job = result(await createJob(ZONE, 'http_requests', FAKE_ZONE_ID, { name: 'cf-logs.http' }));
      expect(job.id).toBeGreaterThan(0);
      expect(cf.jobs(FAKE_ZONE_ID)).toEqual([job]);
    });

    it('returns the job shape with defaults: disabled, upload limits, output_options filled in', async () => {
      const job = result(
        await createJob(ZONE, 'http_requests', FAKE_ZONE_ID, {
          output_options: { field_names: ['ClientIP', 'RayID'], timestamp_format: 'rfc3339' },
        }),
      );
      expect(job).toEqual({
        id: expect.any(Number),
        dataset: 'http_requests',
        name: null,
        enabled: false,
        destination_conf: HTTP_DEST,
        kind: '',
        output_options: {
          field_names: ['ClientIP', 'RayID'],
          timestamp_format: 'rfc3339',
          batch_prefix: '',
          batch_suffix: '',
          record_prefix: '{',
          record_suffix: '}\n',
          record_template: '',
          record_delimiter: '',
          field_delimiter: ',',
          'CVE-2021-44228': false,
          sample_rate: 1,
          output_type: 'ndjson',
        },
        filter: null,
        frequency: 'high',
        logpull_options: null,
        max_upload_bytes: 0,
        max_upload_records: 100_000,
        max_upload_interval_seconds: 30,
        last_complete: null,
        last_error: null,
        error_message: null,
      });
    });

    it('refuses a PUT changing destination_conf without a fresh challenge, accepts it with one', async () => {
      const job = result(await createJob(ZONE, 'http_requests', FAKE_ZONE_ID, { enabled: true }));
      const moved = HTTP_DEST.replace('cloudflare/', 'elsewhere/');
      const refused = await call('PUT', `${ZONE}/logpush/jobs/${job.id}`, { destination_conf: moved });
      expect(refused.status).toBe(400);
      expect(refused.body.errors[0]?.message).toBe('ownership challenge token is invalid or expired');

      const token = await challenge(ZONE, moved);
      const updated = result(
        await call('PUT', `${ZONE}/logpush/jobs/${job.id}`, {
          destination_conf: moved,
          ownership_challenge: token,
        }),
      );
      expect(updated).toEqual({ ...job, destination_conf: moved });
    });

    it('merges other PUT fields, replaces output_options, and refuses a dataset change', async () => {
      const job = result(
        await createJob(ZONE, 'http_requests', FAKE_ZONE_ID, {
          output_options: { field_names: ['RayID'], timestamp_format: 'rfc3339', sample_rate: 0.5 },
        }),
      );
      const updated = result(
        await call('PUT', `${ZONE}/logpush/jobs/${job.id}`, {
          enabled: true,
          output_options: { field_names: ['RayID', 'ClientIP'] },
        }),
      );
      expect(updated).toMatchObject({ enabled: true, destination_conf: HTTP_DEST });
      expect(updated.output_options).toMatchObject({
        field_names: ['RayID', 'ClientIP'],
        timestamp_format: 'unixnano',
        sample_rate: 1,
      });
      const dataset = await call('PUT', `${ZONE}/logpush/jobs/${job.id}`, { dataset: 'dns_logs' });
      expect(dataset.status).toBe(400);
      expect(dataset.body.errors[0]?.message).toBe('dataset cannot be changed');
    });

    it('checks filter, upload limits, name and field names', async () => {
      const refused = async (extra: object) =>
        (await createJob(ZONE, 'http_requests', FAKE_ZONE_ID, extra)).status;
      expect(await refused({ filter: '{"and":[]}' })).toBe(400);
      expect(await refused({ filter: { where: { key: 'RayID', operator: 'eq', value: 'x' } } })).toBe(400);
      expect(await refused({ max_upload_records: 999 })).toBe(400);
      expect(await refused({ max_upload_interval_seconds: 301 })).toBe(400);
      expect(await refused({ name: 'with space' })).toBe(400);
      expect(await refused({ output_options: { field_names: ['NoSuchField'] } })).toBe(400);
      expect(cf.jobs(FAKE_ZONE_ID)).toEqual([]);

      const filter = JSON.stringify({
        where: { key: 'ClientRequestHost', operator: 'eq', value: 'example.com' },
      });
      const job = result(
        await createJob(ZONE, 'http_requests', FAKE_ZONE_ID, {
          filter,
          max_upload_bytes: 0,
          max_upload_records: 1_000_000,
          name: 'cf-logs.http-requests',
        }),
      );
      expect(job).toMatchObject({ filter, max_upload_bytes: 0, max_upload_records: 1_000_000 });
    });

    it('refuses a fifth job in a zone with 1004 and the limit message, but not in the account', async () => {
      for (const dataset of ['http_requests', 'firewall_events', 'dns_logs', 'nel_reports']) {
        result(await createJob(ZONE, dataset, FAKE_ZONE_ID));
      }
      const fifth = await createJob(ZONE, 'spectrum_events', FAKE_ZONE_ID);
      expect(fifth.status).toBe(400);
      expect(fifth.body.errors).toEqual([
        { code: 1004, message: 'creating a new job is not allowed: exceeded max jobs allowed' },
      ]);
      expect(cf.jobs(FAKE_ZONE_ID)).toHaveLength(4);
      for (const dataset of [
        'audit_logs',
        'audit_logs_v2',
        'access_requests',
        'gateway_dns',
        'firewall_events',
      ]) {
        result(await createJob(ACCOUNT, dataset, FAKE_CF_ACCOUNT_ID));
      }
      expect(cf.jobs(FAKE_CF_ACCOUNT_ID)).toHaveLength(5);
    });

    it('lists jobs, per dataset too, and deletes one', async () => {
      const http = result(await createJob(ZONE, 'http_requests', FAKE_ZONE_ID));
      const dns = result(await createJob(ZONE, 'dns_logs', FAKE_ZONE_ID));
      expect(result(await call('GET', `${ZONE}/logpush/jobs`))).toEqual([http, dns]);
      expect(result(await call('GET', `${ZONE}/logpush/datasets/dns_logs/jobs`))).toEqual([dns]);
      expect(result(await call('GET', `zones/${FAKE_ZONE_ID_2}/logpush/jobs`))).toEqual([]);

      expect(result(await call('DELETE', `${ZONE}/logpush/jobs/${http.id}`))).toEqual({ id: http.id });
      const gone = await call('GET', `${ZONE}/logpush/jobs/${http.id}`);
      expect(gone.status).toBe(404);
      expect(gone.body.errors[0]?.code).toBe(FAKE_LOGPUSH_ERRORS.jobNotFound);
      expect((await call('DELETE', `${ZONE}/logpush/jobs/${http.id}`)).status).toBe(404);
      expect(cf.jobs(FAKE_ZONE_ID)).toEqual([dns]);
    });

    it('refuses a dataset in the wrong scope and an unknown dataset', async () => {
      const wrongScope = await createJob(ACCOUNT, 'http_requests', FAKE_CF_ACCOUNT_ID);
      expect(wrongScope.status).toBe(400);
      expect(wrongScope.body.errors[0]?.message).toBe(
        "dataset 'http_requests' is not available for accounts",
      );
      expect((await call('GET', `${ZONE}/logpush/datasets/no_such_logs/fields`)).status).toBe(400);
    });

    it('shows seeded jobs and drift made through addJob and updateJob', async () => {
      const seeded = cf.addJob('zone', FAKE_ZONE_ID, {
        dataset: 'http_requests',
        destination_conf: HTTP_DEST,
        enabled: true,
        output_options: { timestamp_format: 'rfc3339' },
      });
      cf.updateJob(FAKE_ZONE_ID, seeded.id, { enabled: false, last_error: '2026-11-21T11:00:00Z' });
      const read = result(await call('GET', `${ZONE}/logpush/jobs/${seeded.id}`));
      expect(read).toMatchObject({
        enabled: false,
        last_error: '2026-11-21T11:00:00Z',
        output_options: { timestamp_format: 'rfc3339' },
      });
      const copy = cf.jobs(FAKE_ZONE_ID);
      if (copy[0]) copy[0].enabled = true;
      expect(cf.jobs(FAKE_ZONE_ID)[0]?.enabled).toBe(false);
      expect(() => cf.addJob('zone', FAKE_CF_ACCOUNT_ID, { dataset: 'dns_logs' })).toThrow();
    });
  });

  describe('fields', () => {
    it('lists the mapper’s fields by default and the configured ones when given', async () => {
      const fields = result(await call('GET', `${ZONE}/logpush/datasets/http_requests/fields`));
      expect(Object.keys(fields)).toEqual(Object.keys(MAPPERS.http_requests.spec.fields));
      await start({ fields: { dns_logs: ['Timestamp', 'QueryName'] } });
      expect(Object.keys(result(await call('GET', `${ZONE}/logpush/datasets/dns_logs/fields`)))).toEqual([
        'Timestamp',
        'QueryName',
      ]);
    });
  });

  describe('permissions', () => {
    const tokens = {
      full: { logsEdit: true, zeroTrustPiiRead: true },
      noPii: { logsEdit: true, zeroTrustPiiRead: false },
      readOnly: { logsEdit: false, zeroTrustPiiRead: true },
      zone2Only: { logsEdit: true, zeroTrustPiiRead: true, scopes: [FAKE_ZONE_ID_2] },
    };
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

    it('answers 1004 for Zero Trust datasets without Zero Trust PII Read', async () => {
      await start({ tokens });
      const conf = destination('gateway_dns', FAKE_CF_ACCOUNT_ID);
      const { filename } = result<{ filename: string }>(
        await call('POST', `${ACCOUNT}/logpush/ownership`, { destination_conf: conf }, bearer('full')),
      );
      const ownership = s3.getObject(BUCKET, filename.slice(BUCKET.length + 1))?.toString() ?? '';
      const create = await call(
        'POST',
        `${ACCOUNT}/logpush/jobs`,
        { dataset: 'gateway_dns', destination_conf: conf, ownership_challenge: ownership },
        bearer('noPii'),
      );
      expect(create.status).toBe(403);
      expect(create.body.errors).toEqual([
        { code: 1004, message: "reading job for product 'gateway' is not allowed" },
      ]);
      const fields = await call(
        'GET',
        `${ACCOUNT}/logpush/datasets/dex_application_tests/fields`,
        undefined,
        bearer('noPii'),
      );
      expect(fields.body.errors[0]?.message).toBe("reading job for product 'dex' is not allowed");

      cf.addJob('account', FAKE_CF_ACCOUNT_ID, { dataset: 'audit_logs' });
      expect(result(await call('GET', `${ACCOUNT}/logpush/jobs`, undefined, bearer('noPii')))).toHaveLength(
        1,
      );
      const access = cf.addJob('account', FAKE_CF_ACCOUNT_ID, { dataset: 'access_requests' });
      const list = await call('GET', `${ACCOUNT}/logpush/jobs`, undefined, bearer('noPii'));
      expect(list.body.errors).toEqual([
        { code: 1004, message: "reading job for product 'access' is not allowed" },
      ]);
      expect(
        (await call('DELETE', `${ACCOUNT}/logpush/jobs/${access.id}`, undefined, bearer('noPii'))).status,
      ).toBe(403);
      expect(result(await call('GET', `${ACCOUNT}/logpush/jobs`, undefined, bearer('full')))).toHaveLength(2);
    });

    it('answers 403 10000 without Logs Edit, outside the token’s scopes and for an unknown zone', async () => {
      await start({ tokens });
      const authError = { code: 10_000, message: 'Authentication error' };
      for (const [path, token] of [
        [`${ZONE}/logpush/jobs`, 'readOnly'],
        [`${ZONE}/logpush/jobs`, 'zone2Only'],
        [`zones/${'f'.repeat(32)}/logpush/jobs`, 'full'],
        [`zones/${FAKE_CF_ACCOUNT_ID}/logpush/jobs`, 'full'],
      ] as const) {
        const answer = await call('GET', path, undefined, bearer(token));
        expect(answer.status, `${path} with ${token}`).toBe(403);
        expect(answer.body.errors).toEqual([authError]);
      }
      const ownership = await call(
        'POST',
        `${ZONE}/logpush/ownership`,
        { destination_conf: HTTP_DEST },
        bearer('readOnly'),
      );
      expect(ownership.body.errors).toEqual([authError]);
      expect(s3.listKeys(BUCKET)).toEqual([]);
      expect(
        result(await call('GET', `zones/${FAKE_ZONE_ID_2}/logpush/jobs`, undefined, bearer('zone2Only'))),
      ).toEqual([]);
    });

    it('refuses an unknown token and a missing one like the poll API fake, and never logs the token', async () => {
      const unknown = await call('GET', `${ZONE}/logpush/jobs`, undefined, bearer('not-a-token'));
      expect([unknown.status, unknown.body.errors[0]?.code]).toEqual([403, 10_000]);
      const missing = await call('GET', `${ZONE}/logpush/jobs`, undefined, {});
      expect([missing.status, missing.body.errors[0]?.code]).toEqual([400, 9106]);
      expect(cf.requests.map((r) => [r.auth, r.authorized, r.status])).toEqual([
        ['token', false, 403],
        ['none', false, 400],
      ]);
      expect(JSON.stringify(cf.requests)).not.toContain(FAKE_CF_API_TOKEN);
    });
  });

  describe('faults and bounds', () => {
    it('applies queued faults in order, then answers normally, and logs them', async () => {
      cf.script.queue.push({ kind: 'rate-limit', retryAfter: 3 }, { kind: 'server-error', status: 502 });
      const limited = await fetch(`${cf.baseUrl}/${ZONE}/logpush/jobs`, {
        headers: { authorization: `Bearer ${FAKE_CF_API_TOKEN}` },
      });
      expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '3']);
      await limited.arrayBuffer();
      expect((await call('GET', `${ZONE}/logpush/jobs`)).status).toBe(502);
      expect((await call('GET', `${ZONE}/logpush/jobs`)).status).toBe(200);
      expect(cf.requests.map((r) => [r.fault, r.route, r.status])).toEqual([
        ['rate-limit', undefined, 429],
        ['server-error', undefined, 502],
        [undefined, 'list-jobs', 200],
      ]);
    });

    it('answers 400 to every request past maxRequests', async () => {
      await start({ maxRequests: 2 });
      expect((await call('GET', `${ZONE}/logpush/jobs`)).status).toBe(200);
      expect((await call('GET', `${ZONE}/logpush/jobs`)).status).toBe(200);
      const over = await call('GET', `${ZONE}/logpush/jobs`);
      expect([over.status, over.body.errors[0]?.code]).toEqual([400, FAKE_LOGPUSH_ERRORS.requestLimit]);
      expect(cf.requestLimitHit).toBe(true);
    });

    it('records the parsed body, route and scope of each request', async () => {
      await call('POST', `${ZONE}/logpush/ownership`, { destination_conf: HTTP_DEST });
      expect(cf.requests[0]).toMatchObject({
        method: 'POST',
        route: 'ownership',
        scope: { kind: 'zone', id: FAKE_ZONE_ID },
        body: { destination_conf: HTTP_DEST },
        status: 200,
        errorCodes: [],
      });
    });
  });
});

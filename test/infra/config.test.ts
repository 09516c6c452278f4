import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lambdas/core/errors.ts';
import { logpushJobTargets } from '../../lib/cf-logs-stack.ts';
import { CloudflareLogLake } from '../../lib/cloudflare-log-lake.ts';
import { type CfLogsConfig, contextOverrides, loadConfig, parseConfig } from '../../lib/config.ts';
import { logpushDestinationConf } from '../../lib/logpush-destination.ts';

const ACCOUNT = '0123456789abcdef0123456789abcdef';
const ZONE = '89abcdef0123456789abcdef01234567';
const EXAMPLE = JSON.parse(
  readFileSync(new URL('../../cf-logs.config.example.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

/** The ConfigError message of a configuration, or fails when it is accepted. */
function problemsOf(raw: unknown, overrides?: Record<string, unknown>): string[] {
  try {
    parseConfig(raw, overrides);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message.split('\n');
  }
  throw new Error('expected the configuration to be rejected');
}

/** Sets `value` at a dotted path of a copy of `raw`. */
function withSetting(raw: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(raw);
  const [first, second] = path.split('.') as [string, string | undefined];
  if (second === undefined) copy[first] = value;
  else copy[first] = { ...(copy[first] as object), [second]: value };
  return copy;
}

describe('configuration defaults', () => {
  it('applies every default to an empty file', () => {
    const config = parseConfig({});
    expect(config).toEqual({
      cloudflare: { zones: [] },
      datasets: { account: [], zone: [] },
      logpushPrefix: 'logpush',
      quarantinePrefix: 'quarantine',
      retention: {
        logpushObjects: 90,
        lake: 0,
        quarantine: 90,
        abortIncompleteUploads: 3,
        accessLogs: 365,
        logs: 30,
      },
      normalize: {
        memoryMiB: 1024,
        timeoutSeconds: 300,
        batchSize: 1,
        maxConcurrency: 10,
        maxReceiveCount: 5,
        logLevel: 'INFO',
      },
      firehose: { bufferIntervalSeconds: 300, bufferSizeMiB: 128 },
      athena: {
        scanLimitMiB: 10240,
        resultsRetentionDays: 30,
        projectionStartDate: '2020-01-01',
        databaseName: 'cloudflare_logs',
      },
      removalPolicy: 'retain',
      accessLogs: true,
      poller: {
        enabled: false,
        sources: ['access_requests', 'audit_logs'],
        scheduleMinutes: 5,
        apiBase: 'https://api.cloudflare.com/client/v4',
        delaySeconds: 60,
        lookbackHours: 24,
        overlapSeconds: 300,
        reservedConcurrency: false,
        lagAlarmMinutes: 60,
        timeoutSeconds: 300,
        memoryMiB: 512,
        retryAttempts: 0,
      },
      monitoring: {
        emails: [],
        dashboard: true,
        quarantinePercent: 1,
        freshnessMinutes: 0,
        queueAgeMinutes: 60,
      },
      logpush: { timestampFormat: 'unixnano', jobs: {} },
    } satisfies CfLogsConfig);
  });

  it('keeps the defaults of a section that sets only some of its settings', () => {
    const config = parseConfig({ normalize: { memoryMiB: 512 } });
    expect(config.normalize).toMatchObject({ memoryMiB: 512, timeoutSeconds: 300, maxConcurrency: 10 });
  });

  it('uses defaults when the default file does not exist', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'cf-logs-config-'));
    expect(loadConfig({ context: {}, cwd })).toEqual(parseConfig({}));
  });
});

describe('a valid configuration', () => {
  it('accepts the example file', () => {
    const config = parseConfig(EXAMPLE);
    expect(config.cloudflare.accountId).toBe(ACCOUNT);
    expect(config.cloudflare.zones).toEqual([
      { id: ZONE, name: 'example.com' },
      { id: 'fedcba9876543210fedcba9876543210', name: 'example.org' },
    ]);
    expect(config.datasets).toEqual({
      zone: ['http_requests', 'firewall_events'],
      account: ['access_requests', 'audit_logs', 'gateway_dns'],
    });
  });

  it('accepts a dataset with both scopes in either list', () => {
    const config = parseConfig({
      cloudflare: { accountId: ACCOUNT, zones: [{ id: ZONE }] },
      datasets: { zone: ['firewall_events'], account: ['firewall_events'] },
    });
    expect(config.datasets).toEqual({ zone: ['firewall_events'], account: ['firewall_events'] });
  });

  it('accepts 0 as "keep forever" for retentions that allow it', () => {
    const config = parseConfig({
      retention: { logpushObjects: 0, lake: 0, quarantine: 0, accessLogs: 0, logs: 0 },
    });
    expect(config.retention).toMatchObject({
      logpushObjects: 0,
      lake: 0,
      quarantine: 0,
      accessLogs: 0,
      logs: 0,
    });
  });

  it('accepts the bounds of every range', () => {
    const low = parseConfig({
      normalize: { memoryMiB: 512, timeoutSeconds: 30, batchSize: 1, maxConcurrency: 2, maxReceiveCount: 1 },
      firehose: { bufferIntervalSeconds: 60, bufferSizeMiB: 64 },
    });
    const high = parseConfig({
      normalize: {
        memoryMiB: 10240,
        timeoutSeconds: 900,
        batchSize: 10,
        maxConcurrency: 1000,
        maxReceiveCount: 20,
      },
      firehose: { bufferIntervalSeconds: 900, bufferSizeMiB: 128 },
    });
    expect(low.firehose.bufferSizeMiB).toBe(64);
    expect(high.normalize.maxConcurrency).toBe(1000);
  });
});

describe('a wrong value', () => {
  it('stops with the message naming the setting, the expectation and the value', () => {
    expect(problemsOf({ normalize: { maxConcurrency: 1 } })).toEqual([
      'cf-logs config: "normalize.maxConcurrency" must be an integer from 2 to 1000, got 1',
    ]);
  });

  it.each([
    ['normalize.memoryMiB', 256, 'must be an integer from 512 to 10240, got 256'],
    ['normalize.memoryMiB', '1024', 'must be an integer from 512 to 10240, got "1024"'],
    ['normalize.timeoutSeconds', 901, 'must be an integer from 30 to 900, got 901'],
    ['normalize.timeoutSeconds', 60.5, 'must be an integer from 30 to 900, got 60.5'],
    ['normalize.batchSize', 11, 'must be an integer from 1 to 10, got 11'],
    ['normalize.maxReceiveCount', 0, 'must be an integer from 1 to 20, got 0'],
    ['normalize.logLevel', 'debug', 'must be one of "DEBUG", "INFO", "WARN", "ERROR", got "debug"'],
    ['firehose.bufferSizeMiB', 32, 'must be an integer from 64 to 128, got 32'],
    ['firehose.bufferIntervalSeconds', 0, 'must be an integer from 60 to 900, got 0'],
    ['retention.logpushObjects', 7, 'must be 0 (keep forever) or an integer from 14 to 36500, got 7'],
    ['retention.lake', -1, 'must be 0 (keep forever) or an integer from 1 to 36500, got -1'],
    ['retention.abortIncompleteUploads', 0, 'must be an integer from 1 to 7, got 0'],
    ['retention.logs', 2, 'must be one of 0 (never expire), 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365'],
    ['removalPolicy', 'delete', 'must be one of "retain", "destroy", got "delete"'],
    ['accessLogs', 'yes', 'must be true or false, got "yes"'],
    ['logpushPrefix', '/logpush', 'must be a key prefix'],
    ['logpushPrefix', 'logpush/', 'must be a key prefix'],
    ['logpushPrefix', 'a//b', 'must be a key prefix'],
    ['logpushPrefix', 'logs/*', 'must be a key prefix'],
    ['logpushPrefix', '', 'must be a key prefix'],
    ['logpushPrefix', 'a/../b', 'must be a key prefix'],
    ['quarantinePrefix', 'ecs/quarantine', 'must not be or lie under "ecs" or "errors"'],
    ['quarantinePrefix', 'errors', 'must not be or lie under "ecs" or "errors"'],
    ['cloudflare.accountId', ACCOUNT.toUpperCase(), 'must be 32 lowercase hexadecimal characters'],
    ['normalize', 5, 'must be an object, got 5'],
  ])('names "%s" when it is %j', (path, value, expected) => {
    const problems = problemsOf(withSetting({}, path, value));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`cf-logs config: "${path}" ${expected}`);
  });

  it('names the zone entry that is wrong', () => {
    const problems = problemsOf({
      cloudflare: {
        zones: [
          { id: ZONE },
          { id: 'abc' },
          { id: ZONE.replace('8', 'f'), name: 'not a domain' },
          { id: ZONE },
          'x',
        ],
      },
    });
    expect(problems).toEqual([
      expect.stringContaining('"cloudflare.zones[1].id" must be 32 lowercase hexadecimal characters'),
      expect.stringContaining('"cloudflare.zones[2].name" must be a domain name'),
      expect.stringContaining(`"cloudflare.zones[3].id" repeats cloudflare.zones[0].id "${ZONE}"`),
      expect.stringContaining('"cloudflare.zones[4]" must be an object'),
    ]);
  });

  it('names a list setting that is not a list', () => {
    expect(problemsOf({ cloudflare: { zones: ZONE }, datasets: { zone: 'http_requests' } })).toEqual([
      expect.stringContaining('"cloudflare.zones" must be a list'),
      expect.stringContaining('"datasets.zone" must be a list of Cloudflare Logpush dataset names'),
    ]);
  });

  it('rejects a dataset the catalogue does not know, suggesting the likely one', () => {
    const problems = problemsOf({
      cloudflare: { zones: [{ id: ZONE }] },
      datasets: { zone: ['http_request'] },
    });
    expect(problems[0]).toBe(
      'cf-logs config: "datasets.zone[0]" must be a Cloudflare Logpush dataset known to this project ' +
        '(lambdas/datasets/catalog.ts), got "http_request" (did you mean "http_requests"?)',
    );
  });

  it('rejects a dataset listed twice', () => {
    const problems = problemsOf({
      cloudflare: { zones: [{ id: ZONE }] },
      datasets: { zone: ['dns_logs', 'dns_logs'] },
    });
    expect(problems).toEqual(['cf-logs config: "datasets.zone[1]" repeats "dns_logs"']);
  });

  it('reports every problem at once, one per line, as a ConfigError', () => {
    const problems = problemsOf({
      normalize: { maxConcurrency: 1, memoryMiB: 100 },
      firehose: { bufferSizeMiB: 1 },
      removalPolicy: 'keep',
    });
    expect(problems).toHaveLength(4);
    for (const line of problems) expect(line).toMatch(/^cf-logs config: "[a-zA-Z.]+" must /);
  });

  it('rejects a file that is not a JSON object', () => {
    expect(problemsOf([1, 2])).toEqual(['cf-logs config: "(file)" must be a JSON object, got [1,2]']);
  });
});

describe('unknown keys', () => {
  it('rejects a misspelt setting and suggests the right one', () => {
    expect(problemsOf({ normalize: { maxConcurency: 20 } })).toEqual([
      'cf-logs config: "normalize.maxConcurency" is not a setting (did you mean "normalize.maxConcurrency"?)',
    ]);
  });

  it('rejects an unknown top-level key', () => {
    expect(problemsOf({ retentions: {} })).toEqual([
      'cf-logs config: "retentions" is not a setting (did you mean "retention"?)',
    ]);
  });

  it('rejects an unknown key in a zone', () => {
    expect(problemsOf({ cloudflare: { zones: [{ id: ZONE, nmae: 'example.com' }] } })).toEqual([
      'cf-logs config: "cloudflare.zones[0].nmae" is not a setting (did you mean "name"?)',
    ]);
  });

  it('says nothing about a typo far from every setting beyond that it is not one', () => {
    expect(problemsOf({ zzz: 1 })).toEqual(['cf-logs config: "zzz" is not a setting']);
  });
});

describe('dataset scopes', () => {
  it('rejects a zone-only dataset listed for the account', () => {
    expect(
      problemsOf({ cloudflare: { accountId: ACCOUNT }, datasets: { account: ['http_requests'] } }),
    ).toEqual([
      'cf-logs config: "datasets.account[0]" is "http_requests", which has no account-scoped Logpush job: ' +
        'list it under datasets.zone',
    ]);
  });

  it('rejects an account-only dataset listed for zones', () => {
    expect(
      problemsOf({ cloudflare: { zones: [{ id: ZONE }] }, datasets: { zone: ['gateway_dns'] } }),
    ).toEqual([
      'cf-logs config: "datasets.zone[0]" is "gateway_dns", which has no zone-scoped Logpush job: ' +
        'list it under datasets.account',
    ]);
  });

  it('requires the account id for account datasets', () => {
    expect(problemsOf({ datasets: { account: ['audit_logs'] } })).toEqual([
      'cf-logs config: "cloudflare.accountId" is required: datasets.account lists account-scoped datasets',
    ]);
  });

  it('requires a zone for zone datasets', () => {
    expect(problemsOf({ datasets: { zone: ['http_requests'] } })).toEqual([
      'cf-logs config: "cloudflare.zones" must list at least one zone: datasets.zone lists zone-scoped datasets',
    ]);
  });
});

describe('loading the file and -c overrides', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cf-logs-config-'));

  it('reads the file named by -c config, relative to the working directory', () => {
    writeFileSync(join(dir, 'mine.json'), JSON.stringify({ normalize: { memoryMiB: 2048 } }));
    expect(loadConfig({ context: { config: 'mine.json' }, cwd: dir }).normalize.memoryMiB).toBe(2048);
  });

  it('fails when the named file does not exist', () => {
    expect(() => loadConfig({ context: { config: 'missing.json' }, cwd: dir })).toThrow(
      /cf-logs config: file .*missing\.json \(from -c config\) does not exist/,
    );
  });

  it('fails with the file name when the file is not JSON', () => {
    writeFileSync(join(dir, 'broken.json'), '{ "normalize": ');
    expect(() => loadConfig({ context: { config: 'broken.json' }, cwd: dir })).toThrow(
      /cf-logs config: .*broken\.json is not valid JSON: Unexpected end of JSON input$/,
    );
  });

  it('turns -c strings into the setting types', () => {
    const context = {
      '@aws-cdk/core:checkSecretUsage': true,
      'normalize.memoryMiB': '2048',
      accessLogs: 'false',
      'cloudflare.accountId': ACCOUNT,
      'cloudflare.zones': `${ZONE}:example.com`,
      'datasets.zone': 'http_requests, firewall_events',
      'datasets.account': '["audit_logs"]',
    };
    const config = loadConfig({ context, cwd: dir });
    expect(config.normalize.memoryMiB).toBe(2048);
    expect(config.accessLogs).toBe(false);
    expect(config.cloudflare.zones).toEqual([{ id: ZONE, name: 'example.com' }]);
    expect(config.datasets).toEqual({ zone: ['http_requests', 'firewall_events'], account: ['audit_logs'] });
  });

  it('lets -c override a setting of the file', () => {
    writeFileSync(join(dir, 'base.json'), JSON.stringify({ normalize: { memoryMiB: 2048, batchSize: 2 } }));
    const config = loadConfig({ context: { config: 'base.json', 'normalize.batchSize': '5' }, cwd: dir });
    expect(config.normalize).toMatchObject({ memoryMiB: 2048, batchSize: 5 });
  });

  it('checks -c values like file values', () => {
    expect(() => loadConfig({ context: { 'normalize.maxConcurrency': '1' }, cwd: dir })).toThrow(
      'cf-logs config: "normalize.maxConcurrency" must be an integer from 2 to 1000, got 1',
    );
  });

  it('rejects a -c key that looks like a setting but is none', () => {
    expect(contextOverrides({ 'normalize.memory': '512', '@aws-cdk/x:y': true }).problems).toEqual([
      'cf-logs config: "-c normalize.memory" is not a setting (did you mean "normalize.memoryMiB"?)',
    ]);
  });
});

describe('the CloudflareLogLake construct', () => {
  it('checks its props before building anything', () => {
    const stack = new Stack(new App(), 'Props');
    expect(
      () =>
        new CloudflareLogLake(stack, 'Lake', { firehose: { bufferSizeMiB: 32 }, quarantinePrefix: 'ecs' }),
    ).toThrow(ConfigError);
    expect(stack.node.tryFindChild('Lake')?.node.children).toEqual([]);
  });

  it('checks its monitoring props like the file', () => {
    const stack = new Stack(new App(), 'Props');
    expect(() => new CloudflareLogLake(stack, 'Lake', { monitoring: { emails: ['ops'] } })).toThrow(
      'CloudflareLogLake props: "monitoring.emails[0]" must be an e-mail address such as "ops@example.com", got "ops"',
    );
  });
});

describe('logpushDestinationConf', () => {
  it('builds the S3 destination with the {DATE} placeholder and SSE-S3', () => {
    expect(
      logpushDestinationConf({
        bucket: 'my-bucket',
        prefix: 'logpush',
        dataset: 'http_requests',
        scopeId: ZONE,
        region: 'eu-west-1',
      }),
    ).toBe(`s3://my-bucket/logpush/http_requests/${ZONE}/{DATE}?region=eu-west-1&sse=AES256`);
  });
});

describe('Logpush job targets', () => {
  it('names outputs after the dataset, the scope and the first 8 characters of the id', () => {
    const targets = logpushJobTargets(parseConfig(EXAMPLE));
    expect(targets.map((target) => target.outputId)).toEqual([
      'DestinationConfHttpRequestsZone89abcdef',
      'DestinationConfHttpRequestsZonefedcba98',
      'DestinationConfFirewallEventsZone89abcdef',
      'DestinationConfFirewallEventsZonefedcba98',
      'DestinationConfAccessRequestsAccount01234567',
      'DestinationConfAuditLogsAccount01234567',
      'DestinationConfGatewayDnsAccount01234567',
    ]);
  });

  it('uses whole zone ids when two zones share their first 8 characters', () => {
    const other = `${ZONE.slice(0, 8)}${'0'.repeat(24)}`;
    const config = parseConfig({
      cloudflare: { zones: [{ id: ZONE }, { id: other }] },
      datasets: { zone: ['dns_logs'] },
    });
    expect(logpushJobTargets(config).map((target) => target.outputId)).toEqual([
      `DestinationConfDnsLogsZone${ZONE}`,
      `DestinationConfDnsLogsZone${other}`,
    ]);
  });
});

describe('logpush settings', () => {
  const zoneConfig = {
    cloudflare: { accountId: ACCOUNT, zones: [{ id: ZONE }] },
    datasets: { zone: ['http_requests'], account: ['audit_logs'] },
  };

  it('reads the logpush section of the example, the filter as an object', () => {
    expect(parseConfig(EXAMPLE).logpush).toEqual({
      timestampFormat: 'unixnano',
      maxUploadIntervalSeconds: 60,
      jobs: {
        http_requests: { excludeFields: ['Cookies', 'RequestHeaders', 'ResponseHeaders'] },
        firewall_events: {
          filter: {
            where: {
              key: 'Action',
              operator: 'in',
              value: ['block', 'challenge', 'jschallenge', 'managedchallenge'],
            },
          },
        },
      },
    });
  });

  it('checks jobs against the configured datasets and prefixes each problem', () => {
    expect(
      problemsOf({
        ...zoneConfig,
        logpush: { timestampFormat: 'iso', jobs: { dns_logs: {}, http_requests: { sampleRate: 2 } } },
      }),
    ).toEqual([
      'cf-logs config: "logpush.timestampFormat" must be one of "unixnano", "unix", "rfc3339", "rfc3339ms", "rfc3339ns", got "iso"',
      'cf-logs config: "logpush.jobs.dns_logs" names "dns_logs", which is not configured: list it under datasets.zone first',
      'cf-logs config: "logpush.jobs.http_requests.sampleRate" must be a number greater than 0 and at most 1 (the fraction of records pushed), got 2',
    ]);
  });

  it('reports an unknown logpush key once, with a suggestion', () => {
    expect(problemsOf({ logpush: { maxUploadRecord: 5000 } })).toEqual([
      'cf-logs config: "logpush.maxUploadRecord" is not a setting (did you mean "logpush.maxUploadRecords"?)',
    ]);
    expect(problemsOf({ logpush: [] })).toEqual(['cf-logs config: "logpush" must be an object, got []']);
  });

  it('takes the logpush settings from -c, jobs as JSON', () => {
    const { overrides, problems } = contextOverrides({
      'logpush.timestampFormat': 'rfc3339ms',
      'logpush.maxUploadBytes': '0',
      'logpush.maxUploadRecords': '5000',
      'logpush.jobs': '{"http_requests":{"sampleRate":0.5,"fields":["ClientIP","RayID"]}}',
    });
    expect(problems).toEqual([]);
    expect(parseConfig(zoneConfig, overrides).logpush).toEqual({
      timestampFormat: 'rfc3339ms',
      maxUploadBytes: 0,
      maxUploadRecords: 5000,
      jobs: { http_requests: { sampleRate: 0.5, fields: ['ClientIP', 'RayID'] } },
    });
  });

  it('lets -c logpush.jobs replace the jobs of the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cf-logs-config-'));
    writeFileSync(
      join(dir, 'jobs.json'),
      JSON.stringify({ ...zoneConfig, logpush: { jobs: { http_requests: { sampleRate: 0.1 } } } }),
    );
    const config = loadConfig({
      context: { config: 'jobs.json', 'logpush.jobs': '{"audit_logs":{"sampleRate":0.2}}' },
      cwd: dir,
    });
    expect(config.logpush.jobs).toEqual({ audit_logs: { sampleRate: 0.2 } });
  });

  it('names -c logpush.jobs when it is not JSON, and checks -c values like file values', () => {
    expect(contextOverrides({ 'logpush.jobs': '{http_requests: {}}' }).problems).toEqual([
      expect.stringMatching(
        /^cf-logs config: "-c logpush\.jobs" must be JSON, got "\{http_requests: \{\}\}" \(.+\)$/,
      ),
    ]);
    expect(() =>
      loadConfig({
        context: { 'logpush.maxUploadIntervalSeconds': '10' },
        cwd: mkdtempSync(join(tmpdir(), 'cf-logs-config-')),
      }),
    ).toThrow(
      'cf-logs config: "logpush.maxUploadIntervalSeconds" must be 0 (no such limit) or an integer from 30 to 300, got 10',
    );
    expect(contextOverrides({ 'logpush.job': '{}' }).problems).toEqual([
      'cf-logs config: "-c logpush.job" is not a setting (did you mean "logpush.jobs"?)',
    ]);
  });
});

describe('poller settings', () => {
  const on = (poller: Record<string, unknown>, rest: Record<string, unknown> = {}) => ({
    cloudflare: { accountId: ACCOUNT },
    ...rest,
    poller: { enabled: true, ...poller },
  });

  it('accepts the poller section of the example and an enabled poller with defaults', () => {
    expect(parseConfig(EXAMPLE).poller).toMatchObject({
      enabled: false,
      sources: ['access_requests', 'audit_logs'],
    });
    expect(parseConfig(on({})).poller).toMatchObject({
      enabled: true,
      scheduleMinutes: 5,
      lagAlarmMinutes: 60,
    });
  });

  it('needs the account id when enabled', () => {
    expect(problemsOf({ poller: { enabled: true } })).toEqual([
      'cf-logs config: "cloudflare.accountId" is required: poller.enabled is true',
    ]);
  });

  it('names each wrong poller setting', () => {
    expect(
      problemsOf(
        on({
          sources: ['access_requests', 'audit_logs', 'audit_logs_v2', 'access_logs', 'access_requests'],
          secretName: 'cf logs',
          secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cf-logs',
          apiBase: 'http://api.cloudflare.com/client/v4',
          scheduleMinutes: 0,
          retryAttempts: 3,
          reservedConcurrency: 'yes',
        }),
      ),
    ).toEqual([
      'cf-logs config: "poller.reservedConcurrency" must be true or false, got "yes"',
      'cf-logs config: "poller.scheduleMinutes" must be an integer from 1 to 60, got 0',
      'cf-logs config: "poller.retryAttempts" must be an integer from 0 to 2, got 3',
      'cf-logs config: "poller.sources[3]" must be one of access_requests, audit_logs, audit_logs_v2, got "access_logs"',
      'cf-logs config: "poller.sources[4]" repeats "access_requests"',
      'cf-logs config: "poller.sources" must list audit_logs (v1) or audit_logs_v2, not both: they return the same audit events',
      'cf-logs config: "poller.secretArn" cannot be set together with poller.secretName: name the secret one way',
      'cf-logs config: "poller.secretName" must be a Secrets Manager secret name (A-Z a-z 0-9 / _ + = . @ -), got "cf logs"',
      'cf-logs config: "poller.secretArn" must be the complete ARN of a Secrets Manager secret (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>), got "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cf-logs"',
      'cf-logs config: "poller.apiBase" must be an https:// URL such as "https://api.cloudflare.com/client/v4", got "http://api.cloudflare.com/client/v4"',
    ]);
  });

  it('refuses a lag alarm that a healthy poller would set off', () => {
    expect(problemsOf(on({ scheduleMinutes: 30, delaySeconds: 600, lagAlarmMinutes: 40 }))).toEqual([
      'cf-logs config: "poller.lagAlarmMinutes" must be more than poller.scheduleMinutes plus poller.delaySeconds (40 minutes), or the alarm fires on a healthy poller, got 40',
    ]);
  });

  it('refuses to poll a dataset that Logpush already sends, only when enabled', () => {
    const raw = { datasets: { account: ['access_requests'] } };
    expect(problemsOf(on({ sources: ['access_requests'] }, raw))).toEqual([
      'cf-logs config: "poller.sources[0]" is "access_requests", which datasets.account also sends with Logpush: every event would reach the lake twice; keep one of the two',
    ]);
    expect(
      parseConfig({ ...on({ sources: ['access_requests'] }, raw), poller: { enabled: false } }).poller
        .enabled,
    ).toBe(false);
  });

  it('rejects an unknown poller key with a suggestion', () => {
    expect(problemsOf(on({ secretname: 'x' }))).toEqual([
      'cf-logs config: "poller.secretname" is not a setting (did you mean "poller.secretName"?)',
    ]);
  });

  it('reads poller settings from -c strings', () => {
    const { overrides, problems } = contextOverrides({
      'poller.enabled': 'true',
      'poller.sources': 'access_requests,audit_logs_v2',
      'poller.scheduleMinutes': '10',
      'poller.reservedConcurrency': 'false',
    });
    expect(problems).toEqual([]);
    expect(parseConfig({ cloudflare: { accountId: ACCOUNT } }, overrides).poller).toMatchObject({
      enabled: true,
      sources: ['access_requests', 'audit_logs_v2'],
      scheduleMinutes: 10,
      reservedConcurrency: false,
    });
  });
});

describe('monitoring settings', () => {
  it('accepts addresses, thresholds and the dashboard switch, and the example section', () => {
    expect(
      parseConfig({
        monitoring: {
          emails: ['ops@example.com', 'security+cf@sub.example.org'],
          dashboard: false,
          quarantinePercent: 100,
          freshnessMinutes: 10,
          queueAgeMinutes: 1440,
        },
      }).monitoring,
    ).toEqual({
      emails: ['ops@example.com', 'security+cf@sub.example.org'],
      dashboard: false,
      quarantinePercent: 100,
      freshnessMinutes: 10,
      queueAgeMinutes: 1440,
    });
    const topicArn = 'arn:aws:sns:eu-west-1:123456789012:security-alarms';
    expect(parseConfig({ monitoring: { topicArn } }).monitoring.topicArn).toBe(topicArn);
    expect(parseConfig(EXAMPLE).monitoring).toMatchObject({
      emails: [],
      dashboard: true,
      queueAgeMinutes: 60,
    });
  });

  it.each([
    ['monitoring.quarantinePercent', 0, 'must be an integer from 1 to 100, got 0'],
    ['monitoring.quarantinePercent', 0.5, 'must be an integer from 1 to 100, got 0.5'],
    [
      'monitoring.freshnessMinutes',
      4,
      'must be 0 (derived: 3 × firehose.bufferIntervalSeconds, at least 15) or an integer from 5 to 1440, got 4',
    ],
    ['monitoring.queueAgeMinutes', 1441, 'must be an integer from 5 to 1440, got 1441'],
    ['monitoring.dashboard', 'no', 'must be true or false, got "no"'],
    ['monitoring.emails', 'ops@example.com', 'must be a list of e-mail addresses, got "ops@example.com"'],
    [
      'monitoring.topicArn',
      'arn:aws:sns:eu-west-1:123456789012:alarms.fifo',
      'must be the ARN of a standard SNS topic (arn:aws:sns:<region>:<account>:<name>), got "arn:aws:sns:eu-west-1:123456789012:alarms.fifo"',
    ],
    ['monitoring.topicArn', 'security-alarms', 'must be the ARN of a standard SNS topic'],
    ['monitoring', [], 'must be an object, got []'],
  ])('names "%s" when it is %j', (path, value, expected) => {
    const problems = problemsOf(withSetting({}, path, value));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`cf-logs config: "${path}" ${expected}`);
  });

  it('names each address that is not one, and repeats', () => {
    expect(
      problemsOf({
        monitoring: {
          emails: ['ops@example.com', 'ops', 'a b@example.com', 'x@localhost', 7, 'ops@example.com'],
        },
      }),
    ).toEqual([
      'cf-logs config: "monitoring.emails[1]" must be an e-mail address such as "ops@example.com", got "ops"',
      'cf-logs config: "monitoring.emails[2]" must be an e-mail address such as "ops@example.com", got "a b@example.com"',
      'cf-logs config: "monitoring.emails[3]" must be an e-mail address such as "ops@example.com", got "x@localhost"',
      'cf-logs config: "monitoring.emails[4]" must be an e-mail address such as "ops@example.com", got 7',
      'cf-logs config: "monitoring.emails[5]" repeats "ops@example.com"',
    ]);
  });

  it('takes e-mail addresses or a topic, not both', () => {
    expect(
      problemsOf({
        monitoring: { emails: ['ops@example.com'], topicArn: 'arn:aws:sns:eu-west-1:123456789012:alarms' },
      }),
    ).toEqual([
      'cf-logs config: "monitoring.topicArn" cannot be set together with monitoring.emails: subscribe the addresses to that topic',
    ]);
  });

  it('refuses thresholds that a healthy stack would cross', () => {
    expect(
      problemsOf({ firehose: { bufferIntervalSeconds: 900 }, monitoring: { freshnessMinutes: 29 } }),
    ).toEqual([
      'cf-logs config: "monitoring.freshnessMinutes" must be 0 or at least 2 × firehose.bufferIntervalSeconds (30 minutes): a healthy stream may hold a record for about 1.5 buffer intervals, got 29',
    ]);
    expect(
      parseConfig({ firehose: { bufferIntervalSeconds: 900 }, monitoring: { freshnessMinutes: 30 } })
        .monitoring.freshnessMinutes,
    ).toBe(30);
    expect(problemsOf({ normalize: { timeoutSeconds: 600 }, monitoring: { queueAgeMinutes: 10 } })).toEqual([
      'cf-logs config: "monitoring.queueAgeMinutes" must be more than normalize.timeoutSeconds (600 s): a message stays in the queue while its object is processed, got 10',
    ]);
    expect(
      parseConfig({ normalize: { timeoutSeconds: 600 }, monitoring: { queueAgeMinutes: 11 } }).monitoring
        .queueAgeMinutes,
    ).toBe(11);
  });

  it('does not compare against a setting that is itself wrong', () => {
    expect(
      problemsOf({ firehose: { bufferIntervalSeconds: 5000 }, monitoring: { freshnessMinutes: 5 } }),
    ).toEqual([
      expect.stringContaining('"firehose.bufferIntervalSeconds" must be an integer from 60 to 900'),
    ]);
  });

  it('rejects an unknown monitoring key with a suggestion', () => {
    expect(problemsOf({ monitoring: { email: ['ops@example.com'] } })).toEqual([
      'cf-logs config: "monitoring.email" is not a setting (did you mean "monitoring.emails"?)',
    ]);
  });

  it('reads monitoring settings from -c strings', () => {
    const { overrides, problems } = contextOverrides({
      'monitoring.emails': 'ops@example.com, oncall@example.org',
      'monitoring.dashboard': 'false',
      'monitoring.quarantinePercent': '5',
    });
    expect(problems).toEqual([]);
    expect(parseConfig({}, overrides).monitoring).toMatchObject({
      emails: ['ops@example.com', 'oncall@example.org'],
      dashboard: false,
      quarantinePercent: 5,
    });
  });
});

/**
 * Every saved query on a local lake built the way the deployed one is: the project's vectors (every dataset
 * fixture line, plus the query vectors of `test/fixtures/lake/`, laid out as Logpush writes them) go through the
 * local pipeline, the lake is converted to Parquet, and the queries run in DuckDB after `toDuckDb`.
 *
 * The query vectors are dated 2026-03-10/11 (the dataset fixtures are not), so a query over those days sees them
 * alone and its rows are exact; the expected values were worked out by hand from the vector lines. Each vector
 * dataset has a `redelivered.ndjson` repeating some of its lines, as a second Firehose or S3 delivery would: the
 * counts below are of distinct events.
 */
import { cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAVED_QUERIES, type SavedQuery } from '../../lambdas/lake/queries.ts';
import { LAKE_DATASETS } from '../../lambdas/lake/schema.ts';
import { namedQueryDescription } from '../../lib/lake-query.ts';
import { countPlaceholders, toDuckDb } from '../../scripts/athena-dialect.ts';
import {
  convertLakeToParquet,
  type LocalLake,
  openLocalLake,
  type QueryValue,
} from '../../scripts/local-lake.ts';
import { runLocalPipeline } from '../../scripts/local-pipeline.ts';
import { fakeClock } from '../support/clock.ts';

const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;
/** Account or zone id and `{DATE}` folder the dataset fixtures are uploaded under (their own files are flat). */
const FIXTURE_SCOPE = '00000000000000000000000000000001';
const FIXTURE_DAY = '20260101';

let work: string;
let lake: LocalLake;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cf-logs-saved-queries-'));
  const input = join(work, 'logpush');
  for (const dataset of await readdir(join(FIXTURES, 'datasets'), { withFileTypes: true })) {
    if (!dataset.isDirectory()) continue;
    const folder = join(input, dataset.name, FIXTURE_SCOPE, FIXTURE_DAY);
    await mkdir(folder, { recursive: true });
    await cp(join(FIXTURES, 'datasets', dataset.name), folder, { recursive: true });
  }
  await cp(join(FIXTURES, 'lake'), input, { recursive: true });
  const run = await runLocalPipeline(input, join(work, 'out'), fakeClock());
  expect(run.failures).toEqual([]);
  expect(run.summaries.every((s) => s.quarantined === 0 && s.outcome === 'processed')).toBe(true);
  await convertLakeToParquet(run.lake);
  lake = await openLocalLake({ lake: run.lake, bucket: run.bucket, translate: toDuckDb });
});

afterAll(async () => {
  lake?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** An Athena literal of a parameter example as the value bound locally. */
function exampleValue(example: string): QueryValue {
  const text = /^'((?:[^']|'')*)'$/.exec(example);
  if (text) return text[1]!.replaceAll("''", "'");
  const number = Number(example);
  if (example.trim() === '' || !Number.isFinite(number))
    throw new Error(`example ${example} is not a literal`);
  return number;
}

/** The values of a query's parameters: the examples, with some replaced by name. */
function valuesOf(query: SavedQuery, values: Readonly<Record<string, QueryValue>> = {}): QueryValue[] {
  for (const name of Object.keys(values)) {
    if (!query.parameters.some((p) => p.name === name))
      throw new Error(`${query.id} has no parameter ${name}`);
  }
  return query.parameters.map((p) => (p.name in values ? values[p.name]! : exampleValue(p.example)));
}

function savedQuery(id: string): SavedQuery {
  const query = SAVED_QUERIES.find((q) => q.id === id);
  if (!query) throw new Error(`no saved query ${id}`);
  return query;
}

/** Runs a saved query; rows as objects keyed by column. */
async function rowsOf(id: string, values?: Readonly<Record<string, QueryValue>>) {
  const query = savedQuery(id);
  const result = await lake.query(query.sql, valuesOf(query, values));
  return result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c, row[i]])));
}

const MARCH = { from_dt: '2026-03-10', to_dt: '2026-03-11' } as const;
const JANUARY = { from_dt: '2026-01-01', to_dt: '2026-01-31' } as const;
const t = (time: string, day = '10') => `2026-03-${day} ${time}`;

describe('saved queries, as Athena takes them', () => {
  it('are at least twelve, with unique kebab-case ids', () => {
    expect(SAVED_QUERIES.length).toBeGreaterThanOrEqual(12);
    const ids = SAVED_QUERIES.map((q) => q.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it.each(SAVED_QUERIES.map((q) => [q.id, q] as const))('%s: name, description, parameters', (_id, query) => {
    expect(query.name.length).toBeGreaterThan(0);
    expect(query.name.length).toBeLessThanOrEqual(128);
    expect(query.description.length).toBeGreaterThan(0);
    // As deployed: the description with its parameters appended (lib/lake-query.ts).
    expect(namedQueryDescription(query).length).toBeLessThanOrEqual(1024);
    expect(countPlaceholders(query.sql)).toBe(query.parameters.length);
    const names = query.parameters.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    for (const p of query.parameters) {
      expect(p.name).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(p.description.length).toBeGreaterThan(0);
      expect(() => exampleValue(p.example)).not.toThrow();
    }
  });

  it.each(SAVED_QUERIES.map((q) => [q.id, q] as const))(
    '%s: reads only the partitions asked for',
    (_id, query) => {
      // The day range is the first two parameters; every dataset named is one the lake has.
      expect(query.sql).toMatch(/\bdt BETWEEN \? AND \?/);
      expect(query.parameters.slice(0, 2).map((p) => p.name)).toEqual(['from_dt', 'to_dt']);
      const datasets = [...query.sql.matchAll(/\bdataset (?:= '([a-z0-9_]+)'|IN \(([^)]*)\))/g)].flatMap(
        (m) => (m[1] !== undefined ? [m[1]] : [...m[2]!.matchAll(/'([a-z0-9_]+)'/g)].map((d) => d[1]!)),
      );
      expect(datasets.length).toBeGreaterThan(0);
      for (const dataset of datasets) expect(LAKE_DATASETS).toContain(dataset);
    },
  );

  it.each(SAVED_QUERIES.map((q) => [q.id, q] as const))(
    '%s: runs with its example parameters',
    async (_id, query) => {
      const result = await lake.query(query.sql, valuesOf(query));
      expect(result.columns.length).toBeGreaterThan(0);
    },
  );
});

describe('the local lake of the vectors', () => {
  it('holds the redelivered lines twice, so the queries must count distinct events', async () => {
    const result = await lake.query(
      `SELECT count(*) AS stored, count(DISTINCT event.id) AS events FROM ecs
WHERE dataset = 'access_requests' AND dt BETWEEN ? AND ?`,
      ['2026-03-10', '2026-03-10'],
    );
    expect(result.rows).toEqual([[16, 14]]);
  });
});

/** Every saved query's rows on the query vectors, worked out by hand from the lines. */
const EXPECTED: Readonly<
  Record<string, { values?: Readonly<Record<string, QueryValue>>; rows: Record<string, unknown>[] }>
> = {
  'access-failed-logins': {
    rows: [
      {
        user_email: 'grace@example.com',
        country: 'RU',
        failed_logins: 3,
        source_ips: 2,
        applications: 'ssh.example.com, wiki.example.com',
        first_failure: t('13:00:00'),
        last_failure: t('13:02:00'),
      },
      {
        user_email: 'frank@example.com',
        country: 'BR',
        failed_logins: 1,
        source_ips: 1,
        applications: 'ssh.example.com',
        first_failure: t('12:00:00'),
        last_failure: t('12:00:00'),
      },
      {
        user_email: 'grace@example.com',
        country: 'NL',
        failed_logins: 1,
        source_ips: 1,
        applications: 'wiki.example.com',
        first_failure: t('14:00:00'),
        last_failure: t('14:00:00'),
      },
    ],
  },
  'access-impossible-travel': {
    rows: [
      {
        user_email: 'dave@example.com',
        first_login: t('09:00:00'),
        first_country: 'NL',
        first_ip: '192.0.2.21',
        next_login: t('09:40:00'),
        next_country: 'US',
        next_ip: '198.51.100.21',
        minutes_apart: 40,
      },
      {
        user_email: 'erin@example.com',
        first_login: t('10:30:00'),
        first_country: 'FR',
        first_ip: '192.0.2.23',
        next_login: t('11:30:00'),
        next_country: 'DE',
        next_ip: '198.51.100.24',
        minutes_apart: 60,
      },
      {
        user_email: 'henry@example.com',
        first_login: t('23:50:00'),
        first_country: 'GB',
        first_ip: '192.0.2.27',
        next_login: t('00:20:00', '11'),
        next_country: 'IN',
        next_ip: '2001:db8:100::27',
        minutes_apart: 30,
      },
    ],
  },
  'waf-blocks-by-rule-and-host': {
    rows: [
      {
        host: 'shop.example.com',
        rule_source: 'firewallManaged',
        rule_id: 'aaaa0000000000000000000000000001',
        rule_description: 'SQLi - UNION based',
        blocked_requests: 4,
        client_ips: 2,
        first_seen: t('08:00:00'),
        last_seen: t('08:03:00'),
      },
      {
        host: 'www.example.com',
        rule_source: 'l7ddos',
        rule_id: 'dddd0000000000000000000000000004',
        rule_description: 'HTTP requests with unusual HTTP headers or URI path (signature #1)',
        blocked_requests: 4,
        client_ips: 3,
        first_seen: t('15:00:10'),
        last_seen: t('16:05:00'),
      },
      {
        host: 'api.example.com',
        rule_source: 'firewallCustom',
        rule_id: 'bbbb0000000000000000000000000002',
        rule_description: 'Block admin from outside the office',
        blocked_requests: 1,
        client_ips: 1,
        first_seen: t('09:00:00'),
        last_seen: t('09:00:00'),
      },
    ],
  },
  'waf-attack-score-not-mitigated': {
    values: { max_attack_score: 20 },
    rows: [
      {
        ts: t('10:00:00'),
        ray_id: '9c00000000000001',
        client_ip: '198.51.100.40',
        country: 'GB',
        method: 'GET',
        host: 'shop.example.com',
        path: '/search',
        status: 200,
        attack_score: 5,
        sqli_score: 4,
        xss_score: 90,
        rce_score: 85,
        security_action: 'none',
      },
      {
        ts: t('10:05:00'),
        ray_id: '9c00000000000002',
        client_ip: '192.0.2.41',
        country: 'US',
        method: 'POST',
        host: 'shop.example.com',
        path: '/comment',
        status: 200,
        attack_score: 12,
        sqli_score: 70,
        xss_score: 11,
        rce_score: 80,
        security_action: 'log',
      },
      {
        ts: t('10:20:00'),
        ray_id: '9c00000000000005',
        client_ip: '2001:db8::45',
        country: 'NL',
        method: 'GET',
        host: 'api.example.com',
        path: '/v1/users',
        status: 404,
        attack_score: 20,
        sqli_score: 20,
        xss_score: 99,
        rce_score: 99,
        security_action: 'none',
      },
    ],
  },
  'top-blocked-client-ips-and-asns': {
    rows: [
      ['64510', 'EXAMPLE-HOSTING', '198.51.100.50', 'CN', 3, 4, t('08:00:00'), t('08:02:00')],
      ['64510', 'EXAMPLE-HOSTING', '198.51.100.51', 'CN', 1, 4, t('08:03:00'), t('08:03:00')],
      ['64520', 'EXAMPLE-CLOUD-A', '198.51.100.101', 'DE', 2, 3, t('15:00:10'), t('16:05:00')],
      ['64520', 'EXAMPLE-CLOUD-A', '198.51.100.102', 'DE', 1, 3, t('15:00:20'), t('15:00:20')],
      ['64511', 'EXAMPLE-ISP', '192.0.2.60', 'US', 1, 1, t('09:00:00'), t('09:00:00')],
      ['64521', 'EXAMPLE-CLOUD-B', '2001:db8:200::3', 'SG', 1, 1, t('15:30:00'), t('15:30:00')],
    ].map(([asn, as_name, client_ip, country, blocked, asnBlocked, first, last]) => ({
      asn: Number(asn),
      as_name,
      client_ip,
      country,
      blocked_requests: blocked,
      asn_blocked_requests: asnBlocked,
      hosts: 1,
      first_seen: first,
      last_seen: last,
    })),
  },
  'audit-changes-by-actor': {
    rows: [
      [
        'ivan@example.com',
        'API',
        null,
        'token_update',
        'token',
        'success',
        2,
        2,
        t('07:30:00'),
        t('07:45:00'),
      ],
      [
        'ivan@example.com',
        'API',
        null,
        'token_create',
        'token',
        'success',
        1,
        1,
        t('07:00:00'),
        t('07:00:00'),
      ],
      [
        'judy@example.com',
        'UI',
        null,
        'api_key_rotate',
        'user',
        'failure',
        1,
        1,
        t('08:20:00'),
        t('08:20:00'),
      ],
      [
        'judy@example.com',
        'UI',
        null,
        'rec_del',
        'DNS_record',
        'success',
        1,
        1,
        t('08:10:00'),
        t('08:10:00'),
      ],
      [
        'kim@example.com',
        'dash',
        null,
        'create',
        'account.api_token',
        'success',
        1,
        1,
        t('09:00:00'),
        t('09:00:00'),
      ],
      [
        'kim@example.com',
        'dash',
        null,
        'delete',
        'account.api_token',
        'failure',
        1,
        1,
        t('09:20:00'),
        t('09:20:00'),
      ],
      [
        'kim@example.com',
        'api_token',
        'terraform-ci',
        'update',
        'dns_record',
        'success',
        1,
        1,
        t('09:10:00'),
        t('09:10:00'),
      ],
    ].map(([actor, via, token_name, action, resource_type, outcome, changes, source_ips, first, last]) => ({
      actor,
      via,
      token_name,
      action,
      resource_type,
      outcome,
      changes,
      source_ips,
      first_seen: first,
      last_seen: last,
    })),
  },
  'audit-api-token-and-key-changes': {
    rows: [
      [
        t('07:00:00'),
        'audit_logs',
        'ivan@example.com',
        '198.51.100.90',
        'API',
        'token_create',
        'token',
        'a001',
        'ci-deploy',
        'success',
      ],
      [
        t('07:30:00'),
        'audit_logs',
        'ivan@example.com',
        '198.51.100.90',
        'API',
        'token_update',
        'token',
        'a001',
        'ci-deploy-v2',
        'success',
      ],
      [
        t('07:45:00'),
        'audit_logs',
        'ivan@example.com',
        '198.51.100.93',
        'API',
        'token_update',
        'token',
        'a002',
        'backup',
        'success',
      ],
      [
        t('08:00:00'),
        'audit_logs',
        'judy@example.com',
        '192.0.2.91',
        'UI',
        'api_key_view',
        'user',
        null,
        null,
        'success',
      ],
      [
        t('08:20:00'),
        'audit_logs',
        'judy@example.com',
        '192.0.2.91',
        'UI',
        'api_key_rotate',
        'user',
        null,
        null,
        'failure',
      ],
      [
        t('09:00:00'),
        'audit_logs_v2',
        'kim@example.com',
        '2001:db8::92',
        'dash',
        'create',
        'account.api_token',
        'b001',
        'terraform-ci',
        'success',
      ],
      [
        t('09:20:00'),
        'audit_logs_v2',
        'kim@example.com',
        '2001:db8::92',
        'dash',
        'delete',
        'account.api_token',
        'b009',
        null,
        'failure',
      ],
      [
        t('09:30:00'),
        'audit_logs_v2',
        'kim@example.com',
        '2001:db8::92',
        'dash',
        'view',
        'account.api_token',
        undefined,
        null,
        'success',
      ],
    ].map(([ts, dataset, actor, actor_ip, via, action, resource_type, id, resource_name, outcome]) => ({
      ts,
      dataset,
      actor,
      actor_ip,
      via,
      action,
      resource_type,
      // Resource ids of the vectors: 28 zeros and the four characters given; judy's API key is her user id.
      resource_id:
        id === undefined ? null : id === null ? '2222222222222222222222222222222b' : `${'0'.repeat(28)}${id}`,
      resource_name,
      outcome,
    })),
  },
  'gateway-dns-blocks-by-category': {
    rows: [
      ['(uncategorized)', 'leo@example.com', 1, 1, 'blocked-list.example.com', t('10:20:00'), t('10:20:00')],
      ['Advertisements', 'leo@example.com', 1, 1, 'ads.example.com', t('10:15:00'), t('10:15:00')],
      [
        'Malware',
        'kate@example.com',
        3,
        2,
        'cdn.example.net, evil.example.net',
        t('10:00:00'),
        t('10:30:00'),
      ],
      ['Malware', 'leo@example.com', 1, 1, 'phish.example.org', t('10:10:00'), t('10:10:00')],
      ['Phishing', 'leo@example.com', 1, 1, 'phish.example.org', t('10:10:00'), t('10:10:00')],
    ].map(([category, user_email, blocked_queries, domains, domain_list, first, last]) => ({
      category,
      user_email,
      blocked_queries,
      domains,
      domain_list,
      first_seen: first,
      last_seen: last,
    })),
  },
  'gateway-http-blocked-downloads': {
    rows: [
      {
        ts: t('14:00:00'),
        user_email: 'mia@example.com',
        device: 'laptop-0401',
        source_ip: '192.0.2.140',
        host: 'files.example.net',
        url: 'https://files.example.net/dl/setup.exe',
        file_name: 'setup.exe',
        reason: 'malware',
        file_type: 'exe',
        sha256: 'a'.repeat(64),
        file_size: 2097152,
        policy: 'Block malware downloads',
      },
      {
        ts: t('14:10:00'),
        user_email: 'mia@example.com',
        device: 'laptop-0401',
        source_ip: '192.0.2.140',
        host: 'docs.example.org',
        url: 'https://docs.example.org/macro.docm',
        file_name: 'macro.docm',
        reason: 'fileType',
        file_type: 'docm',
        sha256: null,
        file_size: 40960,
        policy: 'Block Office macros',
      },
    ],
  },
  'bot-like-request-volume': {
    values: { max_bot_score: 29, min_requests: 3 },
    rows: [
      {
        hour: t('12:00:00'),
        client_ip: '198.51.100.70',
        asn: 64530,
        requests: 4,
        min_bot_score: 1,
        hosts: 2,
        user_agents: 1,
        ja4_fingerprints: 1,
      },
      {
        hour: t('12:00:00'),
        client_ip: '2001:db8:300::9',
        asn: 64531,
        requests: 3,
        min_bot_score: 15,
        hosts: 1,
        user_agents: 3,
        ja4_fingerprints: 2,
      },
    ],
  },
  'l7-ddos-events': {
    rows: [
      [t('15:00:00'), 'block', 3, 3, 2, t('15:00:10'), t('15:30:00')],
      [t('15:00:00'), 'managedChallenge', 1, 1, 1, t('15:45:00'), t('15:45:00')],
      [t('16:00:00'), 'block', 1, 1, 1, t('16:05:00'), t('16:05:00')],
    ].map(([hour, action, requests, client_ips, asns, first, last]) => ({
      hour,
      host: 'www.example.com',
      rule_id: 'dddd0000000000000000000000000004',
      rule_description: 'HTTP requests with unusual HTTP headers or URI path (signature #1)',
      action,
      requests,
      client_ips,
      asns,
      first_seen: first,
      last_seen: last,
    })),
  },
  'network-ddos-attacks': {
    rows: [
      ['drop', 3, 2500, 3, '192.0.2.200, 192.0.2.201', t('16:00:00'), t('16:00:02')],
      ['pass', 1, 100, 1, '192.0.2.200', t('16:00:03'), t('16:00:03')],
    ].map(([outcome, sampled_packets, estimated_packets, source_ips, targets, first, last]) => ({
      attack_id: '00000000-0000-4000-8000-000000000100',
      attack_vector: 'UDP Flood',
      mitigation_system: 'dosd',
      outcome,
      sampled_packets,
      estimated_packets,
      source_ips,
      targets,
      first_seen: first,
      last_seen: last,
    })),
  },
  'leaked-credential-logins': {
    rows: [
      ['198.51.100.80', 'password_leaked', 2, 0, t('11:00:00'), t('11:01:00')],
      ['192.0.2.82', 'username_password_similar', 1, 1, t('11:05:00'), t('11:05:00')],
      ['198.51.100.80', 'username_and_password_leaked', 1, 1, t('11:02:00'), t('11:02:00')],
    ].map(([client_ip, result, requests, answered_below_400, first, last]) => ({
      host: 'www.example.com',
      path: '/login',
      client_ip,
      result,
      requests,
      answered_below_400,
      first_seen: first,
      last_seen: last,
    })),
  },
  'rayid-pivot': {
    values: { ray_id: '9b00000000000001' },
    rows: [
      ['http_requests', null, 'block', null, 'aaaa0000000000000000000000000001', 'SQLi - UNION based', 40, 9],
      [
        'firewall_events',
        0,
        'block',
        'firewallManaged',
        'aaaa0000000000000000000000000001',
        'SQLi - UNION based',
        null,
        null,
      ],
      [
        'firewall_events',
        1,
        'log',
        'firewallCustom',
        'cccc0000000000000000000000000003',
        'Log searches',
        null,
        null,
      ],
    ].map(
      ([dataset, match_index, action, rule_source, rule_id, rule_description, bot_score, attack_score]) => ({
        ts: t('08:00:00'),
        dataset,
        match_index,
        action,
        rule_source,
        rule_id,
        rule_description,
        client_ip: '198.51.100.50',
        method: 'GET',
        host: 'shop.example.com',
        path: '/search',
        status: 403,
        bot_score,
        attack_score,
      }),
    ),
  },
};

describe('saved queries on the query vectors (2026-03-10/11)', () => {
  it('cover every saved query', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(SAVED_QUERIES.map((q) => q.id).sort());
  });

  it.each(Object.entries(EXPECTED))('%s returns the expected rows', async (id, { values, rows }) => {
    expect(await rowsOf(id, { ...MARCH, ...values })).toEqual(rows);
  });

  it('leave out what the day range leaves out: a pair of logins across midnight needs both days', async () => {
    const rows = await rowsOf('access-impossible-travel', { from_dt: '2026-03-10', to_dt: '2026-03-10' });
    expect(rows.map((r) => r.user_email)).toEqual(['dave@example.com', 'erin@example.com']);
  });
});

describe('saved queries on the dataset fixtures (January 2026)', () => {
  // The dataset fixtures grow with the mappers: these check the rows their current lines give, not all rows.
  it('find the refused Access login', async () => {
    expect(await rowsOf('access-failed-logins', JANUARY)).toContainEqual({
      user_email: 'mallory@example.net',
      country: 'DE',
      failed_logins: 1,
      source_ips: 1,
      applications: 'team.cloudflareaccess.com',
      first_failure: '2026-01-01 08:05:00',
      last_failure: '2026-01-01 08:05:00',
    });
  });

  it('find the managed rule block, its client, and the RayID behind it', async () => {
    expect(await rowsOf('waf-blocks-by-rule-and-host', JANUARY)).toContainEqual({
      host: 'shop.example.com',
      rule_source: 'firewallManaged',
      rule_id: 'e3a567afc347477d9702d9047e97d760',
      rule_description: 'Version Control - Information Disclosure',
      blocked_requests: 1,
      client_ips: 1,
      first_seen: '2026-01-01 00:00:00.123456',
      last_seen: '2026-01-01 00:00:00.123456',
    });
    expect(await rowsOf('top-blocked-client-ips-and-asns', JANUARY)).toContainEqual(
      expect.objectContaining({
        asn: 64500,
        as_name: 'EXAMPLE-NET',
        client_ip: '198.51.100.23',
        country: 'GB',
      }),
    );
    const pivot = await rowsOf('rayid-pivot', { ...JANUARY, ray_id: '8f1e2d3c4b5a6980' });
    expect(
      pivot.filter((r) => r.dataset === 'firewall_events').map((r) => [r.match_index, r.action]),
    ).toEqual([
      [0, 'block'],
      [1, 'log'],
    ]);
  });

  it('find the audit changes of both versions, with the API token of the v2 one', async () => {
    const rows = await rowsOf('audit-changes-by-actor', JANUARY);
    expect(rows.map((r) => [r.actor, r.via, r.token_name, r.action, r.resource_type, r.outcome])).toEqual(
      expect.arrayContaining([
        ['carol@example.com', 'API', null, 'rec_add', 'DNS_record', 'success'],
        ['dana@example.com', 'api_token', 'terraform-dns', 'update', 'dns_record', 'success'],
        ['erin@example.com', 'dash', null, 'delete', 'account.member', 'failure'],
      ]),
    );
  });

  it('find the Gateway DNS block, the blocked download and the network attack', async () => {
    expect(await rowsOf('gateway-dns-blocks-by-category', JANUARY)).toContainEqual(
      expect.objectContaining({
        category: 'Command and Control & Botnet',
        user_email: 'bob@example.com',
        domain_list: 'c2.example.net',
      }),
    );
    expect(await rowsOf('gateway-http-blocked-downloads', JANUARY)).toContainEqual(
      expect.objectContaining({
        user_email: 'alice@example.com',
        file_name: 'invoice.exe',
        reason: 'malware',
        sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
        file_size: 48128,
      }),
    );
    expect(await rowsOf('network-ddos-attacks', JANUARY)).toContainEqual(
      expect.objectContaining({
        attack_id: '00000000-0000-4000-8000-000000000020',
        attack_vector: 'SYN Flood',
        outcome: 'drop',
        sampled_packets: 1,
        estimated_packets: 1000,
        targets: '192.0.2.100',
      }),
    );
  });
});

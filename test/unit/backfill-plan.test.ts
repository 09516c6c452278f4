/**
 * What `cf-logs backfill` lists and sends: the date range of the command line, the day folders of a bucket laid
 * out as Logpush writes it (found through an in-memory lister that records what it was asked), the resume point,
 * and the S3 event notification each object becomes, read back by the normalize Lambda's own parser.
 */
import { describe, expect, it } from 'vitest';
import {
  BackfillRangeError,
  compareKeys,
  type DayFolder,
  dayFolders,
  folderBefore,
  type KeyLister,
  type ListedObject,
  parseDay,
  parseDayRange,
  planDayFolder,
} from '../../lambdas/cli/backfill-plan.ts';
import { encodeS3EventKey, s3EventNotification } from '../../lambdas/cli/s3-event-notification.ts';
import { objectsInS3Event } from '../../lambdas/core/s3-event.ts';

const ZONE_A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const ZONE_B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const ACCOUNT = '0123456789abcdef0123456789abcdef';

/** A bucket in memory, listed like ListObjectsV2 (S3 key order, `/` delimiter); every call is recorded. */
function memoryLister(keys: readonly string[], pageSize = 1000) {
  const sorted = [...keys].sort(compareKeys);
  const calls: { kind: 'folders' | 'objects'; prefix: string; startAfter?: string }[] = [];
  const after = (key: string, startAfter?: string) =>
    startAfter === undefined || compareKeys(key, startAfter) > 0;
  const lister: KeyLister = {
    async *folders(prefix, startAfter) {
      calls.push({ kind: 'folders', prefix, ...(startAfter === undefined ? {} : { startAfter }) });
      const seen = new Set<string>();
      for (const key of sorted) {
        if (!key.startsWith(prefix) || !after(key, startAfter)) continue;
        const slash = key.indexOf('/', prefix.length);
        if (slash < 0) continue;
        const folder = key.slice(0, slash + 1);
        if (!seen.has(folder)) {
          seen.add(folder);
          yield folder;
        }
      }
    },
    async *objects(prefix, startAfter) {
      calls.push({ kind: 'objects', prefix, ...(startAfter === undefined ? {} : { startAfter }) });
      const matching: ListedObject[] = sorted
        .filter((key) => key.startsWith(prefix) && after(key, startAfter))
        .map((key) => ({ key, size: key.endsWith('empty.log.gz') ? 0 : key.length, eTag: '"abc"' }));
      for (let i = 0; i < matching.length; i += pageSize) yield matching.slice(i, i + pageSize);
    },
  };
  return { lister, calls };
}

const key = (dataset: string, id: string, day: string, file: string, prefix = 'logpush') =>
  `${prefix}/${dataset}/${id}/${day}/${file}`;

const BUCKET_KEYS = [
  key('http_requests', ZONE_A, '20261119', 'a.log.gz'),
  key('http_requests', ZONE_A, '20261120', 'a.log.gz'),
  key('http_requests', ZONE_A, '20261120', 'b.log.gz'),
  key('http_requests', ZONE_A, '20261120', 'ownership-challenge-0a1b2c3d.txt'),
  key('http_requests', ZONE_A, '20261121', 'a.log.gz'),
  key('http_requests', ZONE_A, '20261122', 'a.log.gz'),
  key('http_requests', ZONE_B, '20261121', 'a.log.gz'),
  key('http_requests', ZONE_B, '20261121', 'empty.log.gz'),
  key('gateway_dns', ACCOUNT, '20261120', 'a.log.gz'),
  key('gateway_dns', ACCOUNT, '20261121', 'test.log.gz'),
  key('not_a_dataset', ACCOUNT, '20261120', 'a.log.gz'),
  `logpush/http_requests/${ZONE_A}/ownership-challenge-ffff.txt`,
  'other/http_requests/x/20261120/a.log.gz',
];

async function collect(iterable: AsyncIterable<DayFolder>): Promise<string[]> {
  const out: string[] = [];
  for await (const folder of iterable) out.push(folder.prefix);
  return out;
}

describe('backfill date range', () => {
  it('reads YYYY-MM-DD as the Logpush {DATE} folder name', () => {
    expect(parseDay('2026-11-20', '--from')).toBe('20261120');
    expect(parseDayRange('2026-11-20', '2026-11-20')).toEqual({ from: '20261120', to: '20261120' });
    expect(parseDayRange('2024-02-29', '2024-03-01')).toEqual({ from: '20240229', to: '20240301' });
  });

  it('refuses malformed and impossible dates, naming the flag', () => {
    for (const bad of [
      '2026-2-1',
      '20261120',
      '2026-11-31',
      '2026-02-29',
      '2026-13-01',
      'yesterday',
      '',
      '2026-11-20T00:00Z',
    ]) {
      expect(() => parseDay(bad, '--to')).toThrow(BackfillRangeError);
    }
    expect(() => parseDay('2026-11-31', '--to')).toThrow(
      '--to 2026-11-31 is not a date: expected YYYY-MM-DD',
    );
  });

  it('refuses a range that ends before it starts, and a missing end', () => {
    expect(() => parseDayRange('2026-11-21', '2026-11-20')).toThrow(
      '--from 2026-11-21 is after --to 2026-11-20',
    );
    expect(() => parseDayRange('2026-11-21', undefined)).toThrow('--from DATE and --to DATE are required');
  });
});

describe('backfill day folders', () => {
  it('visits the day folders of the range in every dataset and zone or account, in key order', async () => {
    const { lister } = memoryLister(BUCKET_KEYS);
    const folders = await collect(
      dayFolders(lister, { prefix: 'logpush', from: '20261120', to: '20261121', datasets: [] }),
    );
    expect(folders).toEqual([
      `logpush/gateway_dns/${ACCOUNT}/20261120/`,
      `logpush/gateway_dns/${ACCOUNT}/20261121/`,
      `logpush/http_requests/${ZONE_A}/20261120/`,
      `logpush/http_requests/${ZONE_A}/20261121/`,
      `logpush/http_requests/${ZONE_B}/20261121/`,
    ]);
    expect([...folders].sort(compareKeys)).toEqual(folders);
  });

  it('lists folders with a delimiter from the first day, and never the whole bucket', async () => {
    const { lister, calls } = memoryLister(BUCKET_KEYS);
    await collect(dayFolders(lister, { prefix: 'logpush', from: '20261120', to: '20261121', datasets: [] }));
    expect(calls).toEqual([
      { kind: 'folders', prefix: 'logpush/' },
      { kind: 'folders', prefix: 'logpush/gateway_dns/' },
      {
        kind: 'folders',
        prefix: `logpush/gateway_dns/${ACCOUNT}/`,
        startAfter: `logpush/gateway_dns/${ACCOUNT}/20261120`,
      },
      { kind: 'folders', prefix: 'logpush/http_requests/' },
      {
        kind: 'folders',
        prefix: `logpush/http_requests/${ZONE_A}/`,
        startAfter: `logpush/http_requests/${ZONE_A}/20261120`,
      },
      {
        kind: 'folders',
        prefix: `logpush/http_requests/${ZONE_B}/`,
        startAfter: `logpush/http_requests/${ZONE_B}/20261120`,
      },
    ]);
  });

  it('keeps to the datasets asked for without listing the others', async () => {
    const { lister, calls } = memoryLister(BUCKET_KEYS);
    const folders = await collect(
      dayFolders(lister, {
        prefix: 'logpush',
        from: '20261101',
        to: '20261130',
        datasets: ['http_requests'],
      }),
    );
    expect(folders).toHaveLength(5);
    expect(folders.every((f) => f.startsWith('logpush/http_requests/'))).toBe(true);
    expect(calls.some((c) => c.prefix === 'logpush/' || c.prefix.includes('gateway_dns'))).toBe(false);
  });

  it('leaves out folders wholly before the resume key, and keeps the one that holds it', async () => {
    const { lister } = memoryLister(BUCKET_KEYS);
    const startAfter = key('http_requests', ZONE_A, '20261120', 'a.log.gz');
    const folders = await collect(
      dayFolders(lister, { prefix: 'logpush', from: '20261120', to: '20261121', datasets: [], startAfter }),
    );
    expect(folders).toEqual([
      `logpush/http_requests/${ZONE_A}/20261120/`,
      `logpush/http_requests/${ZONE_A}/20261121/`,
      `logpush/http_requests/${ZONE_B}/20261121/`,
    ]);
    expect(folderBefore(`logpush/gateway_dns/${ACCOUNT}/20261121/`, startAfter)).toBe(true);
    expect(folderBefore(`logpush/http_requests/${ZONE_A}/20261120/`, startAfter)).toBe(false);
    expect(folderBefore(`logpush/http_requests/${ZONE_A}/20261121/`, startAfter)).toBe(false);
  });

  it('counts the data objects of a folder and passes over challenge, test and empty files', async () => {
    const { lister } = memoryLister(BUCKET_KEYS, 1);
    const [a, b] = await Promise.all([
      planDayFolder(lister, {
        dataset: 'http_requests',
        scopeId: ZONE_A,
        day: '20261120',
        prefix: `logpush/http_requests/${ZONE_A}/20261120/`,
      }),
      planDayFolder(lister, {
        dataset: 'http_requests',
        scopeId: ZONE_B,
        day: '20261121',
        prefix: `logpush/http_requests/${ZONE_B}/20261121/`,
      }),
    ]);
    expect(a).toMatchObject({
      objects: 2,
      firstKey: key('http_requests', ZONE_A, '20261120', 'a.log.gz'),
      lastKey: key('http_requests', ZONE_A, '20261120', 'b.log.gz'),
      skipped: { 'ownership-challenge': 1 },
    });
    expect(a.bytes).toBe(2 * key('http_requests', ZONE_A, '20261120', 'a.log.gz').length);
    expect(b).toMatchObject({ objects: 1, skipped: { 'empty-object': 1 } });
  });

  it('counts only what follows the resume key inside its folder', async () => {
    const { lister, calls } = memoryLister(BUCKET_KEYS);
    const folder = {
      dataset: 'http_requests' as const,
      scopeId: ZONE_A,
      day: '20261120',
      prefix: `logpush/http_requests/${ZONE_A}/20261120/`,
    };
    const startAfter = key('http_requests', ZONE_A, '20261120', 'a.log.gz');
    expect(await planDayFolder(lister, folder, startAfter)).toMatchObject({
      objects: 1,
      firstKey: key('http_requests', ZONE_A, '20261120', 'b.log.gz'),
    });
    expect(calls.at(-1)).toEqual({ kind: 'objects', prefix: folder.prefix, startAfter });
  });
});

describe('backfill S3 event notification', () => {
  const context = { region: 'eu-west-1', time: new Date('2026-11-22T08:00:00Z') };

  it('is shaped as S3 sends ObjectCreated:Put to a queue', () => {
    const body = JSON.parse(
      s3EventNotification(
        {
          bucket: 'cf-logs-logpush',
          key: 'logpush/http_requests/x/20261120/a.log.gz',
          size: 1234,
          eTag: '"0123abcd"',
        },
        context,
      ),
    ) as { Records: Record<string, unknown>[] };
    expect(body.Records).toHaveLength(1);
    expect(body.Records[0]).toEqual({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'eu-west-1',
      eventTime: '2026-11-22T08:00:00.000Z',
      eventName: 'ObjectCreated:Put',
      userIdentity: { principalId: 'cf-logs-backfill' },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'cf-logs-backfill',
        bucket: { name: 'cf-logs-logpush', arn: 'arn:aws:s3:::cf-logs-logpush' },
        object: { key: 'logpush/http_requests/x/20261120/a.log.gz', size: 1234, eTag: '0123abcd' },
      },
    });
  });

  it('names the partition of the region in the bucket ARN, and leaves out an unknown ETag', () => {
    const body = JSON.parse(
      s3EventNotification({ bucket: 'b-cn', key: 'k.log.gz', size: 1 }, { ...context, region: 'cn-north-1' }),
    );
    expect(body.Records[0].s3.bucket.arn).toBe('arn:aws-cn:s3:::b-cn');
    expect(body.Records[0].s3.object).toEqual({ key: 'k.log.gz', size: 1 });
  });

  it('encodes keys as S3 does: spaces as +, + and other reserved characters percent-encoded, slashes kept', () => {
    expect(encodeS3EventKey('logpush/a b/c+d/é ü/日本.log.gz')).toBe(
      'logpush/a+b/c%2Bd/%C3%A9+%C3%BC/%E6%97%A5%E6%9C%AC.log.gz',
    );
    expect(encodeS3EventKey("x/(1)!'~*=&?#%.log.gz")).toBe('x/%281%29%21%27%7E*%3D%26%3F%23%25.log.gz');
  });

  it('reads back, through the normalize Lambda parser, to the same bucket, key and size', () => {
    const keys = [
      'logpush/http_requests/fedcba9876543210fedcba9876543210/20261120/20261120T101500Z_20261120T101600Z_0a1b.log.gz',
      'logpush/http_requests/zone/20261120/with space and  two.log.gz',
      'logpush/http_requests/zone/20261120/plus+sign++.log.gz',
      'logpush/http_requests/zone/20261120/ñandú-日本語-😀.log.gz',
      "logpush/http_requests/zone/20261120/odd (1)!'~*=&?#%25%.log.gz",
      'logpush//double/slash/.log.gz',
    ];
    for (const k of keys) {
      const refs = objectsInS3Event(
        s3EventNotification({ bucket: 'cf-logs-logpush', key: k, size: 42, eTag: '"e"' }, context),
      );
      expect(refs).toEqual([
        { bucket: 'cf-logs-logpush', key: k, size: 42, eTag: 'e', versionId: undefined },
      ]);
    }
  });
});

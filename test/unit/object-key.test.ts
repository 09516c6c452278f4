import { describe, expect, it } from 'vitest';
import { parseLogpushKey, skipReasonForKey } from '../../lambdas/core/object-key.ts';

const ZONE = '0123456789abcdef0123456789abcdef';

describe('parseLogpushKey', () => {
  it('reads dataset, scope id and date from the layout destination_conf writes', () => {
    expect(
      parseLogpushKey(
        `logpush/http_requests/${ZONE}/20261120/20261120T101500Z_20261120T101600Z_1a2b3c4d.log.gz`,
        'logpush',
      ),
    ).toEqual({ dataset: 'http_requests', scopeId: ZONE, date: '2026-11-20' });
  });

  it('finds the dataset under any prefix, and without an id segment', () => {
    expect(parseLogpushKey('cf/logs/gateway_dns/20261120/x.log.gz', 'other')).toEqual({
      dataset: 'gateway_dns',
      scopeId: undefined,
      date: '2026-11-20',
    });
  });

  it('gives nothing it cannot read', () => {
    expect(parseLogpushKey('somewhere/else/file.log.gz')).toEqual({
      dataset: undefined,
      scopeId: undefined,
      date: undefined,
    });
    expect(parseLogpushKey('logpush/http_requests/20261340/x.log.gz').date).toBeUndefined();
  });

  it('does not take the file name for a dataset', () => {
    expect(parseLogpushKey('logpush/access_requests').dataset).toBeUndefined();
  });
});

describe('skipReasonForKey', () => {
  it('skips the ownership challenge file', () => {
    expect(skipReasonForKey('logpush/http_requests/ownership-challenge-1a2b3c4d.txt')).toBe(
      'ownership-challenge',
    );
    expect(skipReasonForKey('logpush/ownership-challenge.txt')).toBe('ownership-challenge');
  });

  it('skips test objects', () => {
    expect(skipReasonForKey('logpush/test.txt.gz')).toBe('test-object');
    expect(skipReasonForKey('logpush/http_requests/test_20261120.log.gz')).toBe('test-object');
  });

  it('skips objects that are not Logpush data files', () => {
    expect(skipReasonForKey('logpush/http_requests/notes.txt')).toBe('not-a-logpush-object');
  });

  it('skips empty objects', () => {
    expect(skipReasonForKey('logpush/http_requests/20261120/a.log.gz', 0)).toBe('empty-object');
  });

  it('processes a Logpush data object, including one whose name merely contains "test"', () => {
    expect(skipReasonForKey('logpush/http_requests/20261120/20261120T1_latest.log.gz', 1234)).toBeUndefined();
  });
});

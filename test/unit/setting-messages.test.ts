import { describe, expect, it } from 'vitest';
import { show } from '../../lambdas/core/setting-messages.ts';

describe('show', () => {
  it('shows values as JSON, cut short when long', () => {
    expect(show(undefined)).toBe('nothing');
    expect(show(1)).toBe('1');
    expect(show('logpush')).toBe('"logpush"');
    expect(show('x'.repeat(100))).toBe(`"${'x'.repeat(76)}...`);
  });

  it('does not show a run of characters that looks like a token or an API key', () => {
    const token = 'Zq7Xw2Kp9Rt4Vn6Bm3Hj8Ld5Fs1Gc0Ty_ab12cd3';
    const globalKey = '0123456789abcdef0123456789abcdef01234';
    expect(show(token)).toBe('"<40 characters not shown: it may be a credential>"');
    expect(show(globalKey)).toBe('"<37 characters not shown: it may be a credential>"');
    expect(show({ apiToken: token })).toBe(
      '{"apiToken":"<40 characters not shown: it may be a credential>"}',
    );
    expect(show(`Bearer ${token}`)).not.toContain(token.slice(0, 8));
  });

  it('still shows ids, names and ARNs', () => {
    const accountId = '0123456789abcdef0123456789abcdef';
    const bucket = 'cf-logs-logpush-bucket-123456789012-us-east-1';
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:cf-logs/cloudflare-AbCdEf';
    expect(show(accountId)).toBe(`"${accountId}"`);
    expect(show(bucket)).toBe(`"${bucket}"`);
    expect(show(arn)).toBe(`"${arn}"`);
  });
});

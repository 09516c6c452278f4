import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lambdas/core/errors.ts';
import { NORMALIZE_ENV, readNormalizeSettings } from '../../lambdas/settings.ts';

const good = {
  [NORMALIZE_ENV.deliveryStream]: 'cf-logs-ecs',
  [NORMALIZE_ENV.lakeBucket]: 'cf-logs-lake-123456789012',
  [NORMALIZE_ENV.quarantinePrefix]: 'quarantine',
  [NORMALIZE_ENV.logpushPrefix]: 'logpush',
};

describe('readNormalizeSettings', () => {
  it('reads the environment the stack sets', () => {
    expect(readNormalizeSettings(good)).toEqual({
      deliveryStream: 'cf-logs-ecs',
      lakeBucket: 'cf-logs-lake-123456789012',
      quarantinePrefix: 'quarantine',
      logpushPrefix: 'logpush',
    });
  });

  it('defaults the prefixes', () => {
    const { [NORMALIZE_ENV.quarantinePrefix]: _q, [NORMALIZE_ENV.logpushPrefix]: _l, ...rest } = good;
    expect(readNormalizeSettings(rest)).toMatchObject({
      quarantinePrefix: 'quarantine',
      logpushPrefix: 'logpush',
    });
  });

  it("reads the queue's maxReceiveCount when it is set, and refuses anything but 1 to 20", () => {
    expect(readNormalizeSettings({ ...good, [NORMALIZE_ENV.maxReceiveCount]: '5' }).maxReceiveCount).toBe(5);
    expect(readNormalizeSettings({ ...good, [NORMALIZE_ENV.maxReceiveCount]: '' })).not.toHaveProperty(
      'maxReceiveCount',
    );
    for (const wrong of ['0', '21', '5.5', '-1', 'five', ' 5']) {
      expect(() => readNormalizeSettings({ ...good, [NORMALIZE_ENV.maxReceiveCount]: wrong }), wrong).toThrow(
        `CF_LOGS_MAX_RECEIVE_COUNT must be a whole number from 1 to 20, got ${JSON.stringify(wrong)}`,
      );
    }
  });

  it('names every missing or wrong variable at once', () => {
    const error = (() => {
      try {
        readNormalizeSettings({
          [NORMALIZE_ENV.lakeBucket]: 'Not_A_Bucket',
          [NORMALIZE_ENV.logpushPrefix]: '/logpush/',
        });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('CF_LOGS_DELIVERY_STREAM is not set');
    expect(message).toContain('CF_LOGS_LAKE_BUCKET must be an S3 bucket name, got "Not_A_Bucket"');
    expect(message).toContain(
      'CF_LOGS_LOGPUSH_PREFIX must be a key prefix without leading or trailing slash',
    );
  });
});

import { describe, expect, it } from 'vitest';
import { classifyAwsError } from '../../lambdas/adapters/aws-errors.ts';

const NAMES = new Set(['ThrottlingException']);
const sdkError = (name: string, status?: number, code?: string) =>
  Object.assign(new Error(`${name} happened`), {
    name,
    ...(code === undefined ? {} : { code }),
    ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }),
  });

describe('classifyAwsError', () => {
  it("retries the service's own retryable names, 5xx, 429 and broken connections", () => {
    expect(classifyAwsError(sdkError('ThrottlingException', 400), NAMES)).toEqual({
      name: 'ThrottlingException',
      message: 'ThrottlingException happened',
      retryable: true,
    });
    expect(classifyAwsError(sdkError('SomethingNew', 503), NAMES).retryable).toBe(true);
    expect(classifyAwsError(sdkError('SlowDown', 429), NAMES).retryable).toBe(true);
    expect(classifyAwsError(sdkError('Error', undefined, 'ECONNRESET'), NAMES).retryable).toBe(true);
  });

  it('does not retry what the same call cannot fix', () => {
    expect(classifyAwsError(sdkError('AccessDeniedException', 400), NAMES).retryable).toBe(false);
    expect(classifyAwsError(sdkError('ResourceNotFoundException', 400), NAMES).retryable).toBe(false);
    expect(classifyAwsError(sdkError('Error', undefined, 'EACCES'), NAMES).retryable).toBe(false);
  });

  it('names what is not an SDK error', () => {
    expect(classifyAwsError('boom', NAMES)).toEqual({ name: 'Error', message: 'boom', retryable: false });
  });
});

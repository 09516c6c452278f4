import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CloudflareApi,
  CloudflareApiError,
  type CloudflareApiOptions,
  CloudflareAuthError,
  CloudflareDeadlineError,
  CloudflareResponseError,
  type CloudflareRetryInfo,
} from '../../../lambdas/poll/cloudflare-api.ts';
import type { CloudflareCredential } from '../../../lambdas/poll/types.ts';
import { fakeClock } from '../../support/clock.ts';
import {
  type CloudflareFault,
  FAKE_CF_ACCOUNT_ID,
  FAKE_CF_API_TOKEN,
  FAKE_CF_GLOBAL_KEY,
  type FakeCloudflare,
  fakeAuditLogV1,
  fakeAuditLogV2,
  fakeCredentials,
  startFakeCloudflare,
} from '../../support/fake-cloudflare.ts';

const PATH = `/accounts/${FAKE_CF_ACCOUNT_ID}/audit_logs`;

let cf: FakeCloudflare;
let clock: ReturnType<typeof fakeClock>;
let retries: CloudflareRetryInfo[];
let sentHeaders: Headers[];

beforeEach(async () => {
  cf = await startFakeCloudflare({
    events: {
      audit_logs: [fakeAuditLogV1(1, '2026-01-01T00:00:00Z'), fakeAuditLogV1(2, '2026-01-01T00:00:01Z')],
    },
  });
  clock = fakeClock();
  retries = [];
  sentHeaders = [];
});
afterEach(async () => {
  await cf.close();
});

function client(options: Partial<CloudflareApiOptions> = {}): CloudflareApi {
  return new CloudflareApi({
    baseUrl: cf.baseUrl,
    credentials: fakeCredentials(),
    sleep: clock.sleep,
    random: () => 0.5,
    onRetry: (info) => retries.push(info),
    fetch: (input, init) => {
      sentHeaders.push(new Headers(init?.headers));
      return fetch(input, init);
    },
    ...options,
  });
}

const script = (...faults: CloudflareFault[]) => cf.script.queue.push(...faults);

/** Everything an error shows: message, stack, causes, own properties. */
function exposed(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    const e = current as Error;
    parts.push(String(e), e.stack ?? '', JSON.stringify(e));
    current = e.cause;
  }
  return parts.join('\n');
}

async function failure(promise: Promise<unknown>): Promise<CloudflareApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CloudflareApiError);
    expect(exposed(error)).not.toContain(FAKE_CF_API_TOKEN);
    return error as CloudflareApiError;
  }
  throw new Error('expected the call to fail');
}

describe('CloudflareApi', () => {
  it('returns result and result_info of a successful envelope, with the query as given', async () => {
    const envelope = await client().get(PATH, { direction: 'asc', per_page: 1, page: 2, cursor: undefined });
    expect(envelope.result).toEqual([fakeAuditLogV1(2, '2026-01-01T00:00:01Z')]);
    expect(envelope.result_info).toMatchObject({ page: 2, per_page: 1, total_count: 2, total_pages: 2 });
    expect(cf.requests).toHaveLength(1);
    expect(cf.requests[0]?.path).toBe(`/client/v4${PATH}`);
    expect(cf.requests[0]?.query).toEqual({ direction: 'asc', per_page: '1', page: '2' });
  });

  it('sends an API token as a Bearer header and nothing else of the credential', async () => {
    await client().get(PATH);
    const headers = sentHeaders[0]!;
    expect(headers.get('authorization')).toBe(`Bearer ${FAKE_CF_API_TOKEN}`);
    expect(headers.get('x-auth-key')).toBeNull();
    expect(headers.get('accept')).toBe('application/json');
    expect(cf.requests[0]).toMatchObject({ auth: 'token', authorized: true });
  });

  it('sends the legacy global key as X-Auth-Email and X-Auth-Key', async () => {
    const credential: CloudflareCredential = { kind: 'key', ...FAKE_CF_GLOBAL_KEY };
    await client({ credentials: fakeCredentials(credential) }).get(PATH);
    const headers = sentHeaders[0]!;
    expect(headers.get('x-auth-email')).toBe(FAKE_CF_GLOBAL_KEY.email);
    expect(headers.get('x-auth-key')).toBe(FAKE_CF_GLOBAL_KEY.apiKey);
    expect(headers.get('authorization')).toBeNull();
    expect(cf.requests[0]).toMatchObject({ auth: 'key', authorized: true });
  });

  it('reads the credential for every call (the provider caches, not the client)', async () => {
    const credentials = fakeCredentials();
    const api = client({ credentials });
    await api.get(PATH);
    await api.get(PATH);
    expect(credentials.calls).toBe(2);
  });

  it('stops at a rejected token with a CloudflareAuthError that does not quote it, without retrying', async () => {
    const wrong = 'wrong-token-that-must-not-leak-0123456789';
    const error = await failure(
      client({ credentials: fakeCredentials({ kind: 'token', apiToken: wrong }) }).get(PATH),
    );
    expect(error).toBeInstanceOf(CloudflareAuthError);
    expect(error.status).toBe(403);
    expect(error.codes).toEqual([10000]);
    expect(error.message).toContain('rejected');
    expect(exposed(error)).not.toContain(wrong);
    expect(cf.requests).toHaveLength(1);
    expect(retries).toEqual([]);
  });

  it('stops at a rejected legacy key (403 code 9103)', async () => {
    const credential: CloudflareCredential = { kind: 'key', email: FAKE_CF_GLOBAL_KEY.email, apiKey: 'nope' };
    const error = await failure(client({ credentials: fakeCredentials(credential) }).get(PATH));
    expect(error).toBeInstanceOf(CloudflareAuthError);
    expect(error.codes).toEqual([9103]);
    expect(exposed(error)).not.toContain('nope');
  });

  it('takes an authentication error code as a rejection whatever the status', async () => {
    script({ kind: 'unsuccessful', status: 400, errors: [{ code: 9106, message: 'Missing X-Auth-Key' }] });
    const error = await failure(client().get(PATH));
    expect(error).toBeInstanceOf(CloudflareAuthError);
    expect(cf.requests).toHaveLength(1);
  });

  it('refuses a token that cannot be a header value without sending it or quoting it', async () => {
    const broken = 'secret-token\nwith-a-newline';
    const error = await failure(
      client({ credentials: fakeCredentials({ kind: 'token', apiToken: broken }) }).get(PATH),
    );
    expect(error).toBeInstanceOf(CloudflareAuthError);
    expect(exposed(error)).not.toContain('secret-token');
    expect(cf.requests).toHaveLength(0);
  });

  it('trims a token read with a trailing newline', async () => {
    await client({ credentials: fakeCredentials({ kind: 'token', apiToken: `${FAKE_CF_API_TOKEN}\n` }) }).get(
      PATH,
    );
    expect(cf.requests[0]?.authorized).toBe(true);
  });

  it('waits what retry-after says on a 429, reports it, then succeeds', async () => {
    script({ kind: 'rate-limit', retryAfter: 7 });
    const envelope = await client().get(PATH);
    expect(envelope.result).toHaveLength(2);
    expect(clock.slept).toEqual([7000]);
    expect(retries).toEqual([{ path: PATH, status: 429, attempt: 1, delayMs: 7000, rateLimited: true }]);
    expect(cf.requests).toHaveLength(2);
  });

  it('prefers retry-after-ms when both are sent', async () => {
    script({ kind: 'rate-limit', retryAfter: 2, retryAfterMs: 1250 });
    await client().get(PATH);
    expect(clock.slept).toEqual([1250]);
  });

  it('caps a long retry-after', async () => {
    script({ kind: 'rate-limit', retryAfter: 300 });
    await client({ maxRetryAfterMs: 60_000 }).get(PATH);
    expect(clock.slept).toEqual([60_000]);
  });

  it('backs off exponentially on a 429 without retry-after', async () => {
    script(
      { kind: 'respond', status: 429, body: { success: false, errors: [], messages: [] } },
      { kind: 'respond', status: 429, body: { success: false, errors: [], messages: [] } },
    );
    await client({ baseBackoffMs: 1000 }).get(PATH);
    expect(clock.slept).toEqual([1000, 2000]);
  });

  it('never sleeps past the time budget: a retry-after longer than the time left throws at once', async () => {
    script({ kind: 'rate-limit', retryAfter: 30 });
    const deadline = clock.now().getTime() + 10_000;
    const error = await failure(client({ remainingMs: () => deadline - clock.now().getTime() }).get(PATH));
    expect(error).toBeInstanceOf(CloudflareDeadlineError);
    expect(error.status).toBe(429);
    expect(error.retryAfterMs).toBe(30_000);
    expect(error.message).toContain('exceeds the time left');
    expect(clock.slept).toEqual([]);
    expect(cf.requests).toHaveLength(1);
  });

  it('sends no request when no time is left', async () => {
    const error = await failure(client({ remainingMs: () => 0 }).get(PATH));
    expect(error).toBeInstanceOf(CloudflareDeadlineError);
    expect(cf.requests).toHaveLength(0);
  });

  it('gives up on 429s after maxRateLimitRetries', async () => {
    for (let i = 0; i < 5; i++) script({ kind: 'rate-limit', retryAfter: 1 });
    const error = await failure(client({ maxRateLimitRetries: 3 }).get(PATH));
    expect(error.constructor).toBe(CloudflareApiError);
    expect(error.status).toBe(429);
    expect(error.attempts).toBe(4);
    expect(cf.requests).toHaveLength(4);
  });

  it('retries 5xx with exponential backoff and full jitter, then succeeds', async () => {
    script(
      { kind: 'server-error' },
      { kind: 'server-error', status: 502, html: true },
      { kind: 'server-error', status: 503 },
    );
    const envelope = await client({ baseBackoffMs: 1000, random: () => 0.5 }).get(PATH);
    expect(envelope.result).toHaveLength(2);
    // Ceilings 1000, 2000, 4000; jitter 0.5 of each.
    expect(clock.slept).toEqual([500, 1000, 2000]);
    expect(retries.map((r) => [r.status, r.attempt, r.rateLimited])).toEqual([
      [500, 1, false],
      [502, 2, false],
      [503, 3, false],
    ]);
  });

  it('draws each wait below its ceiling (full jitter) and keeps the ceiling under maxBackoffMs', async () => {
    const draws = [0, 0.999, 0.25];
    for (let i = 0; i < 3; i++) script({ kind: 'server-error' });
    await client({ baseBackoffMs: 1000, maxBackoffMs: 1500, random: () => draws.shift() ?? 0 }).get(PATH);
    expect(clock.slept).toEqual([0, 1498, 375]);
  });

  it('throws the last 5xx after maxRetries', async () => {
    for (let i = 0; i < 10; i++) script({ kind: 'server-error', status: 500 });
    const error = await failure(client({ maxRetries: 4 }).get(PATH));
    expect(error.constructor).toBe(CloudflareApiError);
    expect(error.status).toBe(500);
    expect(error.attempts).toBe(5);
    expect(error.path).toBe(PATH);
    expect(cf.requests).toHaveLength(5);
    expect(clock.slept).toHaveLength(4);
  });

  it('stops retrying 5xx when the backoff would outlast the budget', async () => {
    for (let i = 0; i < 10; i++) script({ kind: 'server-error' });
    // The budget also caps each request's real timeout: leave the last request two real seconds, so a loaded
    // machine does not turn its 500 into a timeout.
    const deadline = clock.now().getTime() + 5000;
    const error = await failure(
      client({
        baseBackoffMs: 1000,
        random: () => 0.99,
        remainingMs: () => deadline - clock.now().getTime(),
      }).get(PATH),
    );
    expect(error).toBeInstanceOf(CloudflareDeadlineError);
    expect(error.status).toBe(500);
    // 990 ms left 4010, 1980 ms left 2030: the next wait (3960) would outlast it.
    expect(clock.slept).toEqual([990, 1980]);
  });

  it('retries a dropped connection (network error) and reports it without a status', async () => {
    script({ kind: 'reset' });
    await client().get(PATH);
    expect(retries).toEqual([
      { path: PATH, status: undefined, attempt: 1, delayMs: 250, rateLimited: false },
    ]);
  });

  it('retries a request that outlives its timeout', async () => {
    script({ kind: 'slow', delayMs: 5000 });
    // A real timeout: long enough that the retry's answer arrives within it on a loaded machine.
    const envelope = await client({ requestTimeoutMs: 1000 }).get(PATH);
    expect(envelope.result).toHaveLength(2);
    expect(retries).toHaveLength(1);
  });

  it('reports a timeout after the retries as a CloudflareApiError naming it', async () => {
    script({ kind: 'slow', delayMs: 5000 }, { kind: 'slow', delayMs: 5000 });
    const error = await failure(client({ requestTimeoutMs: 50, maxRetries: 1 }).get(PATH));
    expect(error.status).toBeUndefined();
    expect(error.message).toContain('timed out after 50 ms');
  });

  it('does not retry malformed JSON: a CloudflareResponseError', async () => {
    script({ kind: 'malformed-json' });
    const error = await failure(client().get(PATH));
    expect(error).toBeInstanceOf(CloudflareResponseError);
    expect(error.message).toContain('not JSON');
    expect(cf.requests).toHaveLength(1);
  });

  it('does not accept an envelope without result', async () => {
    script({ kind: 'missing-result' });
    const error = await failure(client().get(PATH));
    expect(error).toBeInstanceOf(CloudflareResponseError);
    expect(error.message).toContain('no result');
  });

  it('does not accept a body that is not an envelope', async () => {
    script({ kind: 'respond', status: 200, body: [1, 2] });
    expect(await failure(client().get(PATH))).toBeInstanceOf(CloudflareResponseError);
  });

  it('reports success:false with its codes and messages, not retried', async () => {
    script({ kind: 'unsuccessful', status: 400, errors: [{ code: 1001, message: 'since: invalid date' }] });
    const error = await failure(client().get(PATH, { since: 'yesterday' }));
    expect(error.constructor).toBe(CloudflareApiError);
    expect(error.status).toBe(400);
    expect(error.errors).toEqual([{ code: 1001, message: 'since: invalid date' }]);
    expect(error.message).toContain('1001 since: invalid date');
    expect(error.message).not.toContain('yesterday');
    expect(cf.requests).toHaveLength(1);
  });

  it('reports success:false even with HTTP 200', async () => {
    script({ kind: 'unsuccessful', status: 200 });
    const error = await failure(client().get(PATH));
    expect(error.constructor).toBe(CloudflareApiError);
    expect(error.message).toContain('success is not true');
  });

  it('reports an unknown route as a 404 with code 7003', async () => {
    const error = await failure(client().get(`/accounts/${FAKE_CF_ACCOUNT_ID}/nothing`));
    expect(error.status).toBe(404);
    expect(error.codes).toEqual([7003]);
  });

  it('never shows the token in any error or retry report', async () => {
    const api = client({ maxRetries: 1, maxRateLimitRetries: 1 });
    const errors: unknown[] = [];
    const faults: CloudflareFault[][] = [
      [{ kind: 'server-error' }, { kind: 'server-error' }],
      [{ kind: 'rate-limit' }, { kind: 'rate-limit' }],
      [{ kind: 'reset' }, { kind: 'reset' }],
      [{ kind: 'malformed-json' }],
      [{ kind: 'reject-auth' }],
      [{ kind: 'unsuccessful' }],
    ];
    for (const scenario of faults) {
      script(...scenario);
      errors.push(await failure(api.get(PATH)));
    }
    expect(errors).toHaveLength(faults.length);
    expect(JSON.stringify(retries)).not.toContain(FAKE_CF_API_TOKEN);
  });
});

describe('fake Cloudflare API', () => {
  const v2 = `/accounts/${FAKE_CF_ACCOUNT_ID}/logs/audit`;

  it('answers newest first without direction, as the APIs document', async () => {
    const { result } = await client().get(PATH);
    expect((result as { id: string }[]).map((item) => item.id)).toEqual([
      fakeAuditLogV1(2, '').id,
      fakeAuditLogV1(1, '').id,
    ]);
  });

  it('answers a request without auth headers with 400 code 9106 and records no secret', async () => {
    const response = await fetch(`${cf.baseUrl}${PATH}`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: { code: number }[] }).errors[0]?.code).toBe(9106);
    expect(cf.requests[0]).toMatchObject({ auth: 'none', authorized: false });
    expect(JSON.stringify(cf.requests)).not.toContain(FAKE_CF_API_TOKEN);
  });

  it('requires since and before on v2 and refuses a cursor reused with other bounds', async () => {
    expect((await failure(client().get(v2, { before: '2026-01-02' }))).status).toBe(400);
    cf.add(
      'audit_logs_v2',
      fakeAuditLogV2(1, '2026-01-01T00:00:00Z'),
      fakeAuditLogV2(2, '2026-01-01T00:00:01Z'),
    );
    const first = await client().get(v2, { since: '2026-01-01', before: '2026-01-02', limit: 1 });
    const cursor = (first.result_info?.cursors as { after: string } | undefined)?.after;
    expect(cursor).toBeTruthy();
    const error = await failure(client().get(v2, { since: '2025-12-31', before: '2026-01-02', cursor }));
    expect(error.message).toContain('cursor');
  });

  it('refuses per_page above 1000 on v1', async () => {
    expect((await failure(client().get(PATH, { per_page: 1001 }))).status).toBe(400);
  });

  it('answers 400 to every request past maxRequests, so a runaway client stops', async () => {
    await cf.close();
    cf = await startFakeCloudflare({ maxRequests: 2 });
    const api = client();
    await api.get(PATH);
    await api.get(PATH);
    expect(cf.requestLimitHit).toBe(false);
    expect((await failure(api.get(PATH))).status).toBe(400);
    expect(cf.requestLimitHit).toBe(true);
  });
});

describe('CloudflareApi.request (writes)', () => {
  const JOBS = `/zones/${'f'.repeat(32)}/logpush/jobs`;
  const sent: { method: string; body: string | undefined; contentType: string | null }[] = [];
  const writer = () =>
    client({
      fetch: (input, init) => {
        sent.push({
          method: init?.method ?? 'GET',
          body: typeof init?.body === 'string' ? init.body : undefined,
          contentType: new Headers(init?.headers).get('content-type'),
        });
        return fetch(input, init);
      },
    });
  const created = {
    kind: 'respond',
    status: 200,
    body: { success: true, errors: [], result: { id: 7 } },
  } as const;
  beforeEach(() => {
    sent.length = 0;
  });

  it('sends the method and the body as JSON, and returns the result', async () => {
    script(created);
    const envelope = await writer().request('POST', JOBS, {
      body: { dataset: 'http_requests', enabled: true },
    });
    expect(envelope.result).toEqual({ id: 7 });
    expect(sent).toEqual([
      { method: 'POST', body: '{"dataset":"http_requests","enabled":true}', contentType: 'application/json' },
    ]);
    expect(cf.requests[0]).toMatchObject({ method: 'POST', path: `/client/v4${JOBS}` });
  });

  it('does not repeat a POST after a 5xx: the create may have happened', async () => {
    script({ kind: 'server-error', status: 502 }, created);
    const error = await failure(writer().request('POST', JOBS, { body: {} }));
    expect(error.status).toBe(502);
    expect(error.message).toMatch(
      /^POST \/zones\/f+\/logpush\/jobs: HTTP 502.*; not retried: a POST may have been done/,
    );
    expect(sent).toHaveLength(1);
  });

  it('repeats a POST the caller marks idempotent, and any POST after a 429', async () => {
    script({ kind: 'server-error', status: 503 }, { kind: 'rate-limit', retryAfter: 2 }, created);
    const envelope = await writer().request('POST', JOBS, { body: {}, idempotent: true });
    expect(envelope.result).toEqual({ id: 7 });
    expect(sent.map((s) => s.method)).toEqual(['POST', 'POST', 'POST']);
    script({ kind: 'rate-limit', retryAfter: 1 }, created);
    await writer().request('POST', JOBS, { body: {} });
    expect(retries.at(-1)).toMatchObject({ rateLimited: true, delayMs: 1000 });
  });

  it('repeats PUT and DELETE after a 5xx, and names the method in errors', async () => {
    script({ kind: 'server-error' }, created);
    await writer().request('PUT', `${JOBS}/7`, { body: { enabled: false } });
    expect(sent.map((s) => s.method)).toEqual(['PUT', 'PUT']);
    script({ kind: 'unsuccessful', status: 404, errors: [{ code: 1003, message: 'job not found' }] });
    const error = await failure(writer().request('DELETE', `${JOBS}/8`));
    expect(error.message).toBe(`DELETE ${JOBS}/8: HTTP 404: 1003 job not found`);
    expect(sent.at(-1)).toMatchObject({ method: 'DELETE', body: undefined, contentType: null });
  });
});

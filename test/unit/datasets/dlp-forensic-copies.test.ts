import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import { dlpForensicCopies } from '../../../lambdas/datasets/dlp-forensic-copies.ts';
import { headerValue as header } from '../../../lambdas/datasets/headers.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [uploadRequest, csvResponse] = fixtureLines('dlp_forensic_copies', 'upload-request');

const base: CfRecord = {
  Datetime: '2026-01-01T00:00:00Z',
  ForensicCopyID: '00000000-0000-4000-8000-0000000000c1',
  TriggeredRuleID: '00000000-0000-4000-8000-0000000000c2',
};
const map = (extra: CfRecord) => mapRecord(dlpForensicCopies, { ...base, ...extra });
const UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

describe('dlp_forensic_copies mapper', () => {
  it('maps the copy of a matched upload request to the complete ECS event', () => {
    expect(mapLine(dlpForensicCopies, uploadRequest!)).toEqual({
      '@timestamp': '2026-01-01T11:00:00.5Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'alert',
        category: ['web'],
        type: ['info'],
        dataset: 'dlp_forensic_copies',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'proxy' },
      cloud: { account: { id: '0123456789abcdef0123456789abcdef' } },
      http: { request: { id: '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d' } },
      rule: { id: '00000000-0000-4000-8000-000000000042' },
      user_agent: {
        original: UA,
        name: 'Chrome',
        version: '131.0.0.0',
        os: { name: 'Windows', version: '10', full: 'Windows 10' },
      },
      cloudflare: {
        ForensicCopyID: '00000000-0000-4000-8000-000000000041',
        Headers: {
          'Content-Type': ['multipart/form-data; boundary=x'],
          Host: ['upload.example.net'],
          'User-Agent': [UA],
        },
        Payload:
          'LS14DQpDb250ZW50LURpc3Bvc2l0aW9uOiBmb3JtLWRhdGE7IG5hbWU9ImZpbGUiDQoNCmNhcmQ6IDQxMTEgMTExMSAxMTExIDExMTENCi0teC0tDQo=',
        Phase: 'request',
      },
    });
  });

  it('maps a response copy without a user agent, and no action or outcome', () => {
    const event = mapLine(dlpForensicCopies, csvResponse!);
    expect(event['@timestamp']).toBe('2026-01-01T11:00:00.600000000Z');
    expect(event.user_agent).toBeUndefined();
    expect(event.http).toEqual({ request: { id: '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6e' } });
    expect(getField(event, 'event.action')).toBeUndefined();
    expect(getField(event, 'event.outcome')).toBeUndefined();
  });

  it('takes the User-Agent of a request copy whatever the header case and value shape', () => {
    expect(
      getField(map({ Phase: 'Request', Headers: { 'user-agent': 'curl/8.5.0' } }), 'user_agent.original'),
    ).toBe('curl/8.5.0');
    expect(
      getField(map({ Phase: 'response', Headers: { 'User-Agent': ['curl/8.5.0'] } }), 'user_agent'),
    ).toBe(undefined);
    expect(getField(map({ Phase: 'request', Headers: 'User-Agent: curl' }), 'user_agent')).toBeUndefined();
    expect(header({ Accept: ['a', 'b'] }, 'accept')).toBe('a');
    expect(header({ Accept: [7] }, 'accept')).toBeUndefined();
    expect(header(['User-Agent'], 'user-agent')).toBeUndefined();
  });

  it('keys event.id on ForensicCopyID', () => {
    const a = getField(map({ Phase: 'request' }), 'event.id');
    expect(getField(map({ Phase: 'response' }), 'event.id')).toBe(a);
    expect(getField(map({ ForensicCopyID: 'other' }), 'event.id')).not.toBe(a);
  });

  it('quarantines a GatewayRequestID that is an object', () => {
    expect(() => map({ GatewayRequestID: { id: 1 } })).toThrow(MappingError);
  });

  it('recognises its records by Datetime and a forensic copy field', () => {
    expect(dlpForensicCopies.matches(JSON.parse(uploadRequest!))).toBe(true);
    expect(dlpForensicCopies.matches({ Datetime: 1767225600, ForensicCopyID: 'f' })).toBe(true);
    expect(dlpForensicCopies.matches({ Datetime: 1767225600, Phase: 'request' })).toBe(false);
  });
});

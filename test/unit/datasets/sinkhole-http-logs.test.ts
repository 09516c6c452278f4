import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { sinkholeHttpLogs, withoutCredentials } from '../../../lambdas/datasets/sinkhole-http-logs.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [beacon, plainGet, portBeacon] = fixtureLines('sinkhole_http_logs', 'beacon');

const base: CfRecord = { Timestamp: '2026-01-01T00:00:00Z', SrcAddr: '192.0.2.10', SinkholeID: 's-1' };
const map = (extra: CfRecord) => mapRecord(sinkholeHttpLogs, { ...base, ...extra });

describe('sinkhole_http_logs mapper', () => {
  it('maps a beacon with basic-auth credentials to the complete ECS event', () => {
    expect(mapLine(sinkholeHttpLogs, beacon!)).toEqual({
      '@timestamp': '2026-01-01T03:04:05.678901234Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'alert',
        category: ['intrusion_detection', 'network', 'web'],
        type: ['info'],
        dataset: 'sinkhole_http_logs',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'sinkhole' },
      cloud: { account: { id: '0123456789abcdef0123456789abcdef' } },
      source: { address: '203.0.113.17', ip: '203.0.113.17' },
      destination: {
        address: 'c2.example.net',
        ip: '192.0.2.250',
        domain: 'c2.example.net',
        registered_domain: 'example.net',
        subdomain: 'c2',
        top_level_domain: 'net',
      },
      url: {
        original: '/gate.php?cmd=poll&id=17',
        domain: 'c2.example.net',
        path: '/gate.php',
        query: 'cmd=poll&id=17',
        registered_domain: 'example.net',
        subdomain: 'c2',
        top_level_domain: 'net',
      },
      http: { request: { method: 'POST', body: { content: 'id=host-17&os=win', bytes: 17 } } },
      user_agent: { original: 'curl/8.5.0' },
      user: { name: 'bot17' },
      related: { ip: ['192.0.2.250', '203.0.113.17'], hosts: ['c2.example.net'], user: ['bot17'] },
      cloudflare: {
        Headers:
          'Host: c2.example.net\r\nUser-Agent: curl/8.5.0\r\nAuthorization: Basic [redacted]\r\nContent-Type: application/x-www-form-urlencoded',
        PasswordSent: true,
        R2Path: 'sinkhole/2026/01/01/00000000-0000-4000-8000-000000000051',
        SinkholeID: '00000000-0000-4000-8000-000000000050',
      },
    });
  });

  it('maps a bare GET from an IPv4-mapped client to an IPv6 sinkhole address', () => {
    const event = mapLine(sinkholeHttpLogs, plainGet!);
    expect(event.source).toEqual({ address: '198.51.100.9', ip: '198.51.100.9' });
    expect(getField(event, 'destination.ip')).toBe('2001:db8::250');
    expect(event.url).toMatchObject({ original: '/', path: '/' });
    expect(getField(event, 'url.query')).toBeUndefined();
    expect(getField(event, 'user')).toBeUndefined();
  });

  it('has no outcome and no action: the sinkhole always answers', () => {
    const event = map({ Method: 'GET', URI: '/' });
    expect(getField(event, 'event.outcome')).toBeUndefined();
    expect(getField(event, 'event.action')).toBeUndefined();
  });

  it.each([
    ['/a/b', '/a/b', undefined],
    ['/a?x=1&y=2', '/a', 'x=1&y=2'],
    ['/a?', '/a', undefined],
    ['/a#frag?no', '/a', undefined],
    ['/a?q=1#frag', '/a', 'q=1'],
  ])('splits URI %s into path %s and query %s', (uri, path, query) => {
    const event = map({ URI: uri });
    expect(getField(event, 'url.original')).toBe(uri);
    expect(getField(event, 'url.path')).toBe(path);
    expect(getField(event, 'url.query')).toBe(query);
  });

  it('moves a port written in Host to url.port and destination.port', () => {
    const event = mapLine(sinkholeHttpLogs, portBeacon!);
    expect(event.url).toMatchObject({
      domain: 'c2.example.net',
      port: 8080,
      registered_domain: 'example.net',
    });
    expect(event.destination).toMatchObject({ domain: 'c2.example.net', port: 8080, ip: '192.0.2.251' });
    expect(event.related).toMatchObject({ hosts: ['c2.example.net'] });
  });

  it('takes the destination from DstAddr as well', () => {
    expect(getField(map({ DstAddr: '198.51.100.250' }), 'destination.ip')).toBe('198.51.100.250');
  });

  it('keeps an object body and headers whole', () => {
    const event = map({ Body: { a: 1 }, Headers: { Host: ['x.example.com'] } });
    expect(getField(event, 'http.request.body.content')).toBeUndefined();
    expect(event.cloudflare).toMatchObject({ Body: { a: 1 }, Headers: { Host: ['x.example.com'] } });
  });

  it('quarantines a line whose BodyLength is not an integer', () => {
    expect(() => map({ BodyLength: 'large' })).toThrow(MappingError);
  });

  it('has no natural key: identical lines share an event.id, different lines do not', () => {
    const id = (uri: string) => getField(map({ URI: uri }), 'event.id');
    expect(id('/a')).toBe(id('/a'));
    expect(id('/a')).not.toBe(id('/b'));
  });

  it('matches its fixture records and Timestamp + one sinkhole name, not Timestamp + Method + Host', () => {
    for (const line of [beacon!, plainGet!, portBeacon!])
      expect(sinkholeHttpLogs.matches(JSON.parse(line))).toBe(true);
    expect(sinkholeHttpLogs.matches({ Timestamp: 1767225600, R2Path: 'p' })).toBe(true);
    expect(sinkholeHttpLogs.matches({ Timestamp: 1767225600, Method: 'GET', Host: 'example.com' })).toBe(
      false,
    );
  });
});

describe('sinkhole_http_logs credentials', () => {
  it.each([
    ['text', 0],
    ['object', 2],
  ])(
    'never writes the captured password, nor its Authorization header (%s headers), only that one was sent',
    (_, n) => {
      const line = fixtureLines('sinkhole_http_logs', 'beacon')[n]!;
      const record = JSON.parse(line) as { Username: string; Password: string };
      const basic = Buffer.from(`${record.Username}:${record.Password}`).toString('base64');
      expect(line).toContain(basic);
      const json = JSON.stringify(mapLine(sinkholeHttpLogs, line));
      expect(record.Password.length).toBeGreaterThan(0);
      expect(json).not.toContain(record.Password);
      expect(json).not.toContain(basic);
      expect(json).toContain('"PasswordSent":true');
      expect(json).toContain('Basic [redacted]');
    },
  );

  it.each([
    [
      'Host: a.example.com\nAuthorization: Basic dXNlcjpwdw==',
      'Host: a.example.com\nAuthorization: Basic [redacted]',
    ],
    ['proxy-authorization:Bearer abc.def\r\nX: y', 'proxy-authorization: Bearer [redacted]\r\nX: y'],
    ['Authorization: dXNlcjpwdw==', 'Authorization: [redacted]'],
    ['Authorization: Digest username="u", response="r"', 'Authorization: Digest [redacted]'],
    ['{"Authorization":"Basic dXNlcjpwdw==","Host":"a"}', '{"Authorization":"Basic [redacted]","Host":"a"}'],
    ['{"authorization":["Basic a","Basic b"]}', '{"authorization":["Basic [redacted]","Basic [redacted]"]}'],
    ['Host: a.example.com\nX-Authorization-Hint: none', 'Host: a.example.com\nX-Authorization-Hint: none'],
  ])('redacts the credentials of headers logged as text: %j', (headers, expected) => {
    expect(withoutCredentials(headers)).toBe(expected);
  });

  it('redacts the credentials of headers logged as an object, and leaves other headers alone', () => {
    expect(
      withoutCredentials({
        AUTHORIZATION: 'Basic dXNlcjpwdw==',
        'Proxy-Authorization': ['x'],
        Accept: '*/*',
      }),
    ).toEqual({ AUTHORIZATION: 'Basic [redacted]', 'Proxy-Authorization': ['[redacted]'], Accept: '*/*' });
  });
});

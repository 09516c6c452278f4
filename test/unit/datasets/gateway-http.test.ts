import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import { gatewayActionClass, gatewayHttp } from '../../../lambdas/datasets/gateway-http.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [blockedDownload, allowedIpv6, isolated, redirected] = fixtureLines('gateway_http', 'proxied-requests');

const base: CfRecord = {
  Action: 'allow',
  Datetime: '2026-01-01T00:00:00Z',
  HTTPHost: 'www.example.com',
  RequestID: '1a2b3c4d5e00003d0d86472000000009',
  SourceIP: '192.0.2.10',
  URL: 'https://www.example.com/',
};
const map = (extra: CfRecord) => mapRecord(gatewayHttp, { ...base, ...extra });

describe('gateway_http mapper', () => {
  it('maps a blocked malware download to the complete ECS event', () => {
    const hash = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
    expect(mapLine(gatewayHttp, blockedDownload!)).toEqual({
      '@timestamp': '2026-01-01T10:20:30.123456789Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['network'],
        type: ['denied'],
        action: 'block',
        outcome: 'failure',
        dataset: 'gateway_http',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'proxy' },
      cloud: { account: { id: '0123456789abcdef0123456789abcdef' } },
      device: { id: '00000000-0000-4000-8000-000000000011' },
      host: { hostname: 'laptop-0042', name: 'laptop-0042', ip: ['192.0.2.12'] },
      user: { email: 'alice@example.com', id: '00000000-0000-4000-8000-000000000041' },
      rule: { id: '00000000-0000-4000-8000-000000000021', name: 'Block malware downloads' },
      source: {
        address: '203.0.113.77',
        ip: '203.0.113.77',
        port: 50123,
        geo: { continent_code: 'EU', country_iso_code: 'NL' },
      },
      destination: {
        address: 'downloads.example.net',
        domain: 'downloads.example.net',
        registered_domain: 'example.net',
        subdomain: 'downloads',
        top_level_domain: 'net',
        ip: '198.51.100.20',
        port: 443,
        geo: { continent_code: 'NA', country_iso_code: 'US' },
      },
      url: {
        original: 'https://downloads.example.net/files/invoice.exe?id=42',
        full: 'https://downloads.example.net/files/invoice.exe?id=42',
        scheme: 'https',
        domain: 'downloads.example.net',
        registered_domain: 'example.net',
        subdomain: 'downloads',
        top_level_domain: 'net',
        port: 443,
        path: '/files/invoice.exe',
        query: 'id=42',
      },
      http: {
        version: '2',
        request: {
          id: '1a2b3c4d5e00003d0d86472000000001',
          method: 'GET',
          referrer: 'https://www.example.com/offers',
        },
        response: { status_code: 403 },
      },
      user_agent: {
        original:
          'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
        name: 'Chrome',
        version: '120.0.0.0',
        os: { name: 'Windows', version: '10', full: 'Windows 10' },
      },
      network: { protocol: 'http', name: 'default' },
      file: {
        name: 'invoice.exe',
        size: 48128,
        mime_type: 'application/x-msdownload',
        hash: { sha256: hash },
      },
      related: {
        ip: ['192.0.2.12', '198.51.100.20', '203.0.113.77'],
        hosts: ['downloads.example.net', 'laptop-0042'],
        user: ['alice@example.com'],
        hash: [hash],
      },
      cloudflare: {
        BlockedFileReason: 'malware',
        BlockedFileType: 'exe',
        CategoryIDs: [117],
        CategoryNames: ['Malware'],
        DownloadedFileNames: ['invoice.exe'],
        FileInfo: {
          files: [
            {
              direction: 'download',
              file_name: 'invoice.exe',
              file_size: 48128,
              content_type: 'application/x-msdownload',
              action: 'block',
            },
          ],
        },
        IsIsolated: false,
        Quarantined: false,
        RegistrationID: '00000000-0000-4000-8000-000000000031',
        RequestID: '1a2b3c4d5e00003d0d86472000000001',
        SessionID: '1a2b3c4d5e00003d0d86472000000000',
        UntrustedCertificateAction: 'none',
        VirtualNetworkID: '00000000-0000-4000-8000-000000000051',
      },
    });
  });

  it('maps an allowed request from an IPv6 client (unixnano), the Host header port out of the domain', () => {
    const event = mapLine(gatewayHttp, allowedIpv6!);
    expect(event['@timestamp']).toBe('2026-01-01T10:20:30.123456789Z');
    expect(event.event).toMatchObject({ action: 'allow', type: ['allowed', 'info'], outcome: 'success' });
    expect(event.source).toEqual({ address: '2001:db8:cafe::7', ip: '2001:db8:cafe::7', port: 61001 });
    expect(getField(event, 'destination.domain')).toBe('www.example.com');
    expect(getField(event, 'destination.port')).toBe(8443);
    expect(getField(event, 'url.port')).toBe(8443);
    expect(event.http).toEqual({
      version: '1.1',
      request: { id: '1a2b3c4d5e00003d0d86472000000002', method: 'POST' },
      response: { status_code: 200 },
    });
    // curl is not a browser: the agent stays as it is.
    expect(event.user_agent).toEqual({ original: 'curl/8.5.0' });
    // No blocked file: no file.* at all; BlockedFileSize 0 and the empty FileInfo stay as Cloudflare wrote them.
    expect(event.file).toBeUndefined();
    expect(event.cloudflare).toEqual({
      BlockedFileReason: 'unknown',
      BlockedFileSize: 0,
      FileInfo: { files: [] },
      IsIsolated: false,
      Quarantined: false,
      RequestID: '1a2b3c4d5e00003d0d86472000000002',
      UntrustedCertificateAction: 'none',
    });
  });

  it('maps an isolated request (unix seconds, IPv4-mapped client) as allowed', () => {
    const event = mapLine(gatewayHttp, isolated!);
    expect(event['@timestamp']).toBe('2026-01-01T10:20:30Z');
    expect(event.event).toMatchObject({ action: 'isolate', type: ['allowed', 'info'], outcome: 'success' });
    expect(getField(event, 'source.ip')).toBe('203.0.113.80');
    expect(getField(event, 'http.version')).toBe('3');
    expect(getField(event, 'cloudflare.IsIsolated')).toBe(true);
    expect(event.rule).toEqual({ id: '00000000-0000-4000-8000-000000000022', name: 'Isolate news' });
  });

  it('maps a redirect (rfc3339) as info with a success, keeping the target URI', () => {
    const event = mapLine(gatewayHttp, redirected!);
    expect(event['@timestamp']).toBe('2026-01-01T10:20:30Z');
    expect(event.event).toMatchObject({ action: 'redirect', type: ['info'], outcome: 'success' });
    expect(getField(event, 'cloudflare.RedirectTargetURI')).toBe('https://new.example.com/');
    expect(getField(event, 'url.scheme')).toBe('http');
    expect(getField(event, 'url.port')).toBe(80);
  });

  it.each([
    ['rfc3339ms', '2026-01-01T10:20:30.123Z', '2026-01-01T10:20:30.123Z'],
    ['rfc3339ns', '2026-01-01T10:20:30.123456789Z', '2026-01-01T10:20:30.123456789Z'],
  ])('reads Datetime in %s', (_format, value, iso) => {
    expect(map({ Datetime: value })['@timestamp']).toBe(iso);
  });

  describe('Action', () => {
    it.each([
      ['allow', 'allowed', ['allowed', 'info'], 'success'],
      ['allowedOnNoRuleMatch', 'allowed', ['allowed', 'info'], 'success'],
      ['isolate', 'allowed', ['allowed', 'info'], 'success'],
      ['noisolate', 'allowed', ['allowed', 'info'], 'success'],
      ['off', 'allowed', ['allowed', 'info'], 'success'],
      ['noscan', 'allowed', ['allowed', 'info'], 'success'],
      ['bypass', 'allowed', ['allowed', 'info'], 'success'],
      ['block', 'denied', ['denied'], 'failure'],
      ['Block', 'denied', ['denied'], 'failure'],
      ['deny', 'denied', ['denied'], 'failure'],
      ['blockedByPolicy', 'denied', ['denied'], 'failure'],
      ['redirect', 'redirected', ['info'], 'success'],
      ['override', 'redirected', ['info'], 'success'],
      ['scan', 'other', ['info'], 'unknown'],
      ['quarantine', 'other', ['info'], 'unknown'],
      ['login', 'other', ['info'], 'unknown'],
    ])('%s is class %s: type %j, outcome %s', (action, cls, type, outcome) => {
      const event = map({ Action: action });
      expect(gatewayActionClass(action)).toBe(cls);
      expect(getField(event, 'event.action')).toBe(action);
      expect(getField(event, 'event.type')).toEqual(type);
      expect(getField(event, 'event.outcome')).toBe(outcome);
    });

    it('leaves type info and outcome unknown without an Action', () => {
      const event = map({ Action: '' });
      expect(getField(event, 'event.action')).toBeUndefined();
      expect(event.event).toMatchObject({ type: ['info'], outcome: 'unknown' });
      expect(gatewayActionClass(undefined)).toBe('other');
    });
  });

  describe('http', () => {
    it('keeps status 0 (nothing returned) as cloudflare.HTTPStatusCode, not a status code', () => {
      const event = map({ HTTPStatusCode: 0 });
      expect(getField(event, 'http.response')).toBeUndefined();
      expect(getField(event, 'cloudflare.HTTPStatusCode')).toBe(0);
    });

    it('keeps an HTTPVersion of another shape under cloudflare.*', () => {
      const event = map({ HTTPVersion: 'SPDY' });
      expect(getField(event, 'http.version')).toBeUndefined();
      expect(getField(event, 'cloudflare.HTTPVersion')).toBe('SPDY');
      expect(getField(event, 'network.protocol')).toBe('http');
    });

    it('keeps a URL that cannot be parsed as url.original only', () => {
      expect(map({ URL: 'not a url' }).url).toEqual({ original: 'not a url' });
    });
  });

  describe('file', () => {
    it.each([
      ['md5', 'd41d8cd98f00b204e9800998ecf8427e'],
      ['sha1', 'da39a3ee5e6b4b0d3255bfef95601890afd80709'],
      ['sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ])('puts a BlockedFileHash of %s length in file.hash.%s', (algorithm, hash) => {
      const event = map({ BlockedFileHash: hash, BlockedFileSize: 0 });
      expect(event.file).toEqual({ hash: { [algorithm]: hash }, size: 0 });
      expect(getField(event, 'related.hash')).toEqual([hash]);
      expect(getField(event, 'cloudflare.BlockedFileHash')).toBeUndefined();
    });

    it('maps the downloads blocked by an MD5 and a SHA-1 hash (fixture lines)', () => {
      const [md5, sha1] = fixtureLines('gateway_http', 'blocked-by-hash').map((line) =>
        mapLine(gatewayHttp, line),
      );
      expect(md5!.file).toEqual({
        name: 'setup.msi',
        hash: { md5: '72ccb603cf143792802f48b032ce105e' },
        size: 1048576,
      });
      expect(sha1!.file).toEqual({
        name: 'macro.docm',
        hash: { sha1: '0add9af0cfff6f12f39e791881db48056aceab14' },
        size: 53248,
      });
      expect([md5!.event, sha1!.event]).toMatchObject([{ type: ['denied'] }, { type: ['denied'] }]);
    });

    it('keeps a hash of unknown shape under cloudflare.BlockedFileHash', () => {
      const event = map({ BlockedFileHash: 'abc123', BlockedFileSize: 0 });
      expect(event.file).toBeUndefined();
      expect(event.cloudflare).toMatchObject({ BlockedFileHash: 'abc123', BlockedFileSize: 0 });
    });

    it('takes name, type and size of the one file FileInfo lists', () => {
      const FileInfo = {
        files: [
          { direction: 'upload', file_name: 'report.pdf', file_size: 1024, content_type: 'application/pdf' },
        ],
      };
      expect(map({ FileInfo }).file).toEqual({
        name: 'report.pdf',
        size: 1024,
        mime_type: 'application/pdf',
      });
      expect(getField(map({ FileInfo }), 'cloudflare.FileInfo')).toEqual(FileInfo);
    });

    it('does not lend the blocked file the type and size of another file FileInfo lists', () => {
      const FileInfo = {
        files: [{ file_name: 'notes.zip', file_size: 10, content_type: 'application/zip' }],
      };
      expect(map({ BlockedFileName: 'a.exe', FileInfo }).file).toEqual({ name: 'a.exe' });
      expect(map({ BlockedFileName: 'notes.zip', FileInfo }).file).toEqual({
        name: 'notes.zip',
        size: 10,
        mime_type: 'application/zip',
      });
    });

    it('leaves file.* out when FileInfo lists several files', () => {
      const FileInfo = { files: [{ file_name: 'a.txt' }, { file_name: 'b.txt' }] };
      expect(map({ FileInfo, UploadedFileNames: ['a.txt', 'b.txt'] }).file).toBeUndefined();
    });

    it('quarantines a FileInfo that is not an object', () => {
      expect(() => map({ FileInfo: ['a.txt'] })).toThrow(MappingError);
    });
  });

  it('uses RequestID, Datetime and Action as the natural key of event.id, and hashes lines without RequestID', () => {
    const a = getField(map({ HTTPStatusCode: 200 }), 'event.id');
    expect(getField(map({ HTTPStatusCode: 503 }), 'event.id')).toBe(a);
    expect(getField(map({ RequestID: 'other' }), 'event.id')).not.toBe(a);
    expect(getField(map({ Action: 'block' }), 'event.id')).not.toBe(a);
    // The same instant in another timestamp_format is the same record.
    expect(getField(map({ Datetime: 1767225600 }), 'event.id')).toBe(a);
    const bypassA = getField(map({ RequestID: '', HTTPStatusCode: 200 }), 'event.id');
    expect(getField(map({ RequestID: '', HTTPStatusCode: 503 }), 'event.id')).not.toBe(bypassA);
  });

  it('maps SourceInternalIP to host.ip and VirtualNetworkName to network.name', () => {
    const event = map({ SourceInternalIP: '192.0.2.99', VirtualNetworkName: 'branch' });
    expect(getField(event, 'host.ip')).toEqual(['192.0.2.99']);
    expect(getField(event, 'network.name')).toBe('branch');
  });

  describe('signature', () => {
    it('recognises every fixture line and a minimal record (Datetime + HTTPHost)', () => {
      for (const line of fixtureLines('gateway_http', 'proxied-requests')) {
        expect(gatewayHttp.matches(JSON.parse(line))).toBe(true);
      }
      expect(gatewayHttp.matches({ Datetime: 1767225600, HTTPHost: 'example.com' })).toBe(true);
    });

    it('does not take a gateway_network, gateway_dns or firewall_events line', () => {
      expect(gatewayHttp.matches(JSON.parse(fixtureLines('gateway_network', 'sessions')[0]!))).toBe(false);
      expect(gatewayHttp.matches({ Datetime: 1767225600, QueryName: 'example.com', Action: 'block' })).toBe(
        false,
      );
      expect(gatewayHttp.matches({ Datetime: 1767225600, RayID: 'r', Action: 'block' })).toBe(false);
    });
  });
});

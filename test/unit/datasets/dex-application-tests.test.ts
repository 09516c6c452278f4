import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import { dexApplicationTests, testOutcome } from '../../../lambdas/datasets/dex-application-tests.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [httpTest, traceroute] = fixtureLines('dex_application_tests', 'http-and-traceroute');

const base: CfRecord = {
  Timestamp: '2026-01-01T00:00:00Z',
  TestID: '00000000-0000-4000-8000-0000000000a1',
  DeviceID: '00000000-0000-4000-8000-0000000000a2',
};
const map = (extra: CfRecord) => mapRecord(dexApplicationTests, { ...base, ...extra });

describe('dex_application_tests mapper', () => {
  it('maps a failed HTTP test (503) to the complete ECS event', () => {
    expect(mapLine(dexApplicationTests, httpTest!)).toEqual({
      '@timestamp': '2026-01-01T08:00:00.250Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['network'],
        type: ['info'],
        start: '2026-01-01T08:00:00.250Z',
        // The last HTTP milestone, HTTPResponseEndMs 203, is the test's length.
        duration: 203_000_000,
        outcome: 'failure',
        dataset: 'dex_application_tests',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'agent' },
      cloud: { account: { id: '0123456789abcdef0123456789abcdef' } },
      device: { id: '00000000-0000-4000-8000-000000000021' },
      source: { ip: '192.0.2.44', address: '192.0.2.44' },
      destination: { ip: '198.51.100.80', address: '198.51.100.80' },
      http: { request: { method: 'GET' }, response: { status_code: 503 } },
      network: { protocol: 'http' },
      user: { email: 'carol@example.com', id: '00000000-0000-4000-8000-000000000023' },
      related: { ip: ['192.0.2.44', '198.51.100.80'], user: ['carol@example.com'] },
      cloudflare: {
        HTTPConnectEndMs: 41,
        HTTPConnectStartMs: 12,
        HTTPDNSEndMs: 11,
        HTTPDNSStartMs: 0,
        HTTPRedirectEndMs: 0,
        HTTPRedirectStartMs: 0,
        HTTPRequestStartMs: 78,
        HTTPResponseEndMs: 203,
        HTTPResponseStartMs: 187,
        HTTPTLSEndMs: 77,
        HTTPTLSStartMs: 41,
        TestID: '00000000-0000-4000-8000-000000000022',
        TestName: 'Intranet home page',
      },
    });
  });

  it('maps a traceroute over IPv6: its addresses, its end and duration, its status', () => {
    const event = mapLine(dexApplicationTests, traceroute!);
    expect(event.event).toMatchObject({
      start: '2026-01-01T08:00:00.000000000Z',
      end: '2026-01-01T08:00:03.500000000Z',
      duration: 3_500_000_000,
      outcome: 'success',
    });
    expect(event.source).toEqual({ ip: '2001:db8:44::2', address: '2001:db8:44::2' });
    expect(event.destination).toEqual({ ip: '2001:db8:80::10', address: '2001:db8:80::10' });
    expect(event.network).toBeUndefined();
    expect(event.cloudflare).toEqual({
      TestID: '00000000-0000-4000-8000-000000000024',
      TestName: 'Intranet traceroute',
      TracerouteStatus: 'success',
    });
  });

  it('prefers the HTTP addresses and keeps different traceroute ones under cloudflare.*', () => {
    const event = map({
      HTTPClientIPAddress: '::ffff:192.0.2.7',
      TracerouteSourceIPAddress: '192.0.2.8',
      TracerouteDestinationIPAddress: 'not an ip',
    });
    expect(getField(event, 'source.ip')).toBe('192.0.2.7');
    expect(getField(event, 'destination')).toBeUndefined();
    expect(event.cloudflare).toMatchObject({
      TracerouteSourceIPAddress: '192.0.2.8',
      TracerouteDestinationIPAddress: 'not an ip',
    });
  });

  describe('outcome', () => {
    it.each([
      [{ HTTPStatusCode: 200 }, 'success'],
      [{ HTTPStatusCode: 301 }, 'success'],
      [{ HTTPStatusCode: 404 }, 'failure'],
      [{ HTTPStatusCode: 502 }, 'failure'],
      [{ HTTPStatusCode: '200' }, 'success'],
      [{ HTTPStatusCode: 200, HTTPErrorMessage: 'body too large' }, 'failure'],
      [{ HTTPErrorMessage: 'dial tcp: i/o timeout' }, 'failure'],
      [{ HTTPErrorMessage: '' }, 'unknown'],
      [{ TracerouteStatus: 'success' }, 'success'],
      [{ TracerouteStatus: 'Completed' }, 'success'],
      [{ TracerouteStatus: 'failure' }, 'failure'],
      [{ TracerouteStatus: 'timeout' }, 'failure'],
      [{ TracerouteStatus: 'pending' }, 'unknown'],
      [{ HTTPStatusCode: 200, TracerouteStatus: 'failed' }, 'failure'],
      [{}, 'unknown'],
    ] as const)('%j → %s', (extra, outcome) => {
      expect(getField(map(extra), 'event.outcome')).toBe(outcome);
    });

    it('puts the HTTP error message in error.message', () => {
      const event = map({ HTTPErrorMessage: 'dial tcp: i/o timeout' });
      expect(event.error).toEqual({ message: 'dial tcp: i/o timeout' });
      expect(testOutcome({ HTTPErrorMessage: 'x' })).toBe('failure');
    });
  });

  describe('durations', () => {
    it('treats HTTP*Ms as offsets from the start, not as times', () => {
      const event = map({ HTTPRequestStartMs: 20, HTTPResponseStartMs: 95 });
      expect(event.event).toMatchObject({ start: '2026-01-01T00:00:00Z', duration: 95_000_000 });
      expect(getField(event, 'event.end')).toBeUndefined();
      expect(event.cloudflare).toMatchObject({ HTTPRequestStartMs: 20, HTTPResponseStartMs: 95 });
    });

    it('takes the traceroute end over the HTTP offsets', () => {
      const event = map({ HTTPResponseEndMs: 95, TracerouteTimeEnd: '2026-01-01T00:00:02Z' });
      expect(getField(event, 'event.duration')).toBe(2_000_000_000);
    });

    it('sets no duration without an offset or an end', () => {
      expect(getField(map({}), 'event.duration')).toBeUndefined();
    });
  });

  it('keys event.id on the test, the device and the start time', () => {
    const a = getField(map({ HTTPStatusCode: 200 }), 'event.id');
    expect(getField(map({ HTTPStatusCode: 500 }), 'event.id')).toBe(a);
    expect(getField(map({ Timestamp: '2026-01-01T00:05:00Z' }), 'event.id')).not.toBe(a);
    expect(getField(map({ DeviceID: 'another' }), 'event.id')).not.toBe(a);
    // The same instant in another timestamp_format is the same run.
    expect(getField(map({ Timestamp: 1767225600 }), 'event.id')).toBe(a);
  });

  it('quarantines an HTTPStatusCode that is not an integer', () => {
    expect(() => map({ HTTPStatusCode: 'OK' })).toThrow(MappingError);
  });

  it('recognises its records by Timestamp and a test field', () => {
    expect(dexApplicationTests.matches(JSON.parse(httpTest!))).toBe(true);
    expect(dexApplicationTests.matches(JSON.parse(traceroute!))).toBe(true);
    expect(dexApplicationTests.matches({ Timestamp: 1767225600, TestID: 't' })).toBe(true);
    expect(
      dexApplicationTests.matches({ Timestamp: 1767225600, DeviceID: 'd', UserEmail: 'a@example.com' }),
    ).toBe(false);
  });
});

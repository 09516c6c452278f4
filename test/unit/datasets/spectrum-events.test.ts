import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import { detectDataset } from '../../../lambdas/datasets/index.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import {
  eventCategorization,
  firewallDecision,
  spectrumEvents,
} from '../../../lambdas/datasets/spectrum-events.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [disconnect, filtered] = fixtureLines('spectrum_events', 'ssh-session');

const base: CfRecord = {
  ClientIP: '192.0.2.10',
  Event: 'connect',
  Timestamp: '2026-01-01T00:00:00Z',
};
const map = (extra: CfRecord) => mapRecord(spectrumEvents, { ...base, ...extra });

describe('spectrum_events mapper', () => {
  it('maps the disconnect of a TLS-wrapped SSH connection to the complete ECS event', () => {
    expect(mapLine(spectrumEvents, disconnect!)).toEqual({
      '@timestamp': '2026-01-05T12:05:00.350000000Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['network'],
        type: ['connection', 'end'],
        action: 'disconnect',
        outcome: 'success',
        start: '2026-01-05T12:00:00.100000000Z',
        end: '2026-01-05T12:05:00.350000000Z',
        duration: 300_250_000_000,
        dataset: 'spectrum_events',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'proxy' },
      source: {
        address: '203.0.113.50',
        ip: '203.0.113.50',
        port: 51234,
        bytes: 5120,
        as: { number: 64496 },
        geo: { country_iso_code: 'DE' },
      },
      destination: { address: '198.51.100.10', ip: '198.51.100.10', port: 22, bytes: 204800 },
      network: { transport: 'tcp', bytes: 209920 },
      tls: {
        version_protocol: 'tls',
        version: '1.2',
        cipher: 'ECDHE-RSA-AES128-GCM-SHA256',
        established: true,
        client: { server_name: 'ssh.example.com' },
      },
      related: { ip: ['198.51.100.10', '203.0.113.50'], hosts: ['ssh.example.com'] },
      cloudflare: {
        Application: '0a1b2c3d4e5f60718293a4b5c6d7e8f9',
        ClientMatchedIpFirewall: 'UNKNOWN',
        ClientTcpRtt: 12000000,
        ClientTlsStatus: 'OK',
        ColoCode: 'FRA',
        IpFirewall: true,
        OriginProto: 'tcp',
        OriginTcpRtt: 3000000,
        OriginTlsMode: 'off',
        OriginTlsProtocol: 'none',
        OriginTlsStatus: 'UNKNOWN',
        ProxyProtocol: 'off',
        Status: 0,
      },
    });
  });

  it('maps a connection filtered by country from an IPv6 client, in unixnano with unset (0) times', () => {
    const event = mapLine(spectrumEvents, filtered!);
    expect(event['@timestamp']).toBe('2026-01-05T12:01:40.123456789Z');
    expect(event.event).toMatchObject({ type: ['connection', 'denied'], outcome: 'failure' });
    expect(getField(event, 'event.start')).toBeUndefined();
    expect(getField(event, 'event.duration')).toBeUndefined();
    expect(getField(event, 'source.ip')).toBe('2001:db8::50');
    // No origin was reached: OriginPort 0 is no destination.port (the 0 stays as written), the bytes are 0.
    expect(event.destination).toEqual({ bytes: 0 });
    expect(getField(event, 'cloudflare.OriginPort')).toBe(0);
    // Unknown TLS values stay as Cloudflare wrote them: no tls.* at all.
    expect(event.tls).toBeUndefined();
    expect(event.cloudflare).toMatchObject({
      ClientMatchedIpFirewall: 'BLOCK_COUNTRY',
      ClientTlsCipher: 'UNK',
      ClientTlsProtocol: 'unknown',
      ClientTlsStatus: 'UNKNOWN',
    });
  });

  it.each([
    ['connect', ['connection', 'start'], 'success'],
    ['disconnect', ['connection', 'end'], 'success'],
    ['clientFiltered', ['connection', 'denied'], 'failure'],
    ['tlsError', ['connection', 'error'], 'failure'],
    ['resolveOrigin', ['connection', 'error'], 'failure'],
    ['originError', ['connection', 'error'], 'failure'],
    ['somethingNew', ['connection'], 'unknown'],
  ])('Event %s is event.action with type %j and outcome %s', (name, type, outcome) => {
    const event = map({ Event: name });
    expect(getField(event, 'event.action')).toBe(name);
    expect(getField(event, 'event.type')).toEqual(type);
    expect(getField(event, 'event.outcome')).toBe(outcome);
    expect(eventCategorization(name)).toEqual({ type, outcome });
  });

  it('leaves type connection and outcome unknown without an Event', () => {
    const { Event: _, ...rest } = base;
    expect(mapRecord(spectrumEvents, rest).event).toMatchObject({ type: ['connection'], outcome: 'unknown' });
  });

  it.each([
    ['BLOCK_IP', 'connect', ['connection', 'start', 'denied']],
    ['BLOCK_ASN', 'clientFiltered', ['connection', 'denied']],
    ['ALLOW', 'connect', ['connection', 'start', 'allowed']],
    ['WHITELIST_COUNTRY', 'connect', ['connection', 'start', 'allowed']],
    ['UNKNOWN', 'connect', ['connection', 'start']],
  ])('adds the IP firewall decision %s to the type of %s', (match, name, type) => {
    expect(getField(map({ ClientMatchedIpFirewall: match, Event: name }), 'event.type')).toEqual(type);
  });

  it('names firewall decisions', () => {
    expect(firewallDecision('block_error')).toBe('denied');
    expect(firewallDecision('WHITELIST_ASN')).toBe('allowed');
    expect(firewallDecision('UNKNOWN')).toBeUndefined();
  });

  it.each([
    ['tcp', 'tcp'],
    ['UDP', 'udp'],
    ['unix', undefined],
  ])('maps ClientProto %s to network.transport %s', (proto, transport) => {
    const event = map({ ClientProto: proto });
    expect(getField(event, 'network.transport')).toBe(transport);
    expect(getField(event, 'cloudflare.ClientProto')).toBe(transport ? undefined : proto);
  });

  it.each([
    ['OK', true],
    ['HANDSHAKE_FAILED', false],
    ['INVALID_SNI', false],
    ['UNKNOWN', undefined],
  ])('sets tls.established from ClientTlsStatus %s', (status, established) => {
    const event = map({ ClientTlsStatus: status });
    expect(getField(event, 'tls.established')).toBe(established);
    expect(getField(event, 'cloudflare.ClientTlsStatus')).toBe(status);
  });

  it('maps the client leg TLSv1.3 and keeps none', () => {
    expect(getField(map({ ClientTlsProtocol: 'TLSv1.3' }), 'tls')).toEqual({
      version_protocol: 'tls',
      version: '1.3',
    });
    expect(getField(map({ ClientTlsProtocol: 'none' }), 'cloudflare.ClientTlsProtocol')).toBe('none');
  });

  it('counts network.bytes from one side when the other is absent', () => {
    expect(getField(map({ OriginBytes: 300 }), 'network.bytes')).toBe(300);
    expect(getField(map({}), 'network.bytes')).toBeUndefined();
  });

  it('unwraps an IPv4-mapped IPv6 client address', () => {
    expect(getField(map({ ClientIP: '::ffff:198.51.100.7' }), 'source.ip')).toBe('198.51.100.7');
  });

  it('hashes the line for event.id (there is no unique id)', () => {
    const a = map({});
    expect(getField(map({}), 'event.id')).toBe(getField(a, 'event.id'));
    expect(getField(map({ ClientPort: 1 }), 'event.id')).not.toBe(getField(a, 'event.id'));
  });

  it('maps ports other than 0 to source.port and destination.port, not under cloudflare.*', () => {
    const event = map({ ClientPort: 51000, OriginPort: 22 });
    expect([getField(event, 'source.port'), getField(event, 'destination.port')]).toEqual([51000, 22]);
    expect(event.cloudflare).toBeUndefined();
    expect(getField(map({ ClientPort: 0 }), 'source.port')).toBeUndefined();
    expect(getField(map({ ClientPort: 0 }), 'cloudflare.ClientPort')).toBe(0);
  });

  it('quarantines a port that is not an integer', () => {
    expect(() => map({ ClientPort: 'ssh' })).toThrow(MappingError);
  });

  it('recognises its records, full and minimal, and nothing else claims them', () => {
    const full = JSON.parse(disconnect!) as CfRecord;
    expect(spectrumEvents.matches(full)).toBe(true);
    expect(detectDataset(full)?.dataset).toBe('spectrum_events');
    for (const name of spectrumEvents.spec.signature.any ?? []) {
      const minimal = { Timestamp: 1767225600, [name]: 'x' };
      expect(detectDataset(minimal)?.dataset, name).toBe('spectrum_events');
    }
    expect(spectrumEvents.matches({ Timestamp: 1767225600, ClientIP: '192.0.2.1' })).toBe(false);
  });
});

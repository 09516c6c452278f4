import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import { magicIdsDetections } from '../../../lambdas/datasets/magic-ids-detections.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [blocked, passed, ipLayer] = fixtureLines('magic_ids_detections', 'detections');

const base: CfRecord = {
  Timestamp: '2026-01-01T00:00:00Z',
  SignatureID: 2100001,
  SourceIP: '203.0.113.66',
  DestinationIP: '192.0.2.20',
};
const map = (extra: CfRecord) => mapRecord(magicIdsDetections, { ...base, ...extra });

describe('magic_ids_detections mapper', () => {
  it('maps a blocked detection to the complete ECS event', () => {
    expect(mapLine(magicIdsDetections, blocked!)).toEqual({
      '@timestamp': '2026-01-01T10:15:30.123456789Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'alert',
        category: ['intrusion_detection', 'network'],
        type: ['denied'],
        action: 'block',
        outcome: 'failure',
        dataset: 'magic_ids_detections',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'ids' },
      rule: { id: '2100001', name: 'EXAMPLE Possible SMB remote code execution attempt', version: '3' },
      source: { ip: '203.0.113.66', address: '203.0.113.66', port: 51234 },
      destination: { ip: '192.0.2.20', address: '192.0.2.20', port: 445 },
      network: { iana_number: '6', transport: 'tcp', type: 'ipv4' },
      related: { ip: ['192.0.2.20', '203.0.113.66'] },
      cloudflare: { ColoCity: 'Amsterdam', ColoCode: 'AMS' },
    });
  });

  it('maps a passed detection over IPv6: allowed, success', () => {
    const event = mapLine(magicIdsDetections, passed!);
    expect(event.event).toMatchObject({
      kind: 'alert',
      type: ['allowed'],
      action: 'pass',
      outcome: 'success',
    });
    expect(event.network).toEqual({ iana_number: '17', transport: 'udp', type: 'ipv6' });
    expect(getField(event, 'rule.id')).toBe('2100002');
    expect(getField(event, '@timestamp')).toBe('2026-01-01T10:16:00.5Z');
  });

  it.each([
    ['pass', ['allowed'], 'success'],
    ['BLOCK', ['denied'], 'failure'],
    ['drop', ['denied'], 'failure'],
    ['alert', ['info'], 'unknown'],
    [undefined, ['info'], 'unknown'],
  ])('Action %s gives type %j and outcome %s', (action, type, outcome) => {
    const event = map({ Action: action });
    expect(getField(event, 'event.type')).toEqual(type);
    expect(getField(event, 'event.outcome')).toBe(outcome);
    expect(getField(event, 'event.kind')).toBe('alert');
  });

  it.each([
    [6, { iana_number: '6', transport: 'tcp' }],
    ['17', { iana_number: '17', transport: 'udp' }],
    ['ICMP', { iana_number: '1', transport: 'icmp' }],
    ['ICMPv6', { iana_number: '58', transport: 'ipv6-icmp' }],
    [253, { iana_number: '253' }],
    ['EGP', { transport: 'egp' }],
  ])('reads Protocol %j as %j', (protocol, network) => {
    const event = map({ Protocol: protocol });
    expect(event.network).toEqual({ ...network, type: 'ipv4' });
    expect(getField(event, 'cloudflare.Protocol')).toBeUndefined();
  });

  it('takes Protocol any (a detection at the IP layer) as no transport and its 0 ports as placeholders', () => {
    const event = mapLine(magicIdsDetections, ipLayer!);
    expect(event.network).toEqual({ type: 'ipv4' });
    expect(event.source).toEqual({ ip: '198.51.100.40', address: '198.51.100.40' });
    expect(event.destination).toEqual({ ip: '192.0.2.30', address: '192.0.2.30' });
    expect(event.cloudflare).toEqual({
      ColoCity: 'Amsterdam',
      ColoCode: 'AMS',
      DestinationPort: 0,
      Protocol: 'any',
      SourcePort: 0,
    });
  });

  it('keeps real ports with Protocol any, and 0 ports of a layer-4 protocol', () => {
    expect(map({ Protocol: 'ANY', SourcePort: 1024, DestinationPort: 0 })).toMatchObject({
      source: { port: 1024 },
      cloudflare: { Protocol: 'ANY', DestinationPort: 0 },
    });
    expect(getField(map({ Protocol: 'tcp', SourcePort: 0 }), 'source.port')).toBe(0);
  });

  it('keeps a Protocol it cannot read under cloudflare.*', () => {
    const event = map({ Protocol: 999 });
    expect(event.network).toEqual({ type: 'ipv4' });
    expect(getField(event, 'cloudflare.Protocol')).toBe(999);
  });

  it('unwraps an IPv4-mapped IPv6 source', () => {
    const event = map({ SourceIP: '::ffff:198.51.100.9' });
    expect(getField(event, 'source.ip')).toBe('198.51.100.9');
    expect(getField(event, 'network.type')).toBe('ipv4');
  });

  it('hashes the line for event.id (no natural key)', () => {
    const a = getField(map({ SourcePort: 1 }), 'event.id');
    expect(getField(map({ SourcePort: 1 }), 'event.id')).toBe(a);
    expect(getField(map({ SourcePort: 2 }), 'event.id')).not.toBe(a);
  });

  it('quarantines a port that is no integer', () => {
    expect(() => map({ DestinationPort: 'smb' })).toThrow(MappingError);
  });

  it('recognises its records, full or minimal', () => {
    expect(magicIdsDetections.matches(JSON.parse(blocked!))).toBe(true);
    expect(magicIdsDetections.matches({ Timestamp: 1767225600, SignatureMessage: 'x' })).toBe(true);
    expect(magicIdsDetections.matches({ Timestamp: 1767225600, SourceIP: '192.0.2.1', Action: 'pass' })).toBe(
      false,
    );
  });
});

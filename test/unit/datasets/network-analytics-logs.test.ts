import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import {
  IP_PROTOCOLS,
  networkAnalyticsLogs,
  passDropCategorization,
} from '../../../lambdas/datasets/network-analytics-logs.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [synFlood, passedUdp] = fixtureLines('network_analytics_logs', 'ddos');

const base: CfRecord = {
  Datetime: '2026-01-01T00:00:00Z',
  IPSourceAddress: '203.0.113.200',
  IPDestinationAddress: '192.0.2.100',
};
const map = (extra: CfRecord) => mapRecord(networkAnalyticsLogs, { ...base, ...extra });

describe('network_analytics_logs mapper', () => {
  it('maps a packet dropped as part of a SYN flood to the complete ECS event', () => {
    expect(mapLine(networkAnalyticsLogs, synFlood!)).toEqual({
      '@timestamp': '2026-01-01T11:00:00Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['network', 'intrusion_detection'],
        type: ['denied'],
        action: 'drop',
        outcome: 'failure',
        dataset: 'network_analytics_logs',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'firewall' },
      source: {
        ip: '203.0.113.200',
        address: '203.0.113.200',
        port: 40123,
        as: { number: 64503, organization: { name: 'EXAMPLE-TRANSIT' } },
        geo: { country_iso_code: 'US' },
      },
      destination: {
        ip: '192.0.2.100',
        address: '192.0.2.100',
        port: 443,
        as: { number: 64502, organization: { name: 'EXAMPLE-CUSTOMER' } },
        geo: { country_iso_code: 'NL' },
      },
      network: { bytes: 60, iana_number: '6', transport: 'tcp', type: 'ipv4', direction: 'inbound' },
      rule: {
        id: '00000000-0000-4000-8000-000000000021',
        ruleset: '00000000-0000-4000-8000-000000000022',
      },
      related: { ip: ['192.0.2.100', '203.0.113.200'] },
      cloudflare: {
        AttackID: '00000000-0000-4000-8000-000000000020',
        AttackVector: 'SYN Flood',
        ColoCity: 'Frankfurt',
        ColoCode: 'FRA',
        ColoCountry: 'DE',
        ColoGeoHash: 'u0yj',
        ColoName: 'fra06',
        DestinationGeoHash: 'u173',
        IPDestinationSubnet: '192.0.2.0/24',
        IPProtocol: 6,
        IPSourceSubnet: '203.0.113.0/24',
        IPTtl: 52,
        IPv4Checksum: 12345,
        IPv4DontFragment: 1,
        IPv4Identification: 54321,
        MitigationScope: 'global',
        MitigationSystem: 'dosd',
        ProtocolState: 'new',
        SampleInterval: 1000,
        TCPFlags: 2,
        TCPFlagsString: 'S',
        TCPSequenceNumber: 1234567,
        TCPWindowSize: 64240,
        Verdict: 'drop',
      },
    });
  });

  it('maps a passed IPv6 UDP packet outside any attack: network only, allowed, success, outbound', () => {
    const event = mapLine(networkAnalyticsLogs, passedUdp!);
    expect(event.event).toMatchObject({
      kind: 'event',
      category: ['network'],
      type: ['allowed'],
      action: 'pass',
      outcome: 'success',
    });
    expect(event['@timestamp']).toBe('2026-01-01T11:00:00.000000000Z');
    expect(event.network).toEqual({
      bytes: 120,
      iana_number: '17',
      transport: 'udp',
      type: 'ipv6',
      direction: 'outbound',
    });
    expect(getField(event, 'cloudflare.AttackID')).toBeUndefined();
  });

  it.each([
    ['pass', ['allowed'], 'success'],
    ['drop', ['denied'], 'failure'],
    ['DROP', ['denied'], 'failure'],
    ['rate-limit', ['info'], 'unknown'],
    [undefined, ['info'], 'unknown'],
  ])('Outcome %s gives type %j and outcome %s', (outcome, type, ecsOutcome) => {
    const event = map({ Outcome: outcome, Verdict: 'drop' });
    expect(getField(event, 'event.type')).toEqual(type);
    expect(getField(event, 'event.outcome')).toBe(ecsOutcome);
    expect(passDropCategorization(outcome)).toEqual({ type, outcome: ecsOutcome });
  });

  it('follows Outcome, not Verdict: a rule in log mode that would drop lets the packet pass', () => {
    const event = map({ Outcome: 'pass', Verdict: 'drop' });
    expect(getField(event, 'event.outcome')).toBe('success');
    expect(getField(event, 'cloudflare.Verdict')).toBe('drop');
  });

  it.each([
    [{ AttackID: 'a-1' }, ['network', 'intrusion_detection']],
    [{ AttackVector: 'UDP Flood' }, ['network', 'intrusion_detection']],
    [{ MitigationSystem: 'magic-firewall', RuleID: 'r-1' }, ['network']],
  ])('categorises %j as %j', (extra, category) => {
    expect(getField(map(extra), 'event.category')).toEqual(category);
  });

  it('gives the mitigation reason as event.reason', () => {
    expect(getField(map({ MitigationReason: 'out_of_sequence' }), 'event.reason')).toBe('out_of_sequence');
  });

  it.each([
    ['ingress', 'inbound'],
    ['EGRESS', 'outbound'],
    ['external', 'external'],
  ])('maps Direction %s to network.direction %s', (direction, ecs) => {
    const event = map({ Direction: direction });
    expect(getField(event, 'network.direction')).toBe(ecs);
    expect(getField(event, 'cloudflare.Direction')).toBeUndefined();
  });

  it('keeps a Direction ECS cannot say, even one named like an object property', () => {
    for (const direction of ['sideways', 'constructor']) {
      const event = map({ Direction: direction });
      expect(getField(event, 'network.direction')).toBeUndefined();
      expect(getField(event, 'cloudflare.Direction')).toBe(direction);
    }
  });

  it('names a protocol the table does not know from IPProtocolName and keeps the name only when it disagrees', () => {
    const unknownNumber = map({ IPProtocol: 8, IPProtocolName: 'EGP' });
    expect(unknownNumber.network).toMatchObject({ iana_number: '8', transport: 'egp' });
    expect(getField(unknownNumber, 'cloudflare.IPProtocolName')).toBeUndefined();
    const nameOnly = map({ IPProtocolName: 'ICMP' });
    expect(nameOnly.network).toMatchObject({ iana_number: '1', transport: 'icmp' });
    const disagreeing = map({ IPProtocol: 6, IPProtocolName: 'UDP' });
    expect(disagreeing.network).toMatchObject({ iana_number: '6', transport: 'tcp' });
    expect(getField(disagreeing, 'cloudflare.IPProtocolName')).toBe('UDP');
  });

  it('takes a placeholder IPProtocolName for no protocol and keeps it', () => {
    const event = map({ IPProtocolName: 'unknown' });
    expect(event.network).toEqual({ type: 'ipv4' });
    expect(getField(event, 'cloudflare.IPProtocolName')).toBe('unknown');
  });

  it('gives every IANA keyword of the protocol table once', () => {
    const names = Object.values(IP_PROTOCOLS);
    expect(new Set(names).size).toBe(names.length);
    expect(IP_PROTOCOLS[6]).toBe('tcp');
    expect(IP_PROTOCOLS[58]).toBe('ipv6-icmp');
  });

  it('unwraps an IPv4-mapped IPv6 source', () => {
    const event = map({ IPSourceAddress: '::ffff:203.0.113.201' });
    expect(getField(event, 'source.ip')).toBe('203.0.113.201');
    expect(getField(event, 'network.type')).toBe('ipv4');
  });

  it('hashes the line for event.id: packets of one attack keep distinct ids', () => {
    const a = getField(map({ AttackID: 'a-1', SourcePort: 1 }), 'event.id');
    expect(getField(map({ AttackID: 'a-1', SourcePort: 1 }), 'event.id')).toBe(a);
    expect(getField(map({ AttackID: 'a-1', SourcePort: 2 }), 'event.id')).not.toBe(a);
  });

  it('quarantines an ASN that is no integer', () => {
    expect(() => map({ SourceASN: 'AS64503' })).toThrow(MappingError);
  });

  it('recognises its records, full or minimal, and not a firewall event or a gateway line', () => {
    expect(networkAnalyticsLogs.matches(JSON.parse(synFlood!))).toBe(true);
    expect(networkAnalyticsLogs.matches({ Datetime: 1767225600, IPSourceAddress: '192.0.2.1' })).toBe(true);
    expect(networkAnalyticsLogs.matches({ Datetime: 1767225600, RuleID: 'r', ClientIP: '192.0.2.1' })).toBe(
      false,
    );
    expect(
      networkAnalyticsLogs.matches({ Datetime: 1767225600, Action: 'block', SourceIP: '192.0.2.1' }),
    ).toBe(false);
  });
});

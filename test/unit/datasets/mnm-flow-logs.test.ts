import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { mnmFlowLogs } from '../../../lambdas/datasets/mnm-flow-logs.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [tcpFlow, icmpv6Flow] = fixtureLines('mnm_flow_logs', 'flows');

const base: CfRecord = {
  Timestamp: '2026-01-01T00:00:00Z',
  PacketID: 'p-1',
  SourceAddress: '198.51.100.30',
  DestinationAddress: '192.0.2.80',
};
const map = (extra: CfRecord) => mapRecord(mnmFlowLogs, { ...base, ...extra });

describe('mnm_flow_logs mapper', () => {
  it('maps a TCP flow record to the complete ECS event', () => {
    expect(mapLine(mnmFlowLogs, tcpFlow!)).toEqual({
      '@timestamp': '2026-01-01T10:00:00.500Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['network'],
        type: ['connection'],
        dataset: 'mnm_flow_logs',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'sensor' },
      source: { ip: '198.51.100.30', address: '198.51.100.30', port: 52000 },
      destination: { ip: '192.0.2.80', address: '192.0.2.80', port: 443 },
      network: { bytes: 1_500_000, packets: 1000, iana_number: '6', transport: 'tcp', type: 'ipv4' },
      related: { ip: ['192.0.2.80', '198.51.100.30'] },
      cloudflare: {
        Ethertype: 2048,
        FlowTimestamp: '2026-01-01T09:59:58Z',
        PacketID: '123456789',
        SamplingRate: 1000,
        TCPFlags: 24,
      },
    });
  });

  it('maps an IPv6 ICMP flow in unix nanoseconds, zero counters and ports kept', () => {
    const event = mapLine(mnmFlowLogs, icmpv6Flow!);
    expect(event['@timestamp']).toBe('2026-01-01T10:00:00.000000000Z');
    expect(event.network).toEqual({
      bytes: 0,
      packets: 0,
      iana_number: '58',
      transport: 'ipv6-icmp',
      type: 'ipv6',
    });
    expect(getField(event, 'source.port')).toBe(0);
    expect(getField(event, 'cloudflare.FlowTimestamp')).toBe('2026-01-01T09:59:59.000000000Z');
    expect(getField(event, 'event.outcome')).toBeUndefined();
  });

  it('reads a protocol name as well as a number', () => {
    expect(map({ Protocol: 'UDP' }).network).toEqual({ iana_number: '17', transport: 'udp', type: 'ipv4' });
  });

  it('unwraps an IPv4-mapped IPv6 source address', () => {
    const event = map({ SourceAddress: '::ffff:198.51.100.31' });
    expect(getField(event, 'source.ip')).toBe('198.51.100.31');
    expect(getField(event, 'network.type')).toBe('ipv4');
  });

  it('uses PacketID and Timestamp as the natural key of event.id', () => {
    const id = (extra: CfRecord) => getField(map(extra), 'event.id');
    const a = id({ Bytes: 1 });
    expect(id({ Bytes: 2 })).toBe(a);
    expect(id({ PacketID: 'p-2' })).not.toBe(a);
    expect(id({ Timestamp: '2026-01-01T00:00:01Z' })).not.toBe(a);
    // The same instant written in another timestamp_format is the same record.
    expect(id({ Timestamp: 1767225600 })).toBe(a);
  });

  it('quarantines a byte counter that is no integer', () => {
    expect(() => map({ Bytes: 'many' })).toThrow(MappingError);
  });

  it('recognises its records, full or minimal', () => {
    expect(mnmFlowLogs.matches(JSON.parse(tcpFlow!))).toBe(true);
    expect(mnmFlowLogs.matches({ Timestamp: 1767225600, PacketID: 'p' })).toBe(true);
    expect(mnmFlowLogs.matches({ Timestamp: 1767225600, SourceIP: '192.0.2.1' })).toBe(false);
  });
});

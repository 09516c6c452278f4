import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import { ipsecLogs } from '../../../lambdas/datasets/ipsec-logs.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [established, authFailed] = fixtureLines('ipsec_logs', 'tunnel');

const base: CfRecord = {
  Timestamp: '2026-01-01T00:00:00Z',
  RemoteIP: '198.51.100.7',
  LocalIP: '203.0.113.10',
};
const map = (extra: CfRecord) => mapRecord(ipsecLogs, { ...base, ...extra });

describe('ipsec_logs mapper', () => {
  it('maps an IKE SA established message to the complete ECS event', () => {
    expect(mapLine(ipsecLogs, established!)).toEqual({
      '@timestamp': '2026-01-01T10:00:00.123456789Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['network'],
        type: ['info'],
        dataset: 'ipsec_logs',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'vpn' },
      log: { level: 'info' },
      message:
        'IKE_SA cf-branch-01[12] established between 203.0.113.10[cloudflare]...198.51.100.7[branch-01.example.com]',
      source: { ip: '198.51.100.7', address: '198.51.100.7' },
      destination: { ip: '203.0.113.10', address: '203.0.113.10' },
      network: { type: 'ipv4' },
      related: { ip: ['198.51.100.7', '203.0.113.10'] },
      cloudflare: { TunnelID: '00000000-0000-4000-8000-000000000001' },
    });
  });

  it('types an error message as error and unwraps an IPv4-mapped remote peer', () => {
    const event = mapLine(ipsecLogs, authFailed!);
    expect(event.event).toMatchObject({ type: ['error'] });
    expect(getField(event, 'log.level')).toBe('ERROR');
    expect(getField(event, 'source.ip')).toBe('192.0.2.77');
    expect(getField(event, 'event.outcome')).toBeUndefined();
  });

  it.each([
    ['debug', ['info']],
    ['warning', ['info']],
    ['err', ['error']],
    ['Critical', ['error']],
    ['fatal', ['error']],
  ])('level %s gives type %j', (level, type) => {
    expect(getField(map({ Level: level }), 'event.type')).toEqual(type);
  });

  it('takes an IPv6 tunnel as ipv6', () => {
    const event = map({ RemoteIP: '2001:db8:1::7', LocalIP: '2001:db8:cf::10' });
    expect(getField(event, 'network.type')).toBe('ipv6');
    expect(getField(event, 'destination.ip')).toBe('2001:db8:cf::10');
  });

  it('keeps an address that is no IP under cloudflare.* and takes network.type from the other end', () => {
    const event = map({ RemoteIP: 'branch-01' });
    expect(getField(event, 'source')).toBeUndefined();
    expect(getField(event, 'cloudflare.RemoteIP')).toBe('branch-01');
    expect(getField(event, 'network.type')).toBe('ipv4');
  });

  it('hashes the line for event.id (no natural key)', () => {
    const a = getField(map({ Message: 'one' }), 'event.id');
    expect(getField(map({ Message: 'one' }), 'event.id')).toBe(a);
    expect(getField(map({ Message: 'two' }), 'event.id')).not.toBe(a);
  });

  it('quarantines a message that is an object', () => {
    expect(() => map({ Message: { text: 'x' } })).toThrow(MappingError);
  });

  it('recognises its records, full or minimal, and not another Timestamp dataset', () => {
    expect(ipsecLogs.matches(JSON.parse(established!))).toBe(true);
    expect(ipsecLogs.matches({ Timestamp: 1767225600, RemoteIP: '192.0.2.1' })).toBe(true);
    expect(ipsecLogs.matches({ Timestamp: 1767225600, Level: 'info', Message: 'x' })).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { sshLogs } from '../../../lambdas/datasets/ssh-logs.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [shell, refused] = fixtureLines('ssh_logs', 'sessions');

const base: CfRecord = {
  Datetime: '2026-01-01T00:00:00Z',
  SessionID: '00000000-0000-4000-8000-0000000000d1',
  ProgramID: '00000000-0000-4000-8000-0000000000d2',
};
const map = (extra: CfRecord) => mapRecord(sshLogs, { ...base, ...extra });

describe('ssh_logs mapper', () => {
  it('maps a finished shell program to the complete ECS event', () => {
    expect(mapLine(sshLogs, shell!)).toEqual({
      '@timestamp': '2026-01-01T12:05:00.000000001Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['session', 'process'],
        type: ['info'],
        action: 'shell',
        start: '2026-01-01T12:00:00Z',
        end: '2026-01-01T12:05:00Z',
        duration: 300_000_000_000,
        outcome: 'success',
        dataset: 'ssh_logs',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'proxy' },
      cloud: { account: { id: '0123456789abcdef0123456789abcdef' } },
      source: { ip: '203.0.113.50', port: 51234, address: '203.0.113.50' },
      destination: { ip: '192.0.2.22', port: 22, address: '192.0.2.22' },
      network: { protocol: 'ssh', transport: 'tcp' },
      process: { start: '2026-01-01T12:00:02Z', end: '2026-01-01T12:04:59.5Z' },
      user: {
        email: 'erin@example.com',
        id: '00000000-0000-4000-8000-000000000054',
        effective: { name: 'deploy' },
      },
      related: { ip: ['192.0.2.22', '203.0.113.50'], user: ['deploy', 'erin@example.com'] },
      cloudflare: {
        ProgramID: '00000000-0000-4000-8000-000000000051',
        SessionID: '00000000-0000-4000-8000-000000000052',
        TargetID: '00000000-0000-4000-8000-000000000053',
      },
    });
  });

  it('maps a refused IPv6 session: error message, failure, no program, no end', () => {
    const event = mapLine(sshLogs, refused!);
    expect(event.event).toMatchObject({
      category: ['session'],
      outcome: 'failure',
      start: '2026-01-01T12:04:59.000000000Z',
    });
    expect(getField(event, 'event.duration')).toBeUndefined();
    expect(getField(event, 'event.action')).toBeUndefined();
    expect(event.error).toEqual({ message: 'ssh: handshake failed: principal "root" not allowed' });
    expect(event.source).toEqual({ ip: '2001:db8:50::1', port: 50022, address: '2001:db8:50::1' });
    expect(event.destination).toEqual({ ip: '2001:db8:22::1', port: 22, address: '2001:db8:22::1' });
    expect(getField(event, 'user.effective.name')).toBe('root');
  });

  describe('outcome', () => {
    it.each([
      [{ Error: 'channel closed' }, 'failure'],
      [{ Error: 'channel closed', ProgramFinishDatetime: '2026-01-01T00:01:00Z' }, 'failure'],
      [{ ProgramFinishDatetime: '2026-01-01T00:01:00Z' }, 'success'],
      [{ SessionFinishDatetime: '2026-01-01T00:01:00Z', Error: '' }, 'success'],
      [{ Error: '' }, 'unknown'],
      [{ ProgramFinishDatetime: 0 }, 'unknown'],
      [{}, 'unknown'],
    ] as const)('%j → %s', (extra, outcome) => {
      expect(getField(map(extra), 'event.outcome')).toBe(outcome);
    });
  });

  it('unwraps an IPv4-mapped client address and keeps an address that is not an IP', () => {
    const event = map({ ClientAddress: '::ffff:198.51.100.9', ServerAddress: 'bastion.example.com' });
    expect(getField(event, 'source.ip')).toBe('198.51.100.9');
    expect(getField(event, 'destination')).toBeUndefined();
    expect(getField(event, 'cloudflare.ServerAddress')).toBe('bastion.example.com');
  });

  it('maps program times to process.start/end, and session times alone to the duration', () => {
    const event = map({
      ProgramStartDatetime: 1767225601,
      ProgramFinishDatetime: 1767225661,
      SessionStartDatetime: 1767225600,
    });
    expect(event.process).toEqual({ start: '2026-01-01T00:00:01Z', end: '2026-01-01T00:01:01Z' });
    expect(getField(event, 'event.duration')).toBeUndefined();
  });

  it('keys event.id on the session, the program and Datetime', () => {
    const a = getField(map({ Error: 'x' }), 'event.id');
    expect(getField(map({ Error: 'y' }), 'event.id')).toBe(a);
    expect(getField(map({ ProgramID: 'other' }), 'event.id')).not.toBe(a);
    expect(getField(map({ Datetime: '2026-01-01T00:00:01Z' }), 'event.id')).not.toBe(a);
    expect(getField(map({ Datetime: 1767225600 }), 'event.id')).toBe(a);
  });

  it('quarantines a ClientPort that is not an integer', () => {
    expect(() => map({ ClientPort: 'ssh' })).toThrow(MappingError);
  });

  it('recognises its records by Datetime and an SSH field', () => {
    expect(sshLogs.matches(JSON.parse(shell!))).toBe(true);
    expect(sshLogs.matches(JSON.parse(refused!))).toBe(true);
    expect(sshLogs.matches({ Datetime: 1767225600, ProgramType: 'exec' })).toBe(true);
    expect(sshLogs.matches({ Datetime: 1767225600, SessionID: 's', UserEmail: 'a@example.com' })).toBe(false);
  });
});

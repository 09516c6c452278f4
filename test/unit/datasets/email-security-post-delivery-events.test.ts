import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import {
  emailSecurityPostDeliveryEvents,
  operationType,
} from '../../../lambdas/datasets/email-security-post-delivery-events.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [adminMove, autoMove] = fixtureLines('email_security_post_delivery_events', 'moves');

const base: CfRecord = {
  AlertID: 'alert-1',
  Operation: 'MOVE',
  Recipient: 'alice@example.com',
  RequestedAt: '2026-01-01T00:00:00Z',
};
const map = (extra: CfRecord) => mapRecord(emailSecurityPostDeliveryEvents, { ...base, ...extra });

describe('email_security_post_delivery_events mapper', () => {
  it('maps an administrator moving a message to recoverable deletions to the complete ECS event', () => {
    expect(mapLine(emailSecurityPostDeliveryEvents, adminMove!)).toEqual({
      '@timestamp': '2026-01-01T10:20:01.250Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'event',
        category: ['email'],
        type: ['deletion'],
        action: 'MOVE',
        outcome: 'success',
        start: '2026-01-01T10:20:01.250Z',
        end: '2026-01-01T10:20:03.500Z',
        duration: 2_250_000_000,
        dataset: 'email_security_post_delivery_events',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'email' },
      email: {
        message_id: '<20260101101500.1234@mail.example.net>',
        delivery_timestamp: '2026-01-01T10:15:02Z',
        to: { address: ['alice@example.com'] },
      },
      user: { email: 'secops@example.com', target: { email: 'alice@example.com' } },
      related: { user: ['alice@example.com', 'secops@example.com'] },
      cloudflare: {
        AlertID: '4Yz3Xr2bLmz1Nq8-0a1b2c3d',
        Destination: 'RecoverableItemsDeletions',
        FinalDisposition: 'MALICIOUS',
        Success: true,
      },
    });
  });

  it('maps a failed automatic move to junk: change, failure, the actor as a name, unix nanoseconds exact', () => {
    const event = mapLine(emailSecurityPostDeliveryEvents, autoMove!);
    expect(event.event).toMatchObject({
      type: ['change'],
      action: 'AUTO_MOVE',
      outcome: 'failure',
      duration: 5_000_000_000,
    });
    expect(event['@timestamp']).toBe('2026-01-01T11:20:00.000000000Z');
    expect(event.user).toEqual({ name: 'Automated Retraction', target: { email: 'bob@example.com' } });
    expect(getField(event, 'cloudflare.RequestedBy')).toBeUndefined();
    expect(getField(event, 'cloudflare.Success')).toBe(false);
  });

  it.each([
    [true, 'success'],
    [false, 'failure'],
    ['true', 'success'],
    [undefined, 'unknown'],
  ])('Success %j gives outcome %s', (success, outcome) => {
    expect(getField(map({ Success: success }), 'event.outcome')).toBe(outcome);
  });

  it.each([
    ['MOVE', undefined, 'change'],
    ['MOVE', 'Inbox', 'change'],
    ['MOVE', 'DeletedItems', 'deletion'],
    ['MOVE', 'RecoverableItemsPurges', 'deletion'],
    ['HARD_DELETE', undefined, 'deletion'],
    ['SOFT_DELETE', undefined, 'deletion'],
    ['QUARANTINE', undefined, 'change'],
    ['QUARANTINE_RELEASE', undefined, 'change'],
    ['RECLASSIFY', undefined, 'change'],
    ['PREVIEW', undefined, 'info'],
    [undefined, undefined, 'info'],
  ])('Operation %s to %s is type %s', (operation, destination, type) => {
    const event = map({ Operation: operation, Destination: destination });
    expect(getField(event, 'event.type')).toEqual([type]);
    expect(operationType(operation, destination)).toBe(type);
  });

  it('leaves event.end and event.duration out until the action completed', () => {
    const event = map({});
    expect(event.event).toMatchObject({ start: '2026-01-01T00:00:00Z' });
    expect(getField(event, 'event.end')).toBeUndefined();
    expect(getField(event, 'event.duration')).toBeUndefined();
  });

  it('uses AlertID, Operation, Destination, Recipient and RequestedAt as the natural key of event.id', () => {
    const id = (extra: CfRecord) => getField(map(extra), 'event.id');
    const a = id({});
    expect(id({ Success: false, CompletedAt: '2026-01-01T00:00:01Z' })).toBe(a);
    expect(id({ Recipient: 'bob@example.com' })).not.toBe(a);
    expect(id({ Operation: 'RELEASE' })).not.toBe(a);
    expect(id({ Destination: 'JunkEmail' })).not.toBe(a);
    expect(id({ RequestedAt: '2026-01-01T00:00:00.000000001Z' })).not.toBe(a);
    expect(id({ AlertID: 'alert-2' })).not.toBe(a);
  });

  it('quarantines a Success that is no boolean', () => {
    expect(() => map({ Success: 'done' })).toThrow(MappingError);
  });

  it('recognises its records, full or minimal, and not an alert', () => {
    expect(emailSecurityPostDeliveryEvents.matches(JSON.parse(adminMove!))).toBe(true);
    expect(emailSecurityPostDeliveryEvents.matches({ RequestedAt: 1767225600, Operation: 'MOVE' })).toBe(
      true,
    );
    expect(emailSecurityPostDeliveryEvents.matches({ Timestamp: 1767225600, AlertID: 'a' })).toBe(false);
  });
});

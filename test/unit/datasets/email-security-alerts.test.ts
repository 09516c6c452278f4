import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import { definedKeys } from '../../../lambdas/core/object-layout.ts';
import { dispositionClass, emailSecurityAlerts } from '../../../lambdas/datasets/email-security-alerts.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [malicious, clean] = fixtureLines('email_security_alerts', 'malicious-attachment');

const MD5 = 'e5f96ae00443877315fbb64fd3d90005';
const SHA1 = 'baeba7e7b9ec453e23b5bac313219285d6292358';
const SHA256 = '52d6e3de4fa0dcc29946695f93940c3e7f26f30e1e39f4b1a49ad98839112786';
const SSDEEP = '768:Xk3Bq9ZpLmN2vR8tYwQ:Xk3Bq9ZpLmN2';

const base: CfRecord = {
  AlertID: 'alert-1',
  Timestamp: '2026-01-01T00:00:00Z',
  From: 'sender@example.net',
  To: ['alice@example.com'],
};
const map = (extra: CfRecord) => mapRecord(emailSecurityAlerts, { ...base, ...extra });

describe('email_security_alerts mapper', () => {
  it('maps a malicious message with an attachment to the complete ECS event', () => {
    expect(mapLine(emailSecurityAlerts, malicious!)).toEqual({
      '@timestamp': '2026-01-01T10:15:00.123456Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'alert',
        category: ['email', 'threat', 'malware'],
        type: ['info'],
        action: 'MALICIOUS',
        dataset: 'email_security_alerts',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'email' },
      email: {
        from: { address: ['billing@example.net'] },
        sender: { address: 'billing@example.net' },
        reply_to: { address: ['payments@example.org'] },
        to: { address: ['alice@example.com'] },
        cc: { address: ['carol@example.com'] },
        subject: 'Your invoice is overdue',
        message_id: '<20260101101500.1234@mail.example.net>',
        attachments: [
          {
            file: {
              name: 'invoice_2026.zip',
              extension: 'zip',
              mime_type: 'application/zip',
              size: 48213,
              hash: { md5: MD5, sha1: SHA1, sha256: SHA256, ssdeep: SSDEEP },
            },
          },
        ],
      },
      source: {
        ip: '198.51.100.25',
        address: '198.51.100.25',
        as: { number: 64500, organization: { name: 'EXAMPLE-NET' } },
      },
      related: { ip: ['198.51.100.25'], hash: [SHA256, SSDEEP, SHA1, MD5] },
      cloudflare: {
        AlertID: '4Yz3Xr2bLmz1Nq8-0a1b2c3d',
        AlertReasons: [
          'Attachment matches a known malicious payload',
          'Sender domain registered in the last 7 days',
        ],
        Attachments: [
          {
            ContentType: 'application/zip',
            Filename: 'invoice_2026.zip',
            Md5: MD5.toUpperCase(),
            Sha1: SHA1,
            Sha256: SHA256,
            Size: 48213,
            Ssdeep: SSDEEP,
          },
        ],
        CCName: ['Carol'],
        FromName: 'Billing Department',
        Links: ['https://login.example.net/verify?id=42'],
        MessageDeliveryMode: 'DIRECT',
        ReplyToName: 'Payments',
        SMTPEnvelopeFrom: 'bounce-42@example.net',
        SMTPEnvelopeTo: ['alice@example.com', 'carol@example.com'],
        SMTPHeloServerIPGeo: 'US/CA/San Jose',
        SMTPHeloServerName: 'mail.example.net',
        ThreatCategories: ['Malware', 'CredentialHarvester'],
        ToName: ['Alice'],
      },
    });
  });

  it('keeps a clean message a plain event, its unix-nanosecond time exact, empty lists and strings left out', () => {
    const event = mapLine(emailSecurityAlerts, clean!);
    expect(event['@timestamp']).toBe('2026-01-01T10:15:00.987654321Z');
    expect(event.event).toMatchObject({ kind: 'event', category: ['email'], type: ['info'], action: 'NONE' });
    expect(getField(event, 'event.outcome')).toBeUndefined();
    expect(getField(event, 'email.to.address')).toEqual(['bob@example.com', 'dave@example.com']);
    expect(getField(event, 'email.cc')).toBeUndefined();
    expect(getField(event, 'email.reply_to')).toBeUndefined();
    expect(getField(event, 'email.attachments')).toBeUndefined();
    expect(event.source).toEqual({ ip: '2001:db8::25', address: '2001:db8::25', as: { number: 64501 } });
    expect(getField(event, 'related.hash')).toBeUndefined();
    expect(definedKeys(event.cloudflare as object)).not.toContain('ThreatCategories');
  });

  it.each([
    ['malicious', 'alert'],
    ['MALICIOUS-BEC', 'alert'],
    ['suspicious', 'alert'],
    ['SPOOF', 'alert'],
    ['spam', 'alert'],
    ['Bulk', 'alert'],
    ['NONE', 'event'],
    ['unset', 'event'],
  ])('FinalDisposition %s is event.action and gives kind %s', (disposition, kind) => {
    const event = map({ FinalDisposition: disposition });
    expect(getField(event, 'event.kind')).toBe(kind);
    expect(getField(event, 'event.action')).toBe(disposition);
  });

  it('gives kind event, no action and no outcome without a disposition', () => {
    const event = map({});
    expect(event.event).toMatchObject({ kind: 'event', category: ['email'], type: ['info'] });
    expect(getField(event, 'event.action')).toBeUndefined();
    expect(getField(event, 'event.outcome')).toBeUndefined();
  });

  it('reads the class of a disposition without case or qualifier', () => {
    expect(dispositionClass('MALICIOUS-BEC')).toBe('malicious');
    expect(dispositionClass('spoof')).toBe('spoof');
    expect(dispositionClass(undefined)).toBeUndefined();
  });

  it.each([
    [['CredentialHarvester'], ['email', 'threat']],
    [['Malicious Payload'], ['email', 'threat', 'malware']],
    [
      ['BEC', 'Malware'],
      ['email', 'threat', 'malware'],
    ],
    [[], ['email']],
  ])('ThreatCategories %j give category %j', (threats, category) => {
    expect(getField(map({ ThreatCategories: threats }), 'event.category')).toEqual(category);
  });

  it.each([
    ['13335', 13335],
    [13335, 13335],
    ['AS64500', 64500],
  ])('reads the HELO server AS number %j', (asn, number) => {
    const event = map({ SMTPHeloServerIPAsNumber: asn });
    expect(getField(event, 'source.as.number')).toBe(number);
    expect(getField(event, 'cloudflare.SMTPHeloServerIPAsNumber')).toBeUndefined();
  });

  it('keeps an AS number it cannot read under cloudflare.*', () => {
    const event = map({ SMTPHeloServerIPAsNumber: 'unknown' });
    expect(getField(event, 'source.as')).toBeUndefined();
    expect(getField(event, 'cloudflare.SMTPHeloServerIPAsNumber')).toBe('unknown');
  });

  it('unwraps an IPv4-mapped IPv6 HELO server address', () => {
    const event = map({ SMTPHeloServerIP: '::ffff:203.0.113.25' });
    expect(getField(event, 'source.ip')).toBe('203.0.113.25');
    expect(getField(event, 'related.ip')).toEqual(['203.0.113.25']);
  });

  it('reads attachments under other key spellings, skips what ECS cannot hold, and collects each hash once', () => {
    const event = map({
      Attachments: [
        { file_name: 'a.PDF', MimeType: 'application/pdf', size: '1024', MD5: MD5, SHA256: SHA256 },
        { Name: 'noext', Sha256: SHA256 },
        { Encrypted: false },
        'not an object',
      ],
    });
    expect(getField(event, 'email.attachments')).toEqual([
      {
        file: {
          name: 'a.PDF',
          extension: 'PDF',
          mime_type: 'application/pdf',
          size: 1024,
          hash: { md5: MD5, sha256: SHA256 },
        },
      },
      { file: { name: 'noext', hash: { sha256: SHA256 } } },
    ]);
    expect(getField(event, 'related.hash')).toEqual([SHA256, MD5]);
    expect(getField(event, 'cloudflare.Attachments')).toHaveLength(4);
  });

  it('takes an ssdeep fuzzy hash as written (case matters) and leaves one that is no fuzzy hash out', () => {
    const event = map({ Attachments: [{ Ssdeep: '3:aB+/cD:eF' }, { ssdeep: 'not a hash' }] });
    expect(getField(event, 'email.attachments')).toEqual([{ file: { hash: { ssdeep: '3:aB+/cD:eF' } } }]);
    expect(getField(event, 'related.hash')).toEqual(['3:aB+/cD:eF']);
  });

  it('uses AlertID as the natural key of event.id', () => {
    const a = map({ Subject: 'one' });
    expect(getField(map({ Subject: 'two' }), 'event.id')).toBe(getField(a, 'event.id'));
    expect(getField(map({ AlertID: 'alert-2' }), 'event.id')).not.toBe(getField(a, 'event.id'));
  });

  it('quarantines a To header that is not a list', () => {
    expect(() => map({ To: { address: 'alice@example.com' } })).toThrow(MappingError);
  });

  it('recognises its records, full or minimal, and not a post-delivery event', () => {
    expect(emailSecurityAlerts.matches(JSON.parse(malicious!))).toBe(true);
    expect(emailSecurityAlerts.matches({ Timestamp: 1767225600, SMTPHeloServerIP: '192.0.2.1' })).toBe(true);
    expect(emailSecurityAlerts.matches({ Timestamp: 1767225600, Level: 'info' })).toBe(false);
    expect(emailSecurityAlerts.matches({ RequestedAt: 1767225600, AlertID: 'a', Operation: 'MOVE' })).toBe(
      false,
    );
  });
});

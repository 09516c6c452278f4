import { type EcsEvent, getField, setField } from '../core/ecs.ts';
import { defineMapper } from './mapper.ts';

/**
 * `email_security_alerts`: Cloudflare Email Security (formerly Area 1), one line per email message scanned, with
 * its headers, the SMTP session it came in on, its attachments and links, and the verdict (account-scoped).
 * No field table exists in `../shared/cloudflare/`: this one was written from Cloudflare's public field reference
 * (developers.cloudflare.com/logs/reference/log-fields/account/email_security_alerts/), recalled rather than copied
 * from a saved page. Less certain: the keys inside Attachments (read case-insensitively under several spellings,
 * and the list is kept whole), SMTPHeloServerIPAsNumber's type and SMTPHeloServerIPGeo's format (`any`); the
 * list-valued fields that are only kept are `any` too.
 *
 * Timestamp is when Email Security started processing the message (FACTS.md), the dataset's only time: it is
 * `@timestamp`. FinalDisposition (malicious, suspicious, spoof, spam, bulk, or none/unset) is `event.action`;
 * a disposition other than none/unset makes the line an alert (kind alert), otherwise kind event. Category email,
 * plus threat when Email Security named ThreatCategories, plus malware when one of them is malware or a malicious
 * payload; type info. A verdict is no success or failure of anything, so there is no outcome. The headers go to
 * `email.*` (addresses are lists in ECS), the HELO server's IP and AS to `source.*`, the attachments to
 * `email.attachments` and their hashes to `related.hash`. AlertID is the natural key of `event.id`.
 */
export const emailSecurityAlerts = defineMapper({
  dataset: 'email_security_alerts',
  observerType: 'email',
  category: ['email'],
  type: ['info'],
  idFields: ['AlertID'],
  // Timestamp is shared by many account datasets; these names are only in Email Security alerts
  // (email_security_post_delivery_events has AlertID too, but not Timestamp).
  signature: {
    all: ['Timestamp'],
    any: [
      'AlertID',
      'AlertReasons',
      'FinalDisposition',
      'ThreatCategories',
      'SMTPHeloServerIP',
      'SMTPEnvelopeFrom',
      'MessageDeliveryMode',
      'OriginalSender',
    ],
  },
  fields: {
    // The natural key of event.id; kept: it is how the Email Security dashboard and API name the alert.
    AlertID: { type: 'string' },
    AlertReasons: { type: 'any' },
    // → email.attachments and related.hash in refine; kept whole as well (its inner keys are less certain).
    Attachments: { type: 'any' },
    CC: { type: 'string[]', to: 'email.cc.address' },
    CCName: { type: 'any' },
    // → event.kind in refine as well.
    FinalDisposition: { type: 'string', to: 'event.action' },
    From: { type: 'string', to: 'email.from.address' },
    FromName: { type: 'string' },
    Links: { type: 'any' },
    MessageDeliveryMode: { type: 'string' },
    MessageID: { type: 'string', to: 'email.message_id' },
    // The sender as Email Security determined it (the mailbox responsible for sending).
    OriginalSender: { type: 'string', to: 'email.sender.address' },
    ReplyTo: { type: 'string', to: 'email.reply_to.address' },
    ReplyToName: { type: 'string' },
    SMTPEnvelopeFrom: { type: 'string' },
    SMTPEnvelopeTo: { type: 'any' },
    SMTPHeloServerIP: { type: 'string', to: 'source.ip' },
    SMTPHeloServerIPAsName: { type: 'string', to: 'source.as.organization.name' },
    // → source.as.number in refine when it is a number ("13335", 13335, "AS13335").
    SMTPHeloServerIPAsNumber: { type: 'any' },
    SMTPHeloServerIPGeo: { type: 'any' },
    // Self-asserted by the sending server (often a bare IP or "localhost"): kept, not source.domain.
    SMTPHeloServerName: { type: 'string' },
    Subject: { type: 'string', to: 'email.subject' },
    ThreatCategories: { type: 'any' },
    Timestamp: { type: 'time', to: '@timestamp' },
    To: { type: 'string[]', to: 'email.to.address' },
    ToName: { type: 'any' },
  },
  derives: ['email.attachments', 'related.hash', 'source.as.number'],
  refine({ values, event, vendor }) {
    const disposition = dispositionClass(values.FinalDisposition);
    if (disposition !== undefined && ALERT_DISPOSITIONS.has(disposition))
      setField(event, 'event.kind', 'alert');

    const threats = stringsOf(values.ThreatCategories);
    if (threats.length > 0) {
      const category = ['email', 'threat'];
      if (threats.some((t) => MALWARE.test(t))) category.push('malware');
      setField(event, 'event.category', category);
    }

    const asn = asNumber(values.SMTPHeloServerIPAsNumber);
    if (asn !== undefined) {
      setField(event, 'source.as.number', asn);
      vendor.SMTPHeloServerIPAsNumber = undefined;
    }

    setAttachments(event, values.Attachments);
  },
});

/** Dispositions that flag the message (kind alert); none/unset/clean ones leave a plain event. */
const ALERT_DISPOSITIONS: ReadonlySet<string> = new Set(['malicious', 'suspicious', 'spoof', 'spam', 'bulk']);

// Threat categories that mean malicious code: "Malware", "Malicious Payload", "MaliciousPayload".
const MALWARE = /malware|payload/i;

/**
 * The class of a FinalDisposition, lower case without qualifiers: the API writes `MALICIOUS-BEC`, Logpush
 * `malicious`; both are `malicious`.
 */
export function dispositionClass(disposition: unknown): string | undefined {
  if (typeof disposition !== 'string') return undefined;
  return disposition.toLowerCase().split(/[-_ ]/, 1)[0];
}

/** The non-empty strings of a list (or of a single string). */
function stringsOf(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list.filter((v): v is string => typeof v === 'string' && v !== '');
}

/** An AS number written as a number, digits, or `AS<digits>`. */
function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^(?:AS)?(\d{1,10})$/i.exec(value.trim());
  return m ? Number(m[1]) : undefined;
}

/** The first value among `names` (compared without case, `_` and `-`) of an attachment object. */
function pick(attachment: Record<string, unknown>, names: readonly string[]): unknown {
  for (const [key, value] of Object.entries(attachment)) {
    if (names.includes(key.toLowerCase().replace(/[_-]/g, ''))) return value;
  }
  return undefined;
}

/**
 * ECS `email.attachments` (`[{file: {name, extension, mime_type, size, hash}}]`, hash md5/sha1/sha256/ssdeep) from
 * Cloudflare's Attachments list, and every hash in `related.hash`. Objects without anything ECS can hold are left out of the ECS list.
 */
function setAttachments(event: EcsEvent, attachments: unknown): void {
  if (!Array.isArray(attachments)) return;
  const out: EcsEvent[] = [];
  const hashes: string[] = [];
  for (const attachment of attachments) {
    if (typeof attachment !== 'object' || attachment === null || Array.isArray(attachment)) continue;
    const a = attachment as Record<string, unknown>;
    const file: EcsEvent = {};
    const name = pick(a, ['filename', 'name']);
    if (typeof name === 'string') {
      setField(file, 'name', name);
      const dot = name.lastIndexOf('.');
      if (dot > 0 && dot < name.length - 1) setField(file, 'extension', name.slice(dot + 1));
    }
    const mime = pick(a, ['contenttype', 'mimetype']);
    if (typeof mime === 'string') setField(file, 'mime_type', mime);
    const size = pick(a, ['size', 'filesize']);
    const bytes = typeof size === 'string' && /^\d{1,15}$/.test(size) ? Number(size) : size;
    if (typeof bytes === 'number' && Number.isSafeInteger(bytes) && bytes >= 0) setField(file, 'size', bytes);
    for (const algorithm of ['md5', 'sha1', 'sha256'] as const) {
      const hash = pick(a, [algorithm]);
      if (typeof hash === 'string' && /^[0-9a-fA-F]+$/.test(hash)) {
        const lower = hash.toLowerCase();
        setField(file, `hash.${algorithm}`, lower);
        hashes.push(lower);
      }
    }
    // A fuzzy hash (`<blocksize>:<base64>:<base64>`): case matters, so it is taken as written.
    const ssdeep = pick(a, ['ssdeep']);
    if (typeof ssdeep === 'string' && /^\d+:[^\s:]*:[^\s:]*$/.test(ssdeep)) {
      setField(file, 'hash.ssdeep', ssdeep);
      hashes.push(ssdeep);
    }
    if (Object.keys(file).length > 0) out.push({ file });
  }
  setField(event, 'email.attachments', out);
  // The engine adds file.hash.* and friends to these, sorted and without duplicates.
  const related = getField(event, 'related.hash');
  setField(event, 'related.hash', [...(Array.isArray(related) ? related : []), ...hashes]);
}

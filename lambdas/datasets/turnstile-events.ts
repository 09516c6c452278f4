import { getField, setField } from '../core/ecs.ts';
import { defineMapper } from './mapper.ts';

/**
 * `turnstile_events`: one line per event of a Turnstile widget (Cloudflare's CAPTCHA replacement) of the account:
 * a challenge issued to a visitor, solved, or failed for a given reason, account-scoped. There is no field table
 * in `../shared/cloudflare/`: this one was written from Cloudflare's public Logpush field reference
 * (datasets/account/turnstile_events, from memory, not from a saved copy). Certain: Timestamp, ClientIP,
 * EventType, Action. Less certain (names and types): ASN, Country, Hostname, SiteKey/Sitekey, UserAgent, all
 * typed `any`, so a wrong guess only leaves the value under cloudflare.* and never quarantines a line.
 *
 * observer.type is `firewall`, as for firewall_events: a Turnstile challenge is the same bot gate as the
 * firewall's managed challenge, embedded in the customer's page. EventType is `event.action` and decides the
 * verdict: *_solved → allowed/success, *_failed* → denied/failure, issued (or anything else) → info/unknown.
 * `Action` is the action string the site owner configured on the widget (`login`, `signup`…), not a verdict: kept.
 */
export const turnstileEvents = defineMapper({
  dataset: 'turnstile_events',
  observerType: 'firewall',
  category: ['web'],
  type: ['info'],
  // Timestamp + EventType is account_abuse_protection_events too: the widget's site key is Turnstile's own.
  signature: { all: ['Timestamp'], any: ['SiteKey', 'Sitekey'] },
  fields: {
    ASN: { type: 'any', to: 'source.as.number' },
    // The widget's configured action (data-action), not an outcome.
    Action: { type: 'string' },
    ClientIP: { type: 'string', to: 'source.ip' },
    Country: { type: 'any', to: 'source.geo.country_iso_code' },
    // → event.type and event.outcome in refine as well.
    EventType: { type: 'string', to: 'event.action' },
    // The host name of the page the widget was rendered on.
    Hostname: { type: 'any', to: 'url.domain' },
    SiteKey: { type: 'any' },
    Sitekey: { type: 'any' },
    Timestamp: { type: 'time', to: '@timestamp' },
    UserAgent: { type: 'any', to: 'user_agent.original' },
  },
  derives: ['event.outcome'],
  refine({ event }) {
    const action = getField(event, 'event.action');
    const { type, outcome } = challengeCategorization(typeof action === 'string' ? action : undefined);
    setField(event, 'event.type', type);
    setField(event, 'event.outcome', outcome);
  },
});

/** event.type and event.outcome of a Turnstile EventType (see the module comment). */
export function challengeCategorization(eventType: string | undefined): { type: string[]; outcome: string } {
  const e = eventType?.toLowerCase() ?? '';
  if (e.endsWith('solved')) return { type: ['allowed'], outcome: 'success' };
  if (e.includes('failed')) return { type: ['denied'], outcome: 'failure' };
  return { type: ['info'], outcome: 'unknown' };
}

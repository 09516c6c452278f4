import { getField, setField } from '../core/ecs.ts';
import { defineMapper } from './mapper.ts';

/**
 * `biso_user_actions`: one line per user action that Cloudflare Browser Isolation controlled on an isolated page
 * (copy, paste, download, upload, print, keyboard input…), with the decision its policy took (account-scoped).
 * There is no `../shared/cloudflare/biso_user_actions.md`: the field table was written from Cloudflare's public
 * Logpush field reference (developers.cloudflare.com/logs/reference/log-fields/account/biso_user_actions/), not
 * from a saved copy. Less certain: the type of Metadata (a JSON string or an object: kept as it comes).
 *
 * The action happens in a web page behind Gateway's isolation proxy: category web, observer proxy, Type (what the
 * user did) is `event.action`. Decision sets the type and outcome: allow* → allowed/success, block*|deny* →
 * denied/failure; anything else or none → info/unknown. DomainName fills `url.domain` only when URL cannot.
 */
export const bisoUserActions = defineMapper({
  dataset: 'biso_user_actions',
  observerType: 'proxy',
  category: ['web'],
  type: ['info'],
  // No natural key: the line is hashed. Timestamp is shared by many datasets; Decision is only in this one.
  signature: { all: ['Timestamp'], any: ['Decision'] },
  fields: {
    AccountID: { type: 'string', to: 'cloud.account.id' },
    // → event.type/event.outcome in refine; kept, as no ECS field holds the policy's verdict itself.
    Decision: { type: 'string' },
    // → url.domain in refine when URL does not give it.
    DomainName: { type: 'string' },
    Metadata: { type: 'any' },
    PolicyID: { type: 'string', to: 'rule.id' },
    PolicyName: { type: 'string', to: 'rule.name' },
    Timestamp: { type: 'time', to: '@timestamp' },
    Type: { type: 'string', to: 'event.action' },
    // Split into url.* by the engine.
    URL: { type: 'string', to: 'url.original' },
    UserEmail: { type: 'string', to: 'user.email' },
    UserID: { type: 'string', to: 'user.id' },
  },
  derives: ['event.outcome', 'url.domain'],
  refine({ values, event, vendor }) {
    const { type, outcome } = decisionCategorization(values.Decision);
    setField(event, 'event.type', type);
    setField(event, 'event.outcome', outcome);

    const domain = values.DomainName;
    if (typeof domain !== 'string') return;
    const host = hostOf(getField(event, 'url.original'));
    if (host === undefined) {
      // Without a parsable URL the engine cannot split one: the domain is all we know of the page's host.
      setField(event, 'url.domain', domain);
      vendor.DomainName = undefined;
    } else if (host.toLowerCase() === domain.toLowerCase()) {
      vendor.DomainName = undefined;
    }
  },
});

/** event.type and event.outcome for a Browser Isolation Decision (see the module comment). */
export function decisionCategorization(decision: unknown): { type: string[]; outcome: string } {
  const d = typeof decision === 'string' ? decision.toLowerCase() : '';
  if (d.startsWith('allow')) return { type: ['allowed'], outcome: 'success' };
  if (d.startsWith('block') || d.startsWith('deny')) return { type: ['denied'], outcome: 'failure' };
  return { type: ['info'], outcome: 'unknown' };
}

function hostOf(url: unknown): string | undefined {
  if (typeof url !== 'string') return undefined;
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '') || undefined;
  } catch {
    return undefined;
  }
}

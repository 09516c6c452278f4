import { type EcsEvent, getField, setField } from '../core/ecs.ts';
import { type CfRecord, defineMapper } from './mapper.ts';

/**
 * `page_shield_events`: one line per Content Security Policy violation a visitor's browser reported against a Page
 * Shield policy of the zone (a script, connection or cookie the policy's allowlist does not cover), zone-scoped.
 * There is no field table in `../shared/cloudflare/`: this one was written from Cloudflare's public Logpush field
 * reference (reference/log-fields/zone/page_shield_events, from memory, not from a saved copy). The ten names and
 * their types are fairly certain; URLContainsCDNCGIPath is the least.
 *
 * The offending resource's URL is `url.*`, the violated policy `rule.id`, and the policy's Action `event.action`.
 * A Page Shield policy with action `allow` is enforced: its allowlist is sent as a Content-Security-Policy header
 * and the browser refused the resource it reports, so `allow` is `denied`/failure; a `log` policy is report-only
 * (Content-Security-Policy-Report-Only), the browser loaded the resource, so `allowed`/success. Anything else is
 * `info`/unknown.
 */
export const pageShieldEvents = defineMapper({
  dataset: 'page_shield_events',
  observerType: 'proxy',
  category: ['web'],
  type: ['info'],
  // Timestamp, Action, Host and PolicyID exist in other datasets: these names are Page Shield's own.
  signature: { all: ['Timestamp'], any: ['CSPDirective', 'PageURL', 'URLHost', 'URLContainsCDNCGIPath'] },
  fields: {
    // → event.type and event.outcome in refine as well.
    Action: { type: 'string', to: 'event.action' },
    // The violated directive (script-src, connect-src…).
    CSPDirective: { type: 'string' },
    // The zone's host name the page was served from, kept with the page URL: url.* describes the resource.
    Host: { type: 'string' },
    PageURL: { type: 'string' },
    PolicyID: { type: 'string', to: 'rule.id' },
    // script, connection or cookie.
    ResourceType: { type: 'string' },
    Timestamp: { type: 'time', to: '@timestamp' },
    // The engine splits it into url.scheme/domain/port/path/query.
    URL: { type: 'string', to: 'url.original' },
    URLContainsCDNCGIPath: { type: 'bool' },
    // The resource's host name: url.domain when the URL does not say it (refine).
    URLHost: { type: 'string' },
  },
  derives: ['event.outcome', 'url.domain'],
  refine({ record, event, vendor }) {
    const action = getField(event, 'event.action');
    const { type, outcome } = actionCategorization(typeof action === 'string' ? action : undefined);
    setField(event, 'event.type', type);
    setField(event, 'event.outcome', outcome);
    mapResourceHost(record, event, vendor);
  },
});

/** event.type and event.outcome for a policy's Action (see the module comment). */
export function actionCategorization(action: string | undefined): { type: string[]; outcome: string } {
  switch (action?.toLowerCase()) {
    case 'allow':
      return { type: ['denied'], outcome: 'failure' };
    case 'log':
      return { type: ['allowed'], outcome: 'success' };
    default:
      return { type: ['info'], outcome: 'unknown' };
  }
}

/**
 * URLHost repeats the host of an absolute URL, which the engine parses into url.domain: then it goes. When the URL
 * is absent or not absolute (a cookie's name, a relative path), URLHost is url.domain; a host that differs from
 * the URL's own stays under cloudflare.URLHost.
 */
function mapResourceHost(record: CfRecord, event: EcsEvent, vendor: CfRecord): void {
  const host = vendor.URLHost;
  if (typeof host !== 'string') return;
  const url = typeof record.URL === 'string' ? urlHost(record.URL) : undefined;
  if (url === undefined) {
    setField(event, 'url.domain', host);
    vendor.URLHost = undefined;
  } else if (url === host.toLowerCase()) {
    vendor.URLHost = undefined;
  }
}

function urlHost(text: string): string | undefined {
  try {
    return new URL(text).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return undefined;
  }
}

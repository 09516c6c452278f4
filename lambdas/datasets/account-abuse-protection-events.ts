import { getField, setField } from '../core/ecs.ts';
import { mapHostPort } from './http-requests.ts';
import { defineMapper } from './mapper.ts';

/**
 * `account_abuse_protection_events`: one line per account event (login, logout, signup…) that Cloudflare's Account
 * Abuse Protection saw on the zone's authentication endpoints, zone-scoped (also offered per account). There is
 * no field table in `../shared/cloudflare/`: this one was written from Cloudflare's public Logpush field reference
 * (datasets/zone/account_abuse_protection_events, from memory, not from a saved copy). Certain: Timestamp,
 * ClientIP, Email, UserID, EventType, AuthenticationStatus, RayID. Less certain (names and types): ClientASN,
 * ClientCountry, ClientRequestHost, ClientRequestPath, UserAgent, all typed `any`, so a wrong guess only leaves
 * the value under cloudflare.* and never quarantines a line.
 *
 * EventType is `event.action`: login → authentication/start, logout → authentication/end, signup → iam with
 * user/creation, anything else authentication/info. AuthenticationStatus gives the outcome: true or a success
 * word (success, succeeded, ok, passed…) → success, false or a failure word (failed, invalid, denied…) → failure,
 * absent or anything else → unknown. ClientRequestHost is the Host header, as in http_requests: a port written in it
 * goes to url.port, not into url.domain.
 */
export const accountAbuseProtectionEvents = defineMapper({
  dataset: 'account_abuse_protection_events',
  observerType: 'proxy',
  category: ['authentication'],
  type: ['info'],
  idFields: ['RayID'],
  // Timestamp + EventType is turnstile_events too, Timestamp + Email device_posture_results: AuthenticationStatus
  // is this dataset's own.
  signature: { all: ['Timestamp'], any: ['AuthenticationStatus'] },
  fields: {
    // Kept; event.outcome in refine (a string, or a boolean in some jobs: typed any).
    AuthenticationStatus: { type: 'any' },
    ClientASN: { type: 'any', to: 'source.as.number' },
    ClientCountry: { type: 'any', to: 'source.geo.country_iso_code' },
    ClientIP: { type: 'string', to: 'source.ip' },
    ClientRequestHost: { type: 'any', to: 'url.domain' },
    ClientRequestPath: { type: 'any', to: 'url.path' },
    Email: { type: 'string', to: 'user.email' },
    // → event.category/type in refine as well.
    EventType: { type: 'string', to: 'event.action' },
    // ECS http.request.id, and kept as RayID: the key that joins these rows to http_requests.
    RayID: { type: 'string', to: 'http.request.id', keep: true },
    Timestamp: { type: 'time', to: '@timestamp' },
    UserAgent: { type: 'any', to: 'user_agent.original' },
    UserID: { type: 'string', to: 'user.id' },
  },
  derives: ['event.outcome', 'url.port'],
  refine({ record, event }) {
    const action = getField(event, 'event.action');
    const kind = typeof action === 'string' ? EVENT_TYPES[action.toLowerCase()] : undefined;
    if (kind) {
      setField(event, 'event.category', kind.category);
      setField(event, 'event.type', kind.type);
    }
    setField(event, 'event.outcome', authenticationOutcome(record.AuthenticationStatus));
    mapHostPort(event);
  },
});

const EVENT_TYPES: Readonly<Record<string, { category: string[]; type: string[] }>> = {
  login: { category: ['authentication'], type: ['start'] },
  logout: { category: ['authentication'], type: ['end'] },
  signup: { category: ['iam'], type: ['user', 'creation'] },
};

const SUCCESS = /^(success|successful|succeeded|ok|pass|passed|valid|authenticated|true)$/i;
const FAILURE = /^(fail|failed|failure|invalid|denied|rejected|error|unauthenticated|false)$/i;

/** `event.outcome` of an AuthenticationStatus (see the module comment). */
export function authenticationOutcome(status: unknown): 'success' | 'failure' | 'unknown' {
  if (typeof status === 'boolean') return status ? 'success' : 'failure';
  if (typeof status !== 'string') return 'unknown';
  const s = status.trim();
  if (SUCCESS.test(s)) return 'success';
  if (FAILURE.test(s)) return 'failure';
  return 'unknown';
}

import { getField, setField } from '../core/ecs.ts';
import { defineMapper } from './mapper.ts';

/**
 * `websocket_analytics`: one line per WebSocket connection proxied by Cloudflare's edge, written when it closed.
 * The zone dataset names its fields in PascalCase and follows timestamp_format (EdgeStartTimestamp…); the account
 * dataset names them in camelCase and gives plain integer Unix nanoseconds (timestampStartNanos…). One table holds
 * both name sets, so either shape maps to the same event. There is no field table in `../shared/cloudflare/`: this
 * one was written from Cloudflare's public Logpush field reference (datasets/{zone,account}/websocket_analytics,
 * from memory, not from a saved copy) and holds only the names `../shared/cloudflare/INDEX.md` confirms; every
 * other field arrives as an unknown one and is kept under cloudflare.*. The close reason and source, whose values
 * are not documented here, are typed `any`.
 *
 * Start and end go to event.start/event.end (so event.duration is the connection's life), the start is
 * `@timestamp`. The close reason is `event.reason`; it also gives the outcome when it can be read: an RFC 6455
 * close code 1000 (normal) or 1001 (going away) is success, 1002-1015 (protocol error, abnormal closure…)
 * failure except 1005 (no status received, which says nothing), and other codes unknown; a word like
 * normal/clean is success, error/timeout/abnormal/fail failure; anything else, or no reason, unknown. RayID (rayId) is the upgrade request's, `http.request.id`, and with the connection id the key
 * of event.id for the zone shape; the account shape has no key the engine can read (its names differ), so its
 * lines are hashed.
 */
export const websocketAnalytics = defineMapper({
  dataset: 'websocket_analytics',
  observerType: 'proxy',
  category: ['network', 'web'],
  type: ['connection', 'end'],
  idFields: ['RayID', 'ConnectionID'],
  // Two shapes with different time fields, so `all` cannot require one. EdgeStartTimestamp, ClientIP and RayID are
  // http_requests' too, ConnectionCloseReason zero_trust_network_sessions': these names are WebSocket's own.
  signature: {
    all: [],
    any: [
      'ConnectionID',
      'ConnectionCloseSource',
      'connectionId',
      'connectionCloseReason',
      'connectionCloseSource',
      'rayId',
      'timestampStartNanos',
      'timestampEndNanos',
    ],
  },
  fields: {
    // Zone dataset (PascalCase, times follow timestamp_format).
    ClientIP: { type: 'string', to: 'source.ip' },
    ConnectionCloseReason: { type: 'any', to: 'event.reason' },
    ConnectionCloseSource: { type: 'any' },
    ConnectionID: { type: 'any' },
    EdgeEndTimestamp: { type: 'time', to: 'event.end' },
    EdgeStartTimestamp: { type: 'time', to: ['@timestamp', 'event.start'] },
    // ECS http.request.id, and kept as RayID: the key that joins the connection to its upgrade request.
    RayID: { type: 'string', to: 'http.request.id', keep: true },

    // Account dataset (camelCase, times in Unix nanoseconds whatever the timestamp_format).
    clientIP: { type: 'string', to: 'source.ip' },
    connectionCloseReason: { type: 'any', to: 'event.reason' },
    connectionCloseSource: { type: 'any' },
    connectionId: { type: 'any' },
    rayId: { type: 'string', to: 'http.request.id', keep: true },
    timestampEndNanos: { type: 'time', to: 'event.end', unit: 'ns' },
    timestampStartNanos: { type: 'time', to: ['@timestamp', 'event.start'], unit: 'ns' },
  },
  derives: ['event.outcome', 'network.protocol'],
  refine({ event }) {
    setField(event, 'network.protocol', 'websocket');
    setField(event, 'event.outcome', closeOutcome(getField(event, 'event.reason')));
  },
});

const SUCCESS_WORDS = /normal|clean|going.?away|complete/i;
const FAILURE_WORDS = /error|timeout|timed.?out|abnormal|fail|reset|refused|unreachable/i;

/** `event.outcome` of a close reason (see the module comment). */
export function closeOutcome(reason: unknown): 'success' | 'failure' | 'unknown' {
  if (typeof reason !== 'string') return 'unknown';
  const text = reason.trim();
  if (/^\d{4}$/.test(text)) {
    const code = Number(text);
    if (code === 1000 || code === 1001) return 'success';
    if (code >= 1002 && code <= 1015 && code !== 1005) return 'failure';
    return 'unknown';
  }
  if (FAILURE_WORDS.test(text)) return 'failure';
  if (SUCCESS_WORDS.test(text)) return 'success';
  return 'unknown';
}

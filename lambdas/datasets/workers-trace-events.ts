import { type EcsEvent, getField, normalizeIp, setField } from '../core/ecs.ts';
import { headerValue } from './headers.ts';
import { setTlsVersion } from './http-requests.ts';
import { type CfRecord, defineMapper } from './mapper.ts';

/**
 * `workers_trace_events`: one line per invocation of a Cloudflare Worker, with what triggered it, its outcome, its
 * console output and uncaught exceptions (account-scoped). Fields: `../shared/cloudflare/workers_trace_events.md`;
 * the shape of the `Event`, `Exceptions` and `Logs` objects is the Workers runtime's trace item (fetch: request
 * url/method/headers/cf and response status; scheduled: cron; queue: queue and batch size; email: mailFrom,
 * rcptTo). EventTimestampMs is Unix milliseconds whatever the job's timestamp_format.
 *
 * The Worker is the function: ScriptName is service.name and faas.name, its version id faas.version, EventType
 * event.action and faas.trigger.type (fetch → http, scheduled/alarm → timer, queue → pubsub, others → other).
 * Category by trigger: fetch and WebSocket events `web`, email `email`, RPC `api`, the rest (cron, alarm, queue
 * consumer) `process`; type `info`. Outcome: ok → success, unknown or absent → unknown, every other value
 * (exception, canceled, exceededCpu, exceededMemory, scriptNotFound, …) → failure, kept as cloudflare.Outcome.
 * A fetch event's request fills url.*, http.*, user_agent.* and the client's source.*; the first uncaught
 * exception fills error.*; WallTimeMs is event.duration. Event, Exceptions and Logs are kept whole.
 */
export const workersTraceEvents = defineMapper({
  dataset: 'workers_trace_events',
  observerType: 'faas',
  category: ['process'],
  type: ['info'],
  // No id in a trace event: event.id hashes the line.
  // EventTimestampMs is this dataset's alone.
  signature: {
    all: ['EventTimestampMs'],
    any: ['ScriptName', 'Outcome', 'EventType', 'CPUTimeMs', 'WallTimeMs', 'ScriptVersion', 'Exceptions'],
  },
  fields: {
    CPUTimeMs: { type: 'int' },
    DispatchNamespace: { type: 'string' },
    Entrypoint: { type: 'string' },
    // Mined in refine for url/http/user agent/source/email, and kept whole.
    Event: { type: 'object' },
    // Documented as `int` milliseconds (not `int or string`): a fixed-unit time field.
    EventTimestampMs: { type: 'time', unit: 'ms', to: '@timestamp' },
    // → faas.trigger.type and event.category in refine as well.
    EventType: { type: 'string', to: 'event.action' },
    // The first → error.* in refine.
    Exceptions: { type: 'object[]' },
    Logs: { type: 'object[]' },
    // → event.outcome in refine; kept (the outcome folds exception, canceled, exceededCpu… into failure).
    Outcome: { type: 'string' },
    ScriptName: { type: 'string', to: ['service.name', 'faas.name'] },
    ScriptTags: { type: 'string[]' },
    // Its id → faas.version in refine; kept whole (tag, message).
    ScriptVersion: { type: 'object' },
    // Kept, and as event.duration (nanoseconds) in refine.
    WallTimeMs: { type: 'int' },
  },
  derives: [
    'email.from.address',
    'email.to.address',
    'error.message',
    'error.type',
    'event.duration',
    'event.outcome',
    'faas.trigger.type',
    'faas.version',
    'http.request.method',
    'http.response.status_code',
    'http.version',
    'source.as.number',
    'source.as.organization.name',
    'source.geo.city_name',
    'source.geo.country_iso_code',
    'source.ip',
    'tls.cipher',
    'tls.version',
    'tls.version_protocol',
    'url.original',
    'user_agent.original',
  ],
  refine({ event, vendor }) {
    const trigger = getField(event, 'event.action');
    if (typeof trigger === 'string') {
      const { category, triggerType } = triggerCategorization(trigger);
      setField(event, 'event.category', category);
      setField(event, 'faas.trigger.type', triggerType);
    }
    setField(event, 'event.outcome', outcomeOf(vendor.Outcome));
    if (typeof vendor.WallTimeMs === 'number') {
      setField(event, 'event.duration', vendor.WallTimeMs * 1_000_000);
    }
    const version = (vendor.ScriptVersion as CfRecord | undefined)?.id;
    if (typeof version === 'string') setField(event, 'faas.version', version);
    const first = (vendor.Exceptions as unknown[] | undefined)?.[0];
    if (isObject(first)) {
      setField(event, 'error.type', stringOrUndefined(first.name));
      setField(event, 'error.message', stringOrUndefined(first.message));
    }
    if (isObject(vendor.Event)) mapSourceEvent(vendor.Event, event);
  },
});

const TRIGGERS: Readonly<Record<string, { category: string[]; triggerType: string }>> = {
  fetch: { category: ['web'], triggerType: 'http' },
  hibernatable_web_socket: { category: ['web'], triggerType: 'other' },
  email: { category: ['email'], triggerType: 'other' },
  worker_rpc: { category: ['api'], triggerType: 'other' },
  scheduled: { category: ['process'], triggerType: 'timer' },
  alarm: { category: ['process'], triggerType: 'timer' },
  queue: { category: ['process'], triggerType: 'pubsub' },
};

/** event.category and faas.trigger.type (ECS: http, pubsub, datasource, timer, other) for an EventType. */
export function triggerCategorization(eventType: string): { category: string[]; triggerType: string } {
  const known = TRIGGERS[eventType.toLowerCase()];
  return known
    ? { category: [...known.category], triggerType: known.triggerType }
    : { category: ['process'], triggerType: 'other' };
}

/** event.outcome for an invocation Outcome (see the module comment). */
export function outcomeOf(outcome: unknown): 'success' | 'failure' | 'unknown' {
  if (typeof outcome !== 'string' || outcome === '' || outcome.toLowerCase() === 'unknown') return 'unknown';
  return outcome.toLowerCase() === 'ok' ? 'success' : 'failure';
}

function isObject(value: unknown): value is CfRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** What the trace item's event says about the request (fetch) or the message (email). */
function mapSourceEvent(source: CfRecord, event: EcsEvent): void {
  const request = source.request;
  if (isObject(request)) {
    setField(event, 'url.original', stringOrUndefined(request.url));
    setField(event, 'http.request.method', stringOrUndefined(request.method));
    setField(event, 'user_agent.original', headerValue(request.headers, 'user-agent'));
    // Sensitive headers may be redacted: only a real address is taken.
    setField(event, 'source.ip', normalizeIp(headerValue(request.headers, 'cf-connecting-ip')));
    mapRequestCf(request.cf, event);
  }
  const response = source.response;
  if (isObject(response) && typeof response.status === 'number' && Number.isInteger(response.status)) {
    setField(event, 'http.response.status_code', response.status);
  }
  // ECS keeps the addresses of a message as lists.
  for (const [field, path] of [
    ['mailFrom', 'email.from.address'],
    ['rcptTo', 'email.to.address'],
  ] as const) {
    const address = stringOrUndefined(source[field]);
    if (address !== undefined) setField(event, path, [address]);
  }
}

/** The request's `cf` properties: the client's network and the connection Cloudflare received. */
function mapRequestCf(cf: unknown, event: EcsEvent): void {
  if (!isObject(cf)) return;
  if (typeof cf.asn === 'number' && Number.isInteger(cf.asn)) setField(event, 'source.as.number', cf.asn);
  setField(event, 'source.as.organization.name', stringOrUndefined(cf.asOrganization));
  setField(event, 'source.geo.country_iso_code', stringOrUndefined(cf.country));
  setField(event, 'source.geo.city_name', stringOrUndefined(cf.city));
  const protocol = stringOrUndefined(cf.httpProtocol);
  const http = protocol === undefined ? null : /^HTTP\/(\d+(?:\.\d+)?)$/i.exec(protocol);
  if (http) setField(event, 'http.version', http[1]);
  setTlsVersion(event, cf.tlsVersion);
  setField(event, 'tls.cipher', stringOrUndefined(cf.tlsCipher));
}

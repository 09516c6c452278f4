import { type EcsEvent, getField, normalizeIp, setField } from '../core/ecs.ts';
import { outcomeOfStatus } from './http-requests.ts';
import { type CfRecord, defineMapper } from './mapper.ts';

/**
 * `dex_application_tests`: one line per run of a Digital Experience Monitoring test on one device (an HTTP GET of
 * an application, or a traceroute to it), reported by the WARP client (account-scoped).
 * There is no `../shared/cloudflare/dex_application_tests.md`: the field table was written from Cloudflare's public
 * Logpush field reference (developers.cloudflare.com/logs/reference/log-fields/account/dex_application_tests/),
 * not from a saved copy. Less certain: the HTTP milestone names besides HTTPRequestStartMs/HTTPResponseStartMs
 * (HTTPConnect*, HTTPDNS*, HTTPTLS*, HTTPResponseEndMs), TracerouteDestinationIPAddress and TracerouteHops.
 *
 * Timestamp is the start of the test (`@timestamp` and `event.start`), TracerouteTimeEnd its end for a traceroute
 * (so `event.duration`). The HTTP*Ms fields are offsets in milliseconds from the test start, not times: they are
 * kept, and the largest of them is the HTTP test's `event.duration`. Category network, type info, observer agent
 * (the WARP client measures). Outcome: an HTTPErrorMessage, an HTTP status from 400 (the convention of
 * http_requests) or a failed TracerouteStatus → failure; a status below 400 or a successful traceroute → success;
 * otherwise unknown.
 */
export const dexApplicationTests = defineMapper({
  dataset: 'dex_application_tests',
  observerType: 'agent',
  category: ['network'],
  type: ['info'],
  // TestID names the configured test, which runs again and again on every device: with the device and the start
  // time it names one run.
  idFields: ['TestID', 'DeviceID', 'Timestamp'],
  // Timestamp is shared by many datasets; these names are only in DEX test results.
  signature: {
    all: ['Timestamp'],
    any: [
      'TestID',
      'TestName',
      'HTTPClientIPAddress',
      'HTTPServerIPAddress',
      'TracerouteStatus',
      'TracerouteTimeEnd',
      'TracerouteSourceIPAddress',
    ],
  },
  fields: {
    AccountID: { type: 'string', to: 'cloud.account.id' },
    DeviceID: { type: 'string', to: 'device.id' },
    HTTPClientIPAddress: { type: 'string', to: 'source.ip' },
    HTTPConnectEndMs: { type: 'int' },
    HTTPConnectStartMs: { type: 'int' },
    HTTPDNSEndMs: { type: 'int' },
    HTTPDNSStartMs: { type: 'int' },
    HTTPErrorMessage: { type: 'string', to: 'error.message' },
    HTTPMethod: { type: 'string', to: 'http.request.method' },
    HTTPRedirectEndMs: { type: 'int' },
    HTTPRedirectStartMs: { type: 'int' },
    HTTPRequestStartMs: { type: 'int' },
    HTTPResponseEndMs: { type: 'int' },
    HTTPResponseStartMs: { type: 'int' },
    HTTPServerIPAddress: { type: 'string', to: 'destination.ip' },
    HTTPStatusCode: { type: 'int', to: 'http.response.status_code' },
    HTTPTLSEndMs: { type: 'int' },
    HTTPTLSStartMs: { type: 'int' },
    TestID: { type: 'string' },
    TestName: { type: 'string' },
    Timestamp: { type: 'time', to: ['@timestamp', 'event.start'] },
    // → destination.ip/source.ip in refine when the HTTP addresses are absent (a traceroute test).
    TracerouteDestinationIPAddress: { type: 'string' },
    TracerouteHops: { type: 'any' },
    TracerouteSourceIPAddress: { type: 'string' },
    // → event.outcome in refine.
    TracerouteStatus: { type: 'string' },
    TracerouteTimeEnd: { type: 'time', to: 'event.end' },
    UserEmail: { type: 'string', to: 'user.email' },
    UserID: { type: 'string', to: 'user.id' },
  },
  derives: ['event.duration', 'event.outcome', 'network.protocol'],
  refine({ values, event, vendor }) {
    fillIp(event, vendor, 'source.ip', 'TracerouteSourceIPAddress');
    fillIp(event, vendor, 'destination.ip', 'TracerouteDestinationIPAddress');
    if (values.HTTPMethod !== undefined || values.HTTPStatusCode !== undefined) {
      setField(event, 'network.protocol', 'http');
    }
    const offset = lastHttpOffsetMs(values);
    if (offset !== undefined && getField(event, 'event.duration') === undefined) {
      setField(event, 'event.duration', offset * 1_000_000);
    }
    setField(event, 'event.outcome', testOutcome(values));
  },
});

/** The latest HTTP milestone of a test, in ms from its start (the table's `HTTP…Ms` fields). */
function lastHttpOffsetMs(values: Readonly<CfRecord>): number | undefined {
  let last: number | undefined;
  for (const key in values) {
    const value = values[key];
    if (!/^HTTP\w*Ms$/.test(key) || typeof value !== 'number' || !Number.isInteger(value) || value < 0)
      continue;
    if (last === undefined || value > last) last = value;
  }
  return last;
}

/** Sets `path` from the vendor field `key` when nothing set it yet, and then keeps the field only under ECS. */
function fillIp(event: EcsEvent, vendor: CfRecord, path: string, key: string): void {
  if (getField(event, path) !== undefined) return;
  const ip = normalizeIp(vendor[key]);
  if (ip === undefined) return;
  setField(event, path, ip);
  vendor[key] = undefined;
}

const TRACEROUTE_SUCCESS = /^(success|succeeded|ok|completed?|reached)/;
const TRACEROUTE_FAILURE = /^(fail|error|timeout|timed|unreachable|aborted)/;

/** The outcome of a test run (see the module comment); a failure of any part fails the run. */
export function testOutcome(values: Readonly<CfRecord>): 'success' | 'failure' | 'unknown' {
  const parts: string[] = [];
  if (values.HTTPErrorMessage !== undefined) parts.push('failure');
  parts.push(outcomeOfStatus(values.HTTPStatusCode));
  const traceroute = typeof values.TracerouteStatus === 'string' ? values.TracerouteStatus.toLowerCase() : '';
  if (TRACEROUTE_FAILURE.test(traceroute)) parts.push('failure');
  else if (TRACEROUTE_SUCCESS.test(traceroute)) parts.push('success');
  if (parts.includes('failure')) return 'failure';
  return parts.includes('success') ? 'success' : 'unknown';
}

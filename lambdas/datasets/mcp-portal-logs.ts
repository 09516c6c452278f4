import { setField } from '../core/ecs.ts';
import { type CfRecord, defineMapper } from './mapper.ts';

/**
 * `mcp_portal_logs`: one line per Model Context Protocol request that a user's client sent through a Cloudflare MCP
 * server portal (Access-protected gateway in front of MCP servers): initialize, tools/list, tools/call… with the
 * server it went to and whether it succeeded (account-scoped).
 * There is no `../shared/cloudflare/mcp_portal_logs.md`: the field table was written from Cloudflare's public Logpush
 * field reference (developers.cloudflare.com/logs/reference/log-fields/account/mcp_portal_logs/), not from a saved
 * copy. Less certain: ClientCountry, PortalAUD, PortalID, ServerAUD, ServerID, ServerURL, PromptGetName,
 * ResourceReadURI and ServerResponseDurationMs (kept as they come unless mapped).
 *
 * A JSON-RPC call through a gateway: category api, type access, observer proxy. Method (the JSON-RPC method) is
 * `event.action`, so every line has the same kind of action; what it acted on (ToolCallName, PromptGetName,
 * ResourceReadURI) is kept beside it. ServerURL, the MCP server the portal forwarded to, is `url.*`. Outcome:
 * Success true → success, false → failure; without Success (a job may leave it out), an Error (→ `error.message`)
 * → failure; otherwise unknown.
 */
export const mcpPortalLogs = defineMapper({
  dataset: 'mcp_portal_logs',
  observerType: 'proxy',
  category: ['api'],
  type: ['access'],
  // SessionID is the MCP session, shared by every call in it: not a key of one line, so the line is hashed.
  // Datetime is shared by firewall_events, gateway_*, ssh_logs and dlp_forensic_copies; ClientIP by firewall_events.
  signature: {
    all: ['Datetime'],
    any: [
      'ToolCallName',
      'Success',
      'PortalID',
      'PortalAUD',
      'ServerURL',
      'PromptGetName',
      'ResourceReadURI',
    ],
  },
  fields: {
    AccountID: { type: 'string', to: 'cloud.account.id' },
    ClientCountry: { type: 'string', to: 'source.geo.country_iso_code' },
    ClientIP: { type: 'string', to: ['source.ip', 'client.ip'] },
    Datetime: { type: 'time', to: '@timestamp' },
    // → event.outcome in refine as well, when Success is absent.
    Error: { type: 'string', to: 'error.message' },
    Method: { type: 'string', to: 'event.action' },
    PortalAUD: { type: 'any' },
    PortalID: { type: 'any' },
    PromptGetName: { type: 'any' },
    ResourceReadURI: { type: 'any' },
    ServerAUD: { type: 'any' },
    ServerID: { type: 'any' },
    // Kept, and as event.duration (nanoseconds) in refine when it is a number of milliseconds.
    ServerResponseDurationMs: { type: 'any' },
    ServerURL: { type: 'string', to: 'url.original' },
    SessionID: { type: 'string' },
    // → event.outcome in refine.
    Success: { type: 'bool' },
    ToolCallName: { type: 'string' },
    UserEmail: { type: 'string', to: 'user.email' },
    UserID: { type: 'string', to: 'user.id' },
  },
  derives: ['event.duration', 'event.outcome'],
  refine({ values, event }) {
    setField(event, 'event.outcome', callOutcome(values));
    const ms = values.ServerResponseDurationMs;
    if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) {
      setField(event, 'event.duration', Math.round(ms * 1_000_000));
    }
  },
});

/** The outcome of a call (see the module comment): Success decides, an Error without it is a failure. */
function callOutcome(values: Readonly<CfRecord>): 'success' | 'failure' | 'unknown' {
  if (typeof values.Success === 'boolean') return values.Success ? 'success' : 'failure';
  return values.Error !== undefined ? 'failure' : 'unknown';
}

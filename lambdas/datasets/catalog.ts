/**
 * Every Cloudflare Logpush dataset this project knows, with the scope(s) a Logpush job for it lives in.
 *
 * Source: `../shared/cloudflare/INDEX.md` (inventory of 2026-09-15). Scope decides the API path of the job
 * (`/zones/{id}` or `/accounts/{id}`) and therefore the id segment of the object key prefix.
 */
export type DatasetScope = 'zone' | 'account';

/** Dataset name → the scopes a Logpush job for it can have. */
export const DATASET_SCOPES = {
  // zone-scoped
  http_requests: ['zone'],
  firewall_events: ['zone', 'account'],
  dns_logs: ['zone'],
  spectrum_events: ['zone'],
  nel_reports: ['zone'],
  page_shield_events: ['zone'],
  websocket_analytics: ['zone', 'account'],
  zaraz_events: ['zone'],
  account_abuse_protection_events: ['zone', 'account'],
  // account-scoped
  access_requests: ['account'],
  audit_logs: ['account'],
  audit_logs_v2: ['account'],
  biso_user_actions: ['account'],
  casb_findings: ['account'],
  device_posture_results: ['account'],
  dex_application_tests: ['account'],
  dex_device_state_events: ['account'],
  dlp_forensic_copies: ['account'],
  dns_firewall_logs: ['account'],
  email_security_alerts: ['account'],
  email_security_post_delivery_events: ['account'],
  gateway_dns: ['account'],
  gateway_http: ['account'],
  gateway_network: ['account'],
  ipsec_logs: ['account'],
  magic_bgp_logs: ['account'],
  magic_ids_detections: ['account'],
  mcp_portal_logs: ['account'],
  mnm_flow_logs: ['account'],
  network_analytics_logs: ['account'],
  sinkhole_http_logs: ['account'],
  ssh_logs: ['account'],
  turnstile_events: ['account'],
  warp_config_changes: ['account'],
  warp_toggle_changes: ['account'],
  workers_trace_events: ['account'],
  zero_trust_network_sessions: ['account'],
} as const satisfies Record<string, readonly DatasetScope[]>;

/** A Cloudflare Logpush dataset name. */
export type DatasetName = keyof typeof DATASET_SCOPES;

/** All known dataset names, in catalogue order. */
export const DATASET_NAMES = Object.keys(DATASET_SCOPES) as DatasetName[];

/** True when `name` is a Logpush dataset this project knows. */
export function isDatasetName(name: string): name is DatasetName {
  return Object.hasOwn(DATASET_SCOPES, name);
}

/** True when a Logpush job for `dataset` can be created in `scope`. */
export function datasetHasScope(dataset: DatasetName, scope: DatasetScope): boolean {
  return (DATASET_SCOPES[dataset] as readonly DatasetScope[]).includes(scope);
}

import { accessRequests } from './access-requests.ts';
import { accountAbuseProtectionEvents } from './account-abuse-protection-events.ts';
import { auditLogs } from './audit-logs.ts';
import { auditLogsV2 } from './audit-logs-v2.ts';
import { bisoUserActions } from './biso-user-actions.ts';
import { casbFindings } from './casb-findings.ts';
import type { DatasetName } from './catalog.ts';
import { devicePostureResults } from './device-posture-results.ts';
import { dexApplicationTests } from './dex-application-tests.ts';
import { dexDeviceStateEvents } from './dex-device-state-events.ts';
import { dlpForensicCopies } from './dlp-forensic-copies.ts';
import { dnsFirewallLogs } from './dns-firewall-logs.ts';
import { dnsLogs } from './dns-logs.ts';
import { emailSecurityAlerts } from './email-security-alerts.ts';
import { emailSecurityPostDeliveryEvents } from './email-security-post-delivery-events.ts';
import { firewallEvents } from './firewall-events.ts';
import { gatewayDns } from './gateway-dns.ts';
import { gatewayHttp } from './gateway-http.ts';
import { gatewayNetwork } from './gateway-network.ts';
import { httpRequests } from './http-requests.ts';
import { ipsecLogs } from './ipsec-logs.ts';
import { magicBgpLogs } from './magic-bgp-logs.ts';
import { magicIdsDetections } from './magic-ids-detections.ts';
import type { CfRecord, DatasetMapper } from './mapper.ts';
import { mcpPortalLogs } from './mcp-portal-logs.ts';
import { mnmFlowLogs } from './mnm-flow-logs.ts';
import { nelReports } from './nel-reports.ts';
import { networkAnalyticsLogs } from './network-analytics-logs.ts';
import { pageShieldEvents } from './page-shield-events.ts';
import { sinkholeHttpLogs } from './sinkhole-http-logs.ts';
import { spectrumEvents } from './spectrum-events.ts';
import { sshLogs } from './ssh-logs.ts';
import { turnstileEvents } from './turnstile-events.ts';
import { warpConfigChanges } from './warp-config-changes.ts';
import { warpToggleChanges } from './warp-toggle-changes.ts';
import { websocketAnalytics } from './websocket-analytics.ts';
import { workersTraceEvents } from './workers-trace-events.ts';
import { zarazEvents } from './zaraz-events.ts';
import { zeroTrustNetworkSessions } from './zero-trust-network-sessions.ts';

/** The mapper of every Logpush dataset, in catalogue order: a dataset added to the catalogue needs one to compile. */
export const MAPPERS: Readonly<Record<DatasetName, DatasetMapper>> = {
  http_requests: httpRequests,
  firewall_events: firewallEvents,
  dns_logs: dnsLogs,
  spectrum_events: spectrumEvents,
  nel_reports: nelReports,
  page_shield_events: pageShieldEvents,
  websocket_analytics: websocketAnalytics,
  zaraz_events: zarazEvents,
  account_abuse_protection_events: accountAbuseProtectionEvents,
  access_requests: accessRequests,
  audit_logs: auditLogs,
  audit_logs_v2: auditLogsV2,
  biso_user_actions: bisoUserActions,
  casb_findings: casbFindings,
  device_posture_results: devicePostureResults,
  dex_application_tests: dexApplicationTests,
  dex_device_state_events: dexDeviceStateEvents,
  dlp_forensic_copies: dlpForensicCopies,
  dns_firewall_logs: dnsFirewallLogs,
  email_security_alerts: emailSecurityAlerts,
  email_security_post_delivery_events: emailSecurityPostDeliveryEvents,
  gateway_dns: gatewayDns,
  gateway_http: gatewayHttp,
  gateway_network: gatewayNetwork,
  ipsec_logs: ipsecLogs,
  magic_bgp_logs: magicBgpLogs,
  magic_ids_detections: magicIdsDetections,
  mcp_portal_logs: mcpPortalLogs,
  mnm_flow_logs: mnmFlowLogs,
  network_analytics_logs: networkAnalyticsLogs,
  sinkhole_http_logs: sinkholeHttpLogs,
  ssh_logs: sshLogs,
  turnstile_events: turnstileEvents,
  warp_config_changes: warpConfigChanges,
  warp_toggle_changes: warpToggleChanges,
  workers_trace_events: workersTraceEvents,
  zero_trust_network_sessions: zeroTrustNetworkSessions,
};

/** The mapper of `dataset`. */
export function mapperFor(dataset: DatasetName): DatasetMapper {
  return MAPPERS[dataset];
}

const ALL: readonly DatasetMapper[] = Object.values(MAPPERS);

/**
 * The dataset a record looks like, judged by its fields, when the object key does not name it. Each mapper's
 * signature names its time field and fields only that dataset carries; when several signatures still match (a zone
 * websocket_analytics line has every field http_requests requires, say), the mapper whose table knows most of the
 * record's fields wins, and a tie goes to the first in catalogue order.
 */
export function detectDataset(record: CfRecord): DatasetMapper | undefined {
  let best: DatasetMapper | undefined;
  let bestScore = -1;
  for (const mapper of ALL) {
    if (!mapper.matches(record)) continue;
    let score = 0;
    for (const key in record) if (Object.hasOwn(mapper.spec.fields, key)) score++;
    if (score > bestScore) {
      best = mapper;
      bestScore = score;
    }
  }
  return best;
}

import { accountAbuseProtectionEvents } from './account-abuse-protection-events.ts';
import { dnsFirewallLogs } from './dns-firewall-logs.ts';
import type { DatasetMapper } from './mapper.ts';
import { nelReports } from './nel-reports.ts';
import { pageShieldEvents } from './page-shield-events.ts';
import { sinkholeHttpLogs } from './sinkhole-http-logs.ts';
import { turnstileEvents } from './turnstile-events.ts';
import { websocketAnalytics } from './websocket-analytics.ts';
import { zarazEvents } from './zaraz-events.ts';

/** Mappers registered by this group (merged into MAPPERS by index.ts). */
export const GROUP_C: readonly DatasetMapper[] = [
  nelReports,
  pageShieldEvents,
  websocketAnalytics,
  zarazEvents,
  accountAbuseProtectionEvents,
  turnstileEvents,
  sinkholeHttpLogs,
  dnsFirewallLogs,
];

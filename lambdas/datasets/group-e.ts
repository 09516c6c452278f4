import { emailSecurityAlerts } from './email-security-alerts.ts';
import { emailSecurityPostDeliveryEvents } from './email-security-post-delivery-events.ts';
import { ipsecLogs } from './ipsec-logs.ts';
import { magicBgpLogs } from './magic-bgp-logs.ts';
import { magicIdsDetections } from './magic-ids-detections.ts';
import type { DatasetMapper } from './mapper.ts';
import { mnmFlowLogs } from './mnm-flow-logs.ts';
import { networkAnalyticsLogs } from './network-analytics-logs.ts';

/** Mappers registered by this group (merged into MAPPERS by index.ts). */
export const GROUP_E: readonly DatasetMapper[] = [
  emailSecurityAlerts,
  emailSecurityPostDeliveryEvents,
  ipsecLogs,
  magicBgpLogs,
  magicIdsDetections,
  mnmFlowLogs,
  networkAnalyticsLogs,
];

import { auditLogsV2 } from './audit-logs-v2.ts';
import { casbFindings } from './casb-findings.ts';
import { devicePostureResults } from './device-posture-results.ts';
import type { DatasetMapper } from './mapper.ts';
import { spectrumEvents } from './spectrum-events.ts';
import { workersTraceEvents } from './workers-trace-events.ts';
import { zeroTrustNetworkSessions } from './zero-trust-network-sessions.ts';

/** Mappers registered by this group (merged into MAPPERS by index.ts). */
export const GROUP_B: readonly DatasetMapper[] = [
  auditLogsV2,
  casbFindings,
  devicePostureResults,
  spectrumEvents,
  workersTraceEvents,
  zeroTrustNetworkSessions,
];

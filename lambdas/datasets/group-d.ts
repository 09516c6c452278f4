import { bisoUserActions } from './biso-user-actions.ts';
import { dexApplicationTests } from './dex-application-tests.ts';
import { dexDeviceStateEvents } from './dex-device-state-events.ts';
import { dlpForensicCopies } from './dlp-forensic-copies.ts';
import type { DatasetMapper } from './mapper.ts';
import { mcpPortalLogs } from './mcp-portal-logs.ts';
import { sshLogs } from './ssh-logs.ts';
import { warpConfigChanges } from './warp-config-changes.ts';
import { warpToggleChanges } from './warp-toggle-changes.ts';

/** Mappers registered by this group (merged into MAPPERS by index.ts). */
export const GROUP_D: readonly DatasetMapper[] = [
  bisoUserActions,
  dexApplicationTests,
  dexDeviceStateEvents,
  dlpForensicCopies,
  mcpPortalLogs,
  sshLogs,
  warpConfigChanges,
  warpToggleChanges,
];

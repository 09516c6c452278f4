import { accessRequests } from './access-requests.ts';
import { auditLogs } from './audit-logs.ts';
import type { DatasetName } from './catalog.ts';
import { firewallEvents } from './firewall-events.ts';
import { gatewayDns } from './gateway-dns.ts';
import { GROUP_A } from './group-a.ts';
import { GROUP_B } from './group-b.ts';
import { GROUP_C } from './group-c.ts';
import { GROUP_D } from './group-d.ts';
import { GROUP_E } from './group-e.ts';
import { httpRequests } from './http-requests.ts';
import type { CfRecord, DatasetMapper } from './mapper.ts';

/** Mappers by Cloudflare dataset name. Datasets without a mapper are quarantined with that reason. */
export const MAPPERS: Readonly<Partial<Record<DatasetName, DatasetMapper>>> = {
  access_requests: accessRequests,
  audit_logs: auditLogs,
  firewall_events: firewallEvents,
  gateway_dns: gatewayDns,
  http_requests: httpRequests,
  ...Object.fromEntries(
    [...GROUP_A, ...GROUP_B, ...GROUP_C, ...GROUP_D, ...GROUP_E].map((m) => [m.dataset, m]),
  ),
};

/** The mapper of `dataset`, if the project has one. */
export function mapperFor(dataset: DatasetName): DatasetMapper | undefined {
  return MAPPERS[dataset];
}

// Each signature requires its dataset's time field (Datetime, CreatedAt, When, EdgeStartTimestamp), so only the
// two Datetime datasets can compete; their `any` lists share no name. Most specific first all the same: firewall
// events also carry ClientRequestHost/RayID like http_requests, gateway logs share Datetime.
const DETECTION_ORDER: readonly DatasetName[] = [
  'firewall_events',
  'gateway_dns',
  'access_requests',
  'audit_logs',
  'http_requests',
];

/** The dataset a record looks like, judged by its fields, when the object key does not name it. */
export function detectDataset(record: CfRecord): DatasetMapper | undefined {
  for (const name of DETECTION_ORDER) {
    const mapper = MAPPERS[name];
    if (mapper?.matches(record)) return mapper;
  }
  for (const mapper of Object.values(MAPPERS)) if (mapper.matches(record)) return mapper;
  return undefined;
}

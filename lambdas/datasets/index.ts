import { accessRequests } from './access-requests.ts';
import type { DatasetName } from './catalog.ts';
import type { CfRecord, DatasetMapper } from './mapper.ts';

/** Mappers by Cloudflare dataset name. Datasets without a mapper are quarantined with that reason. */
export const MAPPERS: Readonly<Partial<Record<DatasetName, DatasetMapper>>> = {
  access_requests: accessRequests,
};

/** The mapper of `dataset`, if the project has one. */
export function mapperFor(dataset: DatasetName): DatasetMapper | undefined {
  return MAPPERS[dataset];
}

// Most specific signatures first: firewall events also carry ClientRequestHost, gateway logs also Datetime.
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

import { dnsLogs } from './dns-logs.ts';
import { gatewayHttp } from './gateway-http.ts';
import { gatewayNetwork } from './gateway-network.ts';
import type { DatasetMapper } from './mapper.ts';

/** Mappers registered by this group (merged into MAPPERS by index.ts). */
export const GROUP_A: readonly DatasetMapper[] = [dnsLogs, gatewayHttp, gatewayNetwork];

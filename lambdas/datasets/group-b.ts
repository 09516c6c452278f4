import type { DatasetMapper } from './mapper.ts';

/** Mappers registered by this group (merged into MAPPERS by index.ts). */
export const GROUP_B: readonly DatasetMapper[] = [];

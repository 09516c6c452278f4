import { getField, setField } from '../core/ecs.ts';
import { defineMapper } from './mapper.ts';

/**
 * `nel_reports`: one line per Network Error Logging report (W3C NEL) a visitor's browser sent about a failed (or,
 * when sampled, a successful) request to the zone, zone-scoped. There is no field table in `../shared/cloudflare/`:
 * this one was written from Cloudflare's public Logpush field reference (reference/log-fields/zone/nel_reports,
 * from memory, not from a saved copy); the seven names are the whole documented list and their types are certain
 * except ClientIPASNDescription (a later addition, name less certain).
 *
 * The report carries no client IP, only its network (ASN) and country, which go to `source.*`. NEL's error type
 * (`dns.name_not_resolved`, `tcp.timed_out`, `http.error`…, or `ok`) is `event.action`; the phase it failed in
 * (dns, connection, application) decides the category: application → web, dns/connection → network, otherwise
 * both. A report of type `ok` is `info`/success, any other type an `error`/failure (with `error.type`), and a
 * report without a type is `info`/unknown.
 */
export const nelReports = defineMapper({
  dataset: 'nel_reports',
  observerType: 'proxy',
  category: ['network', 'web'],
  type: ['info'],
  // Timestamp is shared by many datasets (and Phase by dlp_forensic_copies): these names are only in NEL reports.
  signature: {
    all: ['Timestamp'],
    any: ['ClientIPASN', 'ClientIPASNDescription', 'ClientIPCountry', 'LastKnownGoodColoCode'],
  },
  fields: {
    ClientIPASN: { type: 'int', to: 'source.as.number' },
    ClientIPASNDescription: { type: 'string', to: 'source.as.organization.name' },
    ClientIPCountry: { type: 'string', to: 'source.geo.country_iso_code' },
    // The IATA code of the data centre the client last reached successfully.
    LastKnownGoodColoCode: { type: 'string' },
    // Kept; sets event.category in refine.
    Phase: { type: 'string' },
    Timestamp: { type: 'time', to: '@timestamp' },
    // → error.type, event.type and event.outcome in refine as well.
    Type: { type: 'string', to: 'event.action' },
  },
  derives: ['error.type', 'event.outcome'],
  refine({ record, event }) {
    const phase = typeof record.Phase === 'string' ? PHASE_CATEGORY[record.Phase.toLowerCase()] : undefined;
    if (phase) setField(event, 'event.category', [phase]);

    const type = getField(event, 'event.action');
    if (typeof type !== 'string') {
      setField(event, 'event.outcome', 'unknown');
    } else if (type.toLowerCase() === 'ok') {
      setField(event, 'event.outcome', 'success');
    } else {
      setField(event, 'event.type', ['error']);
      setField(event, 'event.outcome', 'failure');
      setField(event, 'error.type', type);
    }
  },
});

// NEL phases (W3C Network Error Logging §"phase"): name resolution and connection setup are network failures, the
// application phase is the HTTP exchange itself.
const PHASE_CATEGORY: Readonly<Record<string, string>> = {
  dns: 'network',
  connection: 'network',
  application: 'web',
};

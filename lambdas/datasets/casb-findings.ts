import { getField, setField } from '../core/ecs.ts';
import { defineMapper } from './mapper.ts';

/**
 * `casb_findings`: one line per finding of Cloudflare's API-based CASB (Zero Trust), a security issue found on
 * an asset of an integrated SaaS application: a file shared publicly, a user without 2FA (account-scoped).
 * Fields: `../shared/cloudflare/casb_findings.md`. A finding is about an asset, not a connection: there is no IP,
 * no user and no action field.
 *
 * The finding type is the detection rule (rule.id/name), its severity the finding's (vulnerability.severity as
 * written, and event.severity on the 21/47/73/99 scale of Elastic's detection rules: low/medium/high/critical).
 * So event.kind is `alert`, category `configuration` (a misconfiguration of the SaaS tenant) and `vulnerability`
 * (a scanner's result), type `info`. No event.outcome: a finding neither succeeds nor fails. The asset's link is
 * url.original (split by the engine); the asset's names and the integration stay under cloudflare.*.
 */
export const casbFindings = defineMapper({
  dataset: 'casb_findings',
  observerType: 'casb',
  kind: 'alert',
  category: ['configuration', 'vulnerability'],
  type: ['info'],
  // "UUID of the finding in Cloudflare's system".
  idFields: ['InstanceID'],
  // DetectedTimestamp is this dataset's alone; these names are the finding's and the asset's.
  signature: {
    all: ['DetectedTimestamp'],
    any: ['InstanceID', 'FindingTypeID', 'FindingTypeDisplayName', 'AssetExternalID', 'IntegrationID'],
  },
  fields: {
    AssetDisplayName: { type: 'string' },
    AssetExternalID: { type: 'string' },
    AssetLink: { type: 'string', to: 'url.original' },
    AssetMetadata: { type: 'object' },
    DetectedTimestamp: { type: 'time', to: '@timestamp' },
    FindingTypeDisplayName: { type: 'string', to: 'rule.name' },
    FindingTypeID: { type: 'string', to: 'rule.id' },
    // Also → event.severity (number) in refine.
    FindingTypeSeverity: { type: 'string', to: 'vulnerability.severity' },
    // The natural key of event.id, kept under its own name (what the CASB console and API call the finding).
    InstanceID: { type: 'string' },
    IntegrationDisplayName: { type: 'string' },
    IntegrationID: { type: 'string' },
    IntegrationPolicyVendor: { type: 'string' },
  },
  derives: ['event.severity'],
  refine({ event }) {
    const severity = getField(event, 'vulnerability.severity');
    if (typeof severity === 'string') setField(event, 'event.severity', severityScore(severity));
  },
});

// Elastic's detection-rule scale (the severity a rule maps to its default risk score).
const SEVERITY_SCORES: Readonly<Record<string, number>> = { low: 21, medium: 47, high: 73, critical: 99 };

/** event.severity for a finding severity (`High` → 73); undefined for a value not on the scale. */
export function severityScore(severity: string): number | undefined {
  return SEVERITY_SCORES[severity.trim().toLowerCase()];
}

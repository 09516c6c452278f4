import { describe, expect, it } from 'vitest';
import { getField } from '../../../lambdas/core/ecs.ts';
import { MappingError } from '../../../lambdas/core/errors.ts';
import { casbFindings, severityScore } from '../../../lambdas/datasets/casb-findings.ts';
import { detectDataset } from '../../../lambdas/datasets/index.ts';
import type { CfRecord } from '../../../lambdas/datasets/mapper.ts';
import { fixtureLines, mapLine, mapRecord } from '../../fixtures/datasets/load.ts';

const [publicFile, userWithout2fa] = fixtureLines('casb_findings', 'public-file');

const base: CfRecord = {
  DetectedTimestamp: '2026-01-01T00:00:00Z',
  InstanceID: '00000000-0000-4000-8000-000000000001',
};
const map = (extra: CfRecord) => mapRecord(casbFindings, { ...base, ...extra });

describe('casb_findings mapper', () => {
  it('maps a publicly shared file finding to the complete ECS event', () => {
    expect(mapLine(casbFindings, publicFile!)).toEqual({
      '@timestamp': '2026-01-03T08:00:00Z',
      ecs: { version: '8.17.0' },
      event: {
        kind: 'alert',
        category: ['configuration', 'vulnerability'],
        type: ['info'],
        severity: 73,
        dataset: 'casb_findings',
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
      observer: { vendor: 'Cloudflare', type: 'casb' },
      rule: { id: '00000000-0000-4000-8000-000000000011', name: 'File Publicly Accessible Read Only' },
      vulnerability: { severity: 'High' },
      url: {
        original: 'https://drive.example.com/file/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789/view?usp=sharing',
        full: 'https://drive.example.com/file/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789/view?usp=sharing',
        scheme: 'https',
        domain: 'drive.example.com',
        registered_domain: 'example.com',
        subdomain: 'drive',
        top_level_domain: 'com',
        port: 443,
        path: '/file/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789/view',
        query: 'usp=sharing',
      },
      related: { hosts: ['drive.example.com'] },
      cloudflare: {
        AssetDisplayName: 'Q3 Payroll.xlsx',
        AssetExternalID: '1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789',
        AssetMetadata: {
          mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
          owner: 'frank@example.com',
          sharing: 'anyoneWithLink',
        },
        InstanceID: '00000000-0000-4000-8000-000000000012',
        IntegrationDisplayName: 'My Google Workspace Integration',
        IntegrationID: '00000000-0000-4000-8000-000000000013',
        IntegrationPolicyVendor: 'Google Workspace Standard Policy',
      },
    });
  });

  it('maps a finding without a link, in unix seconds: no url, low severity, no outcome', () => {
    const event = mapLine(casbFindings, userWithout2fa!);
    expect(event['@timestamp']).toBe('2026-01-03T09:00:00Z');
    expect(event.url).toBeUndefined();
    expect(event.event).toMatchObject({ severity: 21 });
    expect(getField(event, 'event.outcome')).toBeUndefined();
    expect(getField(event, 'vulnerability.severity')).toBe('Low');
  });

  it('uses InstanceID as the natural key of event.id', () => {
    const a = map({});
    expect(getField(map({ FindingTypeSeverity: 'High' }), 'event.id')).toBe(getField(a, 'event.id'));
    expect(getField(map({ InstanceID: 'other' }), 'event.id')).not.toBe(getField(a, 'event.id'));
  });

  it.each([
    ['Low', 21],
    ['Medium', 47],
    ['HIGH', 73],
    ['critical', 99],
    ['Informational', undefined],
  ])(
    'scores severity %s as event.severity %s and keeps the word as vulnerability.severity',
    (word, score) => {
      expect(severityScore(word)).toBe(score);
      const event = map({ FindingTypeSeverity: word });
      expect(getField(event, 'event.severity')).toBe(score);
      expect(getField(event, 'vulnerability.severity')).toBe(word);
    },
  );

  it('has no event.severity without a severity', () => {
    expect(getField(map({}), 'event.severity')).toBeUndefined();
  });

  it('quarantines AssetMetadata that is not an object', () => {
    expect(() => map({ AssetMetadata: ['owner'] })).toThrow(MappingError);
  });

  it('recognises its records, full and minimal, and nothing else claims them', () => {
    const full = JSON.parse(publicFile!) as CfRecord;
    expect(casbFindings.matches(full)).toBe(true);
    expect(detectDataset(full)?.dataset).toBe('casb_findings');
    for (const name of casbFindings.spec.signature.any ?? []) {
      const minimal = { DetectedTimestamp: '2026-01-01T00:00:00Z', [name]: 'x' };
      expect(detectDataset(minimal)?.dataset, name).toBe('casb_findings');
    }
    expect(casbFindings.matches({ Timestamp: 1767225600, InstanceID: 'x' })).toBe(false);
  });
});

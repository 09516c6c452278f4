/**
 * Synthetic Logpush data for the benchmark: realistic field counts and value repetition (a few hundred hosts,
 * paths, user agents and client networks), deterministic for a given seed. Anonymized: example.* hosts,
 * documentation IP ranges.
 */

/** A seeded PRNG, so runs are comparable. */
export { mulberry32 as prng } from '../test/support/prng.ts';

const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  'curl/8.5.0',
  'python-requests/2.32.3',
  'Go-http-client/2.0',
];
const COUNTRIES = ['us', 'de', 'fr', 'gb', 'br', 'in', 'jp', 'nl', 'sg', 'au'];
const SOURCES = ['firewallManaged', 'firewallCustom', 'ratelimit', 'l7ddos', 'bic', 'securitylevel'];
const ACTIONS = ['block', 'managedchallenge', 'log', 'allow', 'jschallenge'];

/** The Logpush datasets of the benchmark mix and their share of records. */
export const MIX = [
  { dataset: 'http_requests', share: 0.7 },
  { dataset: 'firewall_events', share: 0.15 },
  { dataset: 'gateway_dns', share: 0.1 },
  { dataset: 'access_requests', share: 0.05 },
] as const;

/** One synthetic Logpush line of `dataset` (unixnano timestamps, the API default). */
export function syntheticLine(dataset: string, i: number, rnd: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const ns = 1_795_169_700_000_000_000n + BigInt(i) * 1_000_003n;
  const host = `${pick(['www', 'api', 'app', 'shop', 'cdn'])}${Math.floor(rnd() * 40)}.example.com`;
  const ip = `${pick(['192.0.2', '198.51.100', '203.0.113'])}.${Math.floor(rnd() * 250) + 1}`;
  const path = `/${pick(['v1', 'static', 'assets', 'api', 'account'])}/${pick(['items', 'login', 'app.js', 'img.png', 'cart'])}`;
  const ray = (0x8e00000000000000n + BigInt(i)).toString(16);
  switch (dataset) {
    case 'http_requests':
      return JSON.stringify({
        BotScore: Math.floor(rnd() * 99) + 1,
        BotScoreSrc: 'Machine Learning',
        CacheCacheStatus: pick(['hit', 'miss', 'dynamic', 'expired']),
        CacheResponseBytes: Math.floor(rnd() * 90000),
        CacheResponseStatus: 200,
        CacheTieredFill: false,
        ClientASN: 64496 + Math.floor(rnd() * 15),
        ClientCountry: pick(COUNTRIES),
        ClientDeviceType: pick(['desktop', 'mobile', 'tablet']),
        ClientIP: ip,
        ClientIPClass: 'noRecord',
        ClientMTLSAuthCertFingerprint: '',
        ClientMTLSAuthStatus: 'unknown',
        ClientRequestBytes: 900 + Math.floor(rnd() * 400),
        ClientRequestHost: host,
        ClientRequestMethod: pick(['GET', 'GET', 'GET', 'POST', 'HEAD']),
        ClientRequestPath: path,
        ClientRequestProtocol: pick(['HTTP/2', 'HTTP/1.1', 'HTTP/3']),
        ClientRequestReferer: rnd() < 0.5 ? `https://${host}/` : '',
        ClientRequestScheme: 'https',
        ClientRequestSource: 'eyeball',
        ClientRequestURI: rnd() < 0.3 ? `${path}?id=${Math.floor(rnd() * 1000)}` : path,
        ClientRequestUserAgent: pick(AGENTS),
        ClientSSLCipher: 'AEAD-AES128-GCM-SHA256',
        ClientSSLProtocol: 'TLSv1.3',
        ClientSrcPort: 1024 + Math.floor(rnd() * 60000),
        ClientTCPRTTMs: Math.floor(rnd() * 200),
        ClientXRequestedWith: '',
        EdgeColoCode: pick(['FRA', 'AMS', 'IAD', 'SJC', 'NRT']),
        EdgeColoID: 100 + Math.floor(rnd() * 50),
        EdgeEndTimestamp: `${ns + 35_000_000n}`,
        EdgePathingOp: 'wl',
        EdgePathingSrc: 'macro',
        EdgePathingStatus: 'nr',
        EdgeRequestHost: host,
        EdgeResponseBodyBytes: Math.floor(rnd() * 80000),
        EdgeResponseBytes: Math.floor(rnd() * 90000),
        EdgeResponseCompressionRatio: 1,
        EdgeResponseContentType: pick([
          'text/html',
          'application/json',
          'image/png',
          'application/javascript',
        ]),
        EdgeResponseStatus: pick([200, 200, 200, 304, 404, 403, 301]),
        EdgeServerIP: '',
        EdgeStartTimestamp: `${ns}`,
        EdgeTimeToFirstByteMs: Math.floor(rnd() * 300),
        JA3Hash: '773906b0efdefa24a7f2b8eb6985bf37',
        OriginDNSResponseTimeMs: 0,
        OriginIP: '192.0.2.250',
        OriginResponseDurationMs: Math.floor(rnd() * 200),
        OriginResponseStatus: 200,
        OriginSSLProtocol: 'TLSv1.3',
        ParentRayID: '00',
        RayID: ray,
        SecurityAction: '',
        SecurityActions: [],
        SecurityRuleDescription: '',
        SecurityRuleID: '',
        SecurityRuleIDs: [],
        SecuritySources: [],
        WAFAttackScore: Math.floor(rnd() * 99) + 1,
        WAFRCEAttackScore: 99,
        WAFSQLiAttackScore: 99,
        WAFXSSAttackScore: 99,
        WorkerCPUTime: 0,
        WorkerStatus: 'unknown',
        WorkerSubrequest: false,
        WorkerSubrequestCount: 0,
        ZoneName: 'example.com',
      }).replace(/"(EdgeStartTimestamp|EdgeEndTimestamp)":"(\d+)"/g, '"$1":$2');
    case 'firewall_events':
      return JSON.stringify({
        Action: pick(ACTIONS),
        ClientASN: 64496 + Math.floor(rnd() * 15),
        ClientASNDescription: 'EXAMPLE-NET',
        ClientCountry: pick(COUNTRIES),
        ClientIP: ip,
        ClientIPClass: 'noRecord',
        ClientRefererHost: '',
        ClientRefererPath: '',
        ClientRefererQuery: '',
        ClientRefererScheme: '',
        ClientRequestHost: host,
        ClientRequestMethod: 'GET',
        ClientRequestPath: path,
        ClientRequestProtocol: 'HTTP/1.1',
        ClientRequestQuery: '',
        ClientRequestScheme: 'https',
        ClientRequestUserAgent: pick(AGENTS),
        Datetime: `${ns}`,
        Description: 'Synthetic rule',
        EdgeColoCode: 'FRA',
        EdgeResponseStatus: 403,
        Kind: 'firewall',
        MatchIndex: 0,
        Metadata: { group: 'synthetic' },
        OriginResponseStatus: 0,
        OriginatorRayID: '00',
        RayID: ray,
        RuleID: `${100000 + Math.floor(rnd() * 50)}`,
        Source: pick(SOURCES),
      }).replace(/"Datetime":"(\d+)"/, '"Datetime":$1');
    case 'gateway_dns':
      return JSON.stringify({
        ColoCode: 'FRA',
        ColoID: 120,
        Datetime: `${ns}`,
        DeviceID: 'd0c1e2f3-a4b5-4c6d-8e7f-001122334455',
        DeviceName: `laptop-${Math.floor(rnd() * 200)}`,
        DstIP: '162.159.36.1',
        DstPort: 53,
        Email: `user${Math.floor(rnd() * 200)}@example.com`,
        Location: 'Office',
        LocationID: '0f1e2d3c-4b5a-4968-8776-665544332211',
        MatchedCategoryIDs: [],
        MatchedCategoryNames: [],
        Policy: '',
        PolicyID: '',
        PolicyName: '',
        Protocol: pick(['udp', 'https', 'tcp']),
        QueryCategoryIDs: [26],
        QueryCategoryNames: ['Technology'],
        QueryID: `${ray}${ray}`,
        QueryName: host,
        QueryNameReversed: host.split('.').reverse().join('.'),
        QuerySize: 45,
        QueryType: 1,
        QueryTypeName: 'A',
        RCode: pick([0, 0, 0, 3]),
        ResolvedIPs: ['192.0.2.80'],
        ResolverDecision: pick(['allowedOnNoPolicyMatch', 'blockedByCategory']),
        SrcIP: ip,
        SrcPort: 0,
        UserID: '5b6c7d8e-9f00-4112-8234-56789abcdef0',
      }).replace(/"Datetime":"(\d+)"/, '"Datetime":$1');
    default:
      return JSON.stringify({
        Action: pick(['login', 'logout']),
        Allowed: rnd() < 0.9,
        AppDomain: host,
        AppUUID: 'f0e1d2c3-b4a5-4697-8a7b-6c5d4e3f2a10',
        Connection: 'saml',
        Country: pick(COUNTRIES),
        CreatedAt: `${ns}`,
        Email: `user${Math.floor(rnd() * 200)}@example.com`,
        IPAddress: ip,
        RayID: ray,
        UserUID: '5b6c7d8e-9f00-4112-8234-56789abcdef0',
      }).replace(/"CreatedAt":"(\d+)"/, '"CreatedAt":$1');
  }
}

/**
 * The saved Athena queries deployed with the stack (named queries in the workgroup) and run by `npm start` on the
 * local lake. One SQL text per query, in Athena's dialect (Trino); the local run translates the few differences
 * (see `scripts/athena-dialect.ts`).
 *
 * Every query reads the `ecs` table with its partitions filtered (`dataset`, and `dt BETWEEN ? AND ?`), so
 * Athena reads only the folders asked for. Firehose and S3 deliver at least once, so an event can be stored
 * twice: counts are of distinct `event.id`s and listings are `SELECT DISTINCT`. Ideas from `PRACTICES.md` part 4
 * (Panther's Cloudflare rules, Cloudflare's Log Explorer examples).
 */

/** A `?` placeholder of a saved query, in order of appearance. */
export interface QueryParameter {
  readonly name: string;
  readonly description: string;
  /** A value to show in the description and to run with locally, as an Athena literal (`'2026-01-01'`, `50`). */
  readonly example: string;
}

/** One saved query. */
export interface SavedQuery {
  /** kebab-case, unique. */
  readonly id: string;
  /** Name shown in the Athena console (at most 128 characters). */
  readonly name: string;
  /** What it answers and how to read it (at most 1,024 characters). */
  readonly description: string;
  /** Athena SQL over the ECS table `ecs` (and raw tables); `?` for each parameter. */
  readonly sql: string;
  readonly parameters: readonly QueryParameter[];
}

/** The two parameters of the day range every query starts with (`dt BETWEEN ? AND ?`). */
const DAYS: readonly QueryParameter[] = [
  { name: 'from_dt', description: 'first day, yyyy-MM-dd (UTC)', example: "'2026-01-01'" },
  { name: 'to_dt', description: 'last day, yyyy-MM-dd (UTC), included', example: "'2026-01-31'" },
];

/** Every saved query. */
export const SAVED_QUERIES: readonly SavedQuery[] = [
  {
    id: 'access-failed-logins',
    name: 'Access: failed logins by user and country',
    description:
      'Cloudflare Access logins that were refused (Allowed = false), one row per user and country: how many, ' +
      'from how many IP addresses, to which applications, first and last time. Many failures for one user from ' +
      'a country they do not work from suggest password spraying or a stolen credential being tried.',
    sql: `SELECT
  user.email AS user_email,
  source.geo.country_iso_code AS country,
  count(DISTINCT event.id) AS failed_logins,
  count(DISTINCT source.ip) AS source_ips,
  array_join(array_sort(array_agg(DISTINCT url.domain)), ', ') AS applications,
  min(ts) AS first_failure,
  max(ts) AS last_failure
FROM ecs
WHERE dataset = 'access_requests'
  AND dt BETWEEN ? AND ?
  AND cloudflare.allowed = false
GROUP BY user.email, source.geo.country_iso_code
ORDER BY failed_logins DESC, user_email, country`,
    parameters: DAYS,
  },
  {
    id: 'access-impossible-travel',
    name: 'Access: one user logging in from two countries within an hour',
    description:
      'Pairs of successful Cloudflare Access logins of one user from two different countries at most one hour ' +
      'apart (impossible travel): the earlier login, the later one, and the minutes between them. A VPN or a ' +
      'mobile network roaming can explain a pair; a pair where one side is a country the user never logs in ' +
      'from is worth a call to the user. Change INTERVAL to widen the window.',
    sql: `WITH logins AS (
  SELECT DISTINCT
    event.id AS id,
    user.email AS user_email,
    ts,
    source.geo.country_iso_code AS country,
    source.ip AS source_ip
  FROM ecs
  WHERE dataset = 'access_requests'
    AND dt BETWEEN ? AND ?
    AND event.action = 'login'
    AND cloudflare.allowed = true
    AND user.email IS NOT NULL
    AND source.geo.country_iso_code IS NOT NULL
)
SELECT
  a.user_email,
  a.ts AS first_login,
  a.country AS first_country,
  a.source_ip AS first_ip,
  b.ts AS next_login,
  b.country AS next_country,
  b.source_ip AS next_ip,
  date_diff('minute', a.ts, b.ts) AS minutes_apart
FROM logins a
JOIN logins b
  ON a.user_email = b.user_email
  AND a.country <> b.country
  AND (b.ts > a.ts OR (b.ts = a.ts AND b.id > a.id))
  AND b.ts <= a.ts + INTERVAL '1' HOUR
ORDER BY a.user_email, first_login, next_login`,
    parameters: DAYS,
  },
  {
    id: 'waf-blocks-by-rule-and-host',
    name: 'WAF: blocked requests by rule and host',
    description:
      'Firewall events whose action is block, by host and by the rule that blocked them (its security product ' +
      'in rule_source: firewallManaged, firewallCustom, ratelimit, l7ddos…): how many requests, from how many ' +
      'client IPs, first and last time. A new rule at the top after a deployment may be blocking real users; a ' +
      'host at the top is the one being attacked.',
    sql: `SELECT
  url.domain AS host,
  rule.ruleset AS rule_source,
  rule.id AS rule_id,
  rule.description AS rule_description,
  count(DISTINCT event.id) AS blocked_requests,
  count(DISTINCT source.ip) AS client_ips,
  min(ts) AS first_seen,
  max(ts) AS last_seen
FROM ecs
WHERE dataset = 'firewall_events'
  AND dt BETWEEN ? AND ?
  AND event.action = 'block'
GROUP BY url.domain, rule.ruleset, rule.id, rule.description
ORDER BY blocked_requests DESC, host, rule_id`,
    parameters: DAYS,
  },
  {
    id: 'waf-attack-score-not-mitigated',
    name: 'WAF: high attack score requests that were not mitigated',
    description:
      'HTTP requests the WAF attack score rates as likely attacks (WAFAttackScore from 1 up to the threshold; ' +
      '1 is the most certain) that no rule blocked or challenged: no security action, or one that let them ' +
      'through (allow, log, skip, bypass, legacy simulate). Each row is one request with its sub-scores (SQLi, ' +
      'XSS, RCE): a low score with a 2xx status is an attack that reached the origin. Candidates for a custom ' +
      'rule on cf.waf.score.',
    sql: `SELECT DISTINCT
  ts,
  cloudflare.rayid AS ray_id,
  source.ip AS client_ip,
  source.geo.country_iso_code AS country,
  http.request.method AS method,
  url.domain AS host,
  url.path AS path,
  http.response.status_code AS status,
  cloudflare.wafattackscore AS attack_score,
  cloudflare.wafsqliattackscore AS sqli_score,
  cloudflare.wafxssattackscore AS xss_score,
  cloudflare.wafrceattackscore AS rce_score,
  coalesce(event.action, 'none') AS security_action
FROM ecs
WHERE dataset = 'http_requests'
  AND dt BETWEEN ? AND ?
  AND cloudflare.wafattackscore BETWEEN 1 AND ?
  AND coalesce(lower(event.action), 'none') IN ('none', 'allow', 'log', 'skip', 'bypass', 'simulate')
ORDER BY attack_score, ts, ray_id
LIMIT 1000`,
    parameters: [
      ...DAYS,
      { name: 'max_attack_score', description: 'highest score counted as an attack (1-99)', example: '20' },
    ],
  },
  {
    id: 'top-blocked-client-ips-and-asns',
    name: 'WAF: top client IPs and ASNs by blocked requests',
    description:
      'Client IPs whose requests were blocked (firewall events, action block), grouped under their network ' +
      '(ASN): blocked_requests for the IP, asn_blocked_requests for its whole ASN, hosts it hit, first and last ' +
      'time. Rows come by ASN total, then by IP, so a hosting provider or botnet spread over many IPs shows as ' +
      'one block of rows. Candidates for an IP list or an ASN rule.',
    sql: `SELECT
  source.as.number AS asn,
  source.as.organization.name AS as_name,
  source.ip AS client_ip,
  source.geo.country_iso_code AS country,
  count(DISTINCT event.id) AS blocked_requests,
  sum(count(DISTINCT event.id)) OVER (PARTITION BY source.as.number) AS asn_blocked_requests,
  count(DISTINCT url.domain) AS hosts,
  min(ts) AS first_seen,
  max(ts) AS last_seen
FROM ecs
WHERE dataset = 'firewall_events'
  AND dt BETWEEN ? AND ?
  AND event.action = 'block'
GROUP BY source.as.number, source.as.organization.name, source.ip, source.geo.country_iso_code
ORDER BY asn_blocked_requests DESC, asn, blocked_requests DESC, client_ip
LIMIT 200`,
    parameters: DAYS,
  },
  {
    id: 'audit-changes-by-actor',
    name: 'Audit: configuration changes by actor',
    description:
      'Changes to the Cloudflare account (audit logs v1 and v2; views and logins left out) by who made them: ' +
      'actor, through what (v1 Interface UI/API, v2 ActorContext dash/api_token/api_key…), the API token used ' +
      '(v2), action, resource type, outcome, how many and from how many IPs. Look for actors you do not know, ' +
      'API changes by a person who uses the dashboard, and failures (someone trying what they may not do).',
    sql: `SELECT
  user.email AS actor,
  coalesce(cloudflare.interface, cloudflare.actorcontext) AS via,
  json_extract_scalar(cloudflare.actortokendetails, '$.name') AS token_name,
  event.action AS action,
  cloudflare.resourcetype AS resource_type,
  event.outcome AS outcome,
  count(DISTINCT event.id) AS changes,
  count(DISTINCT source.ip) AS source_ips,
  min(ts) AS first_seen,
  max(ts) AS last_seen
FROM ecs
WHERE dataset IN ('audit_logs', 'audit_logs_v2')
  AND dt BETWEEN ? AND ?
  AND contains(event.category, 'configuration')
  AND NOT contains(event.type, 'access')
GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY actor, changes DESC, action, resource_type, outcome`,
    parameters: DAYS,
  },
  {
    id: 'audit-api-token-and-key-changes',
    name: 'Audit: API token and API key changes',
    description:
      'Every audit log entry (v1 and v2) about API tokens or API keys: created, rolled, revoked, their ' +
      'permissions edited, a Global API key viewed or rotated. Matched on "token" or "api_key" in the action, ' +
      'resource type or product. One row per entry: when, who, from which IP, through what, the action, the ' +
      'resource and its name where the log gives one, the outcome. A token created outside your automation or ' +
      'a key viewed from an unknown IP deserves a question.',
    sql: `SELECT DISTINCT
  ts,
  dataset,
  user.email AS actor,
  source.ip AS actor_ip,
  coalesce(cloudflare.interface, cloudflare.actorcontext) AS via,
  event.action AS action,
  coalesce(cloudflare.resourcetype, cloudflare.resourceproduct) AS resource_type,
  cloudflare.resourceid AS resource_id,
  coalesce(
    json_extract_scalar(cloudflare.newvalue, '$.name'),
    json_extract_scalar(cloudflare.oldvalue, '$.name'),
    json_extract_scalar(cloudflare.resourcerequest, '$.name'),
    json_extract_scalar(cloudflare.resourceresponse, '$.name')
  ) AS resource_name,
  event.outcome AS outcome
FROM ecs
WHERE dataset IN ('audit_logs', 'audit_logs_v2')
  AND dt BETWEEN ? AND ?
  AND (
    regexp_like(lower(event.action), 'token|api_?key')
    OR regexp_like(lower(coalesce(cloudflare.resourcetype, '')), 'token|api_?key')
    OR regexp_like(lower(coalesce(cloudflare.resourceproduct, '')), 'token|api_?key')
  )
ORDER BY ts, actor, action`,
    parameters: DAYS,
  },
  {
    id: 'gateway-dns-blocks-by-category',
    name: 'Gateway DNS: blocked queries by category and user',
    description:
      'DNS queries Cloudflare Gateway blocked (ResolverDecision blocked*), by content or security category and ' +
      'user: how many queries, how many domains and which. A query in several categories counts in each; its ' +
      'categories are those that matched the policy, else those of the query, else (uncategorized) (a domain ' +
      'list rule). Security categories (Malware, Phishing, Command and Control) point at an infected device: ' +
      'find it in host.hostname of the same queries.',
    sql: `WITH blocked AS (
  SELECT
    event.id AS id,
    user.email AS user_email,
    dns.question.name AS domain,
    ts,
    CASE
      WHEN cardinality(cloudflare.matchedcategorynames) > 0 THEN cloudflare.matchedcategorynames
      WHEN cardinality(cloudflare.querycategorynames) > 0 THEN cloudflare.querycategorynames
      ELSE ARRAY['(uncategorized)']
    END AS categories
  FROM ecs
  WHERE dataset = 'gateway_dns'
    AND dt BETWEEN ? AND ?
    AND event.action LIKE 'blocked%'
)
SELECT
  c.category,
  user_email,
  count(DISTINCT id) AS blocked_queries,
  count(DISTINCT domain) AS domains,
  array_join(array_sort(array_agg(DISTINCT domain)), ', ') AS domain_list,
  min(ts) AS first_seen,
  max(ts) AS last_seen
FROM blocked
CROSS JOIN UNNEST(categories) AS c (category)
GROUP BY c.category, user_email
ORDER BY c.category, blocked_queries DESC, user_email`,
    parameters: DAYS,
  },
  {
    id: 'gateway-http-blocked-downloads',
    name: 'Gateway HTTP: blocked file downloads',
    description:
      'Files Cloudflare Gateway blocked in HTTP traffic (action block with a blocked file named, or a ' +
      'BlockedFileReason such as malware, dlp or fileType): who, on which device, from where, the URL, the ' +
      'file with its SHA-256 and size, the reason and the policy. A malware block means the user was sent the ' +
      'file: look at how (the URL and the referrer) and whether other users got it (search file.hash.sha256).',
    sql: `SELECT DISTINCT
  ts,
  user.email AS user_email,
  host.hostname AS device,
  source.ip AS source_ip,
  destination.domain AS host,
  url.original AS url,
  file.name AS file_name,
  cloudflare.blockedfilereason AS reason,
  cloudflare.blockedfiletype AS file_type,
  file.hash.sha256 AS sha256,
  file.size AS file_size,
  rule.name AS policy
FROM ecs
WHERE dataset = 'gateway_http'
  AND dt BETWEEN ? AND ?
  AND event.action = 'block'
  AND (file.name IS NOT NULL OR coalesce(cloudflare.blockedfilereason, 'unknown') <> 'unknown')
ORDER BY ts, user_email, file_name`,
    parameters: DAYS,
  },
  {
    id: 'bot-like-request-volume',
    name: 'Bots: request volume per client IP and hour with a low bot score',
    description:
      'Client IPs sending many requests in one hour with a bot score at or below the threshold (1 = automated, ' +
      '2-29 likely automated), verified bots (search engines and the like) left out. One row per IP and hour: ' +
      'requests, lowest bot score, hosts, user agents and JA4 fingerprints used. Few user agents and one JA4 ' +
      'from an IP at the top is a scraper or a credential stuffing tool; many is likely a NAT or a proxy.',
    sql: `SELECT
  date_trunc('hour', ts) AS hour,
  source.ip AS client_ip,
  source.as.number AS asn,
  count(DISTINCT event.id) AS requests,
  min(cloudflare.botscore) AS min_bot_score,
  count(DISTINCT url.domain) AS hosts,
  count(DISTINCT user_agent.original) AS user_agents,
  count(DISTINCT cloudflare.ja4) AS ja4_fingerprints
FROM ecs
WHERE dataset = 'http_requests'
  AND dt BETWEEN ? AND ?
  AND cloudflare.botscore BETWEEN 1 AND ?
  AND coalesce(cloudflare.verifiedbotcategory, '') = ''
GROUP BY date_trunc('hour', ts), source.ip, source.as.number
HAVING count(DISTINCT event.id) >= ?
ORDER BY requests DESC, hour, client_ip
LIMIT 1000`,
    parameters: [
      ...DAYS,
      { name: 'max_bot_score', description: 'highest bot score counted (1-99)', example: '29' },
      { name: 'min_requests', description: 'fewest requests in an hour to be listed', example: '100' },
    ],
  },
  {
    id: 'l7-ddos-events',
    name: 'DDoS: HTTP (L7) DDoS mitigations by hour, host and rule',
    description:
      'Firewall events from the HTTP DDoS protection (Source l7ddos), by hour, host, DDoS rule and action: ' +
      'requests mitigated, client IPs and ASNs taking part, first and last time. A burst over many IPs and ' +
      'ASNs is a distributed attack; one IP is more likely a misbehaving client. Compare the hours with origin ' +
      'errors in http_requests to see whether the attack got through.',
    sql: `SELECT
  date_trunc('hour', ts) AS hour,
  url.domain AS host,
  rule.id AS rule_id,
  rule.description AS rule_description,
  event.action AS action,
  count(DISTINCT event.id) AS requests,
  count(DISTINCT source.ip) AS client_ips,
  count(DISTINCT source.as.number) AS asns,
  min(ts) AS first_seen,
  max(ts) AS last_seen
FROM ecs
WHERE dataset = 'firewall_events'
  AND dt BETWEEN ? AND ?
  AND rule.ruleset = 'l7ddos'
GROUP BY 1, 2, 3, 4, 5
ORDER BY hour, requests DESC, host, rule_id, action`,
    parameters: DAYS,
  },
  {
    id: 'network-ddos-attacks',
    name: 'DDoS: network (L3/4) attacks by attack ID',
    description:
      'Packets sampled by Magic Transit / Spectrum network analytics that belong to a detected attack, one row ' +
      'per attack ID, vector, mitigation system and outcome: sampled packets, estimated packets (each sample ' +
      'stands for SampleInterval packets), source IPs, targets, first and last time. Outcome pass on an attack ' +
      'means traffic was let through (a rule in log mode or an override).',
    sql: `WITH packets AS (
  SELECT DISTINCT
    event.id AS id,
    ts,
    cloudflare.attackid AS attack_id,
    cloudflare.attackvector AS attack_vector,
    cloudflare.mitigationsystem AS mitigation_system,
    event.action AS outcome,
    source.ip AS source_ip,
    destination.ip AS target_ip,
    cloudflare.sampleinterval AS sample_interval
  FROM ecs
  WHERE dataset = 'network_analytics_logs'
    AND dt BETWEEN ? AND ?
    AND coalesce(cloudflare.attackid, '') <> ''
)
SELECT
  attack_id,
  attack_vector,
  mitigation_system,
  outcome,
  count(*) AS sampled_packets,
  sum(coalesce(sample_interval, 1)) AS estimated_packets,
  count(DISTINCT source_ip) AS source_ips,
  array_join(array_sort(array_agg(DISTINCT target_ip)), ', ') AS targets,
  min(ts) AS first_seen,
  max(ts) AS last_seen
FROM packets
GROUP BY attack_id, attack_vector, mitigation_system, outcome
ORDER BY estimated_packets DESC, attack_id, outcome`,
    parameters: DAYS,
  },
  {
    id: 'leaked-credential-logins',
    name: 'Account takeover: logins with leaked credentials',
    description:
      'HTTP requests where Cloudflare found leaked credentials in the request (LeakedCredentialCheckResult ' +
      'other than clean: password_leaked, username_and_password_leaked, username_password_similar…), by host, ' +
      'path, client IP and result. answered_below_400 counts those that got a success or redirect answer: a ' +
      'login that probably worked with a password known to attackers. Many results from one IP is credential ' +
      'stuffing.',
    sql: `SELECT
  url.domain AS host,
  url.path AS path,
  source.ip AS client_ip,
  cloudflare.leakedcredentialcheckresult AS result,
  count(DISTINCT event.id) AS requests,
  count(DISTINCT CASE WHEN http.response.status_code < 400 THEN event.id END) AS answered_below_400,
  min(ts) AS first_seen,
  max(ts) AS last_seen
FROM ecs
WHERE dataset = 'http_requests'
  AND dt BETWEEN ? AND ?
  AND coalesce(cloudflare.leakedcredentialcheckresult, 'clean') <> 'clean'
GROUP BY url.domain, url.path, source.ip, cloudflare.leakedcredentialcheckresult
ORDER BY requests DESC, host, path, client_ip, result`,
    parameters: DAYS,
  },
  {
    id: 'rayid-pivot',
    name: 'Incident: everything about one RayID (http_requests and firewall_events)',
    description:
      'One request seen from both sides: its http_requests line (status, bot and attack scores) and every ' +
      'firewall_events line of the rules it matched (match_index 0 is the last rule that matched, usually the one ' +
      'that acted). Paste the RayID ' +
      'from a block page, a support ticket or the cf-ray header. RayIDs are unique only over time: keep the day ' +
      'range short around when it happened.',
    sql: `SELECT DISTINCT
  ts,
  dataset,
  cloudflare.matchindex AS match_index,
  event.action AS action,
  rule.ruleset AS rule_source,
  rule.id AS rule_id,
  rule.description AS rule_description,
  source.ip AS client_ip,
  http.request.method AS method,
  url.domain AS host,
  url.path AS path,
  http.response.status_code AS status,
  cloudflare.botscore AS bot_score,
  cloudflare.wafattackscore AS attack_score
FROM ecs
WHERE dataset IN ('http_requests', 'firewall_events')
  AND dt BETWEEN ? AND ?
  AND cloudflare.rayid = ?
ORDER BY dataset DESC, match_index, ts`,
    parameters: [
      ...DAYS,
      { name: 'ray_id', description: 'the RayID, 16 hex digits', example: "'8f1e2d3c4b5a6980'" },
    ],
  },
];

import { parse as parseDomain } from 'tldts';
import { UAParser } from 'ua-parser-js';
import { type EcsEvent, type FieldGetter, type FieldSetter, getterOf, setField, setterOf } from './ecs.ts';
import { ECS_FIELDS } from './ecs-fields.ts';

/**
 * Fields derived from what a mapper set, the same way for every dataset (the "engine side" of SEKOIA's
 * parsers): endpoint addresses, domain parts, URL parts, user agent, `host.name`, and `related.*`.
 */
export function enrich(event: EcsEvent): void {
  enrichAll ??= enricherFor(new Set(Object.keys(ECS_FIELDS)));
  enrichAll(event);
}

let enrichAll: ((event: EcsEvent) => void) | undefined;

/**
 * {@link enrich} for the events of one mapper, which can only set `paths` (its table's targets and what its
 * refine declares): the steps and `related.*` sources no such event can have are left out, so an event pays
 * only for what its dataset can carry. The result is the same as {@link enrich} on those events.
 */
export function enricherFor(paths: ReadonlySet<string>): (event: EcsEvent) => void {
  const all = new Set([...paths, ...enrichedFields(paths)]);
  const has = (prefix: string) => [...all].some((path) => path.startsWith(prefix));
  const url = has('url.');
  const sides = ENDPOINTS.filter((side) => has(`${side}.`));
  const question = all.has('dns.question.name');
  const host = all.has('host.hostname');
  const agent = all.has('user_agent.original');
  const related = relatedAccess(
    (name, source) => all.has(source) || all.has(`related.${name}`),
    (name) => all.has(`related.${name}`),
  );
  return (event) => {
    if (url) fillUrl(event);
    for (const side of sides) enrichEndpoint(event, side);
    if (url) {
      const node = event.url as EcsEvent | undefined;
      if (node) splitDomain(node, 'domain');
    }
    if (question) enrichQuestion(event);
    if (host) enrichHost(event);
    if (agent) parseUserAgent(event);
    collectRelated(event, related);
  };
}

function enrichEndpoint(event: EcsEvent, side: (typeof ENDPOINTS)[number]): void {
  const node = event[side] as EcsEvent | undefined;
  if (!node) return;
  if (node.address === undefined) setField(node, 'address', node.domain ?? node.ip);
  splitDomain(node, 'domain');
  // Cloudflare writes country codes in either case; ISO 3166-1 alpha-2 is upper case.
  const geo = node.geo as EcsEvent | undefined;
  if (typeof geo?.country_iso_code === 'string') geo.country_iso_code = geo.country_iso_code.toUpperCase();
}

const questionOf = getterOf('dns.question');

function enrichQuestion(event: EcsEvent): void {
  const question = questionOf(event) as EcsEvent | undefined;
  if (question) splitDomain(question, 'name');
}

function enrichHost(event: EcsEvent): void {
  const host = event.host as EcsEvent | undefined;
  if (host?.hostname !== undefined && host.name === undefined) host.name = host.hostname;
}

/**
 * What {@link enrich} can add to an event whose mapper may emit `paths`: the engine's share of the lake schema.
 * Written beside the code it describes; the schema contract test fails when the two drift apart.
 */
export function enrichedFields(paths: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  const add = (...fields: string[]) => {
    for (const f of fields) out.add(f);
  };
  const domainFields = (prefix: string) =>
    add(`${prefix}.registered_domain`, `${prefix}.subdomain`, `${prefix}.top_level_domain`);
  if (paths.has('url.original') || paths.has('url.full')) {
    add('url.path', 'url.query', 'url.fragment', 'url.full', 'url.scheme', 'url.domain', 'url.port');
    domainFields('url');
  }
  if (paths.has('url.domain')) domainFields('url');
  for (const side of ENDPOINTS) {
    if (paths.has(`${side}.domain`)) {
      add(`${side}.address`);
      domainFields(side);
    }
    if (paths.has(`${side}.ip`)) add(`${side}.address`);
  }
  if (paths.has('dns.question.name')) domainFields('dns.question');
  if (paths.has('host.hostname')) add('host.name');
  if (paths.has('user_agent.original')) {
    add('user_agent.name', 'user_agent.version', 'user_agent.os.name', 'user_agent.os.version');
    add('user_agent.os.full', 'user_agent.device.name');
  }
  const all = new Set([...paths, ...out]);
  for (const [name, sources] of Object.entries(RELATED)) {
    if (sources.some((source) => all.has(source))) out.add(`related.${name}`);
  }
  return out;
}

const ENDPOINTS = ['source', 'destination', 'client', 'server'] as const;
const RELATED: Readonly<Record<'ip' | 'hosts' | 'user' | 'hash', readonly string[]>> = {
  ip: [
    'source.ip',
    'destination.ip',
    'client.ip',
    'server.ip',
    'host.ip',
    'dns.resolved_ip',
    'source.nat.ip',
    'destination.nat.ip',
  ],
  hosts: [
    'url.domain',
    'destination.domain',
    'source.domain',
    'client.domain',
    'server.domain',
    'dns.question.name',
    'host.hostname',
    'tls.client.server_name',
  ],
  user: [
    'user.name',
    'user.email',
    'user.target.name',
    'user.target.email',
    'source.user.email',
    'source.user.name',
  ],
  hash: ['file.hash.md5', 'file.hash.sha1', 'file.hash.sha256', 'tls.client.ja3', 'tls.client.hash.sha256'],
};

interface RelatedAccess {
  readonly get: FieldGetter;
  readonly set: FieldSetter;
  /** Whether the mapper can set `related.<name>` itself (then what it set is kept and added to). */
  readonly existing: boolean;
  readonly sources: readonly FieldGetter[];
}

function relatedAccess(
  useSource: (name: string, source: string) => boolean,
  useExisting: (name: string) => boolean,
): RelatedAccess[] {
  const out: RelatedAccess[] = [];
  for (const [name, paths] of Object.entries(RELATED)) {
    const sources = paths.filter((source) => useSource(name, source)).map(getterOf);
    const existing = useExisting(name);
    if (sources.length === 0 && !existing) continue;
    out.push({ get: getterOf(`related.${name}`), set: setterOf(`related.${name}`), existing, sources });
  }
  return out;
}

function collectRelated(event: EcsEvent, related: readonly RelatedAccess[]): void {
  for (const { get, set, existing, sources } of related) {
    const before = existing ? get(event) : undefined;
    const values: string[] = Array.isArray(before) ? [...(before as string[])] : [];
    for (const source of sources) {
      const value = source(event);
      if (typeof value === 'string') values.push(value);
      else if (Array.isArray(value)) for (const v of value) if (typeof v === 'string') values.push(v);
    }
    if (values.length === 1) set(event, values);
    else if (values.length > 1) set(event, [...new Set(values)].sort());
  }
}

interface DomainParts {
  readonly registered?: string;
  readonly subdomain?: string;
  readonly tld?: string;
}

const domainCache = new Map<string, DomainParts>();
const CACHE_LIMIT = 20_000;

/**
 * Registered domain, subdomain and top-level domain of a host name, from the Public Suffix List (tldts).
 * Only ICANN and private suffixes count: an internal name (`host.corp.internal`) has no registered domain.
 * The parts keep the case of the input.
 */
export function domainParts(host: string): DomainParts {
  let parts = domainCache.get(host);
  if (parts) return parts;
  const r = parseDomain(host);
  if (r.isIp || !r.domain || !r.publicSuffix || !(r.isIcann || r.isPrivate)) {
    parts = {};
  } else {
    const hostname = r.hostname ?? host;
    const original = host.length === hostname.length ? host : hostname;
    const registered = original.slice(original.length - r.domain.length);
    const tld = original.slice(original.length - r.publicSuffix.length);
    const subdomain = r.subdomain ? original.slice(0, r.subdomain.length) : undefined;
    parts = subdomain ? { registered, subdomain, tld } : { registered, tld };
  }
  if (domainCache.size >= CACHE_LIMIT) domainCache.clear();
  domainCache.set(host, parts);
  return parts;
}

function splitDomain(node: EcsEvent, field: string): void {
  const host = node[field];
  if (typeof host !== 'string' || node.registered_domain !== undefined) return;
  const parts = domainParts(host);
  // Each part is a non-empty string or absent (domainParts).
  if (parts.registered !== undefined) node.registered_domain = parts.registered;
  if (parts.subdomain !== undefined) node.subdomain = parts.subdomain;
  if (parts.tld !== undefined) node.top_level_domain = parts.tld;
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = {
  'http:': 80,
  'https:': 443,
  'ws:': 80,
  'wss:': 443,
};

/**
 * Splits `url.original` (or `url.full`) into its ECS parts when the mapper did not set them: an absolute URL into
 * scheme, domain, port, path, query and fragment; a request target (`/path?query#fragment`, as servers log it) into
 * path, query and fragment.
 */
function fillUrl(event: EcsEvent): void {
  const url = event.url as EcsEvent | undefined;
  const text = url?.full ?? url?.original;
  if (!url || typeof text !== 'string') return;
  if (text.startsWith('/')) {
    if (url.path === undefined) splitRequestTarget(url, text);
    return;
  }
  if (url.domain !== undefined) return;
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return;
  }
  setField(url, 'full', text);
  setField(url, 'scheme', parsed.protocol.slice(0, -1));
  setField(url, 'domain', parsed.hostname.replace(/^\[|\]$/g, ''));
  setField(url, 'port', parsed.port ? Number(parsed.port) : DEFAULT_PORTS[parsed.protocol]);
  setField(url, 'path', parsed.pathname);
  setField(url, 'query', parsed.search.slice(1));
  setField(url, 'fragment', parsed.hash.slice(1));
}

function splitRequestTarget(url: EcsEvent, target: string): void {
  const hash = target.indexOf('#');
  const beforeHash = hash < 0 ? target : target.slice(0, hash);
  const q = beforeHash.indexOf('?');
  setField(url, 'path', q < 0 ? beforeHash : beforeHash.slice(0, q));
  if (q >= 0) setField(url, 'query', beforeHash.slice(q + 1));
  if (hash >= 0) setField(url, 'fragment', target.slice(hash + 1));
}

interface AgentParts {
  readonly name?: string;
  readonly version?: string;
  readonly os?: { name?: string; version?: string; full?: string };
  readonly device?: string;
}

const agentCache = new Map<string, AgentParts>();

/** Name, version, OS and device of a user agent string (ua-parser-js), cached: agents repeat a lot. */
export function userAgentParts(agent: string): AgentParts {
  let parts = agentCache.get(agent);
  if (parts) return parts;
  const r = new UAParser(agent).getResult();
  const osName = r.os.name || undefined;
  const osVersion = r.os.version || undefined;
  const device = [r.device.vendor, r.device.model].filter(Boolean).join(' ') || undefined;
  parts = {
    name: r.browser.name || undefined,
    version: r.browser.version || undefined,
    os: osName
      ? { name: osName, version: osVersion, full: osVersion ? `${osName} ${osVersion}` : osName }
      : undefined,
    device,
  };
  if (agentCache.size >= CACHE_LIMIT) agentCache.clear();
  agentCache.set(agent, parts);
  return parts;
}

function parseUserAgent(event: EcsEvent): void {
  const ua = event.user_agent as EcsEvent | undefined;
  if (!ua || typeof ua.original !== 'string' || ua.name !== undefined) return;
  const parts = userAgentParts(ua.original);
  // Each part is a non-empty string or absent (userAgentParts).
  if (parts.name !== undefined) ua.name = parts.name;
  if (parts.version !== undefined) ua.version = parts.version;
  const os = parts.os;
  if (os) {
    if (os.name !== undefined) SET_OS_NAME(ua, os.name);
    if (os.version !== undefined) SET_OS_VERSION(ua, os.version);
    if (os.full !== undefined) SET_OS_FULL(ua, os.full);
  }
  if (parts.device !== undefined) SET_DEVICE_NAME(ua, parts.device);
}

const SET_OS_NAME = setterOf('os.name');
const SET_OS_VERSION = setterOf('os.version');
const SET_OS_FULL = setterOf('os.full');
const SET_DEVICE_NAME = setterOf('device.name');

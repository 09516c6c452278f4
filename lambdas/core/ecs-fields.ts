/**
 * The ECS fields this project emits, with their ECS data type. Mapper tables may only target fields listed here
 * (a unit test holds them together), and the Glue schema of the lake is derived from this list.
 * Types follow the ECS reference (https://www.elastic.co/guide/en/ecs/current/ecs-field-reference.html).
 */
export type EcsType =
  | 'keyword'
  | 'text'
  | 'ip'
  | 'long'
  | 'double'
  | 'boolean'
  | 'date'
  | 'object'
  | 'flattened';

/** An ECS field: its type and whether it holds an array. */
export interface EcsFieldType {
  readonly type: EcsType;
  readonly array?: true;
  /** The members of an `object` field, as the lake stores it (a struct); `flattened` is a string map. */
  readonly fields?: Readonly<Record<string, EcsFieldType>>;
}

const k: EcsFieldType = { type: 'keyword' };
const kArr: EcsFieldType = { type: 'keyword', array: true };
const ip: EcsFieldType = { type: 'ip' };
const ipArr: EcsFieldType = { type: 'ip', array: true };
const long: EcsFieldType = { type: 'long' };
const dbl: EcsFieldType = { type: 'double' };
const bool: EcsFieldType = { type: 'boolean' };
const date: EcsFieldType = { type: 'date' };
const text: EcsFieldType = { type: 'text' };

/** Fields of an ECS endpoint object (`source`, `destination`, `client`, `server`). */
function endpoint(prefix: string): Record<string, EcsFieldType> {
  return {
    [`${prefix}.address`]: k,
    [`${prefix}.ip`]: ip,
    [`${prefix}.port`]: long,
    [`${prefix}.domain`]: k,
    [`${prefix}.registered_domain`]: k,
    [`${prefix}.subdomain`]: k,
    [`${prefix}.top_level_domain`]: k,
    [`${prefix}.mac`]: k,
    [`${prefix}.bytes`]: long,
    [`${prefix}.packets`]: long,
    [`${prefix}.nat.ip`]: ip,
    [`${prefix}.nat.port`]: long,
    [`${prefix}.as.number`]: long,
    [`${prefix}.as.organization.name`]: k,
    [`${prefix}.geo.city_name`]: k,
    [`${prefix}.geo.continent_code`]: k,
    [`${prefix}.geo.country_iso_code`]: k,
    [`${prefix}.geo.country_name`]: k,
    [`${prefix}.geo.region_iso_code`]: k,
    [`${prefix}.geo.location`]: { type: 'object', fields: { lat: dbl, lon: dbl } },
    [`${prefix}.user.email`]: k,
    [`${prefix}.user.id`]: k,
    [`${prefix}.user.name`]: k,
  };
}

/** ECS field path → type. */
export const ECS_FIELDS: Readonly<Record<string, EcsFieldType>> = {
  '@timestamp': date,
  message: text,
  tags: kArr,
  labels: { type: 'flattened' },
  'ecs.version': k,

  'event.kind': k,
  'event.category': kArr,
  'event.type': kArr,
  'event.action': k,
  'event.outcome': k,
  'event.dataset': k,
  'event.module': k,
  'event.provider': k,
  'event.id': k,
  'event.code': k,
  'event.reason': k,
  'event.severity': long,
  'event.risk_score': dbl,
  'event.start': date,
  'event.end': date,
  'event.duration': long,
  'event.created': date,
  'event.url': k,
  'event.reference': k,
  'event.ingested': date,
  'event.sequence': long,
  'event.timezone': k,
  'event.original': k,
  'log.level': k,
  'log.logger': k,

  'observer.vendor': k,
  'observer.product': k,
  'observer.type': k,
  'observer.name': k,
  'observer.hostname': k,
  'observer.ip': ipArr,
  'observer.geo.name': k,
  'observer.ingress.interface.name': k,
  'observer.ingress.zone': k,
  'observer.egress.interface.name': k,
  'observer.egress.zone': k,

  ...endpoint('source'),
  ...endpoint('destination'),
  ...endpoint('client'),
  ...endpoint('server'),

  'user.id': k,
  'user.name': k,
  'user.email': k,
  'user.full_name': k,
  'user.domain': k,
  'user.roles': kArr,
  'user.group.id': k,
  'user.group.name': k,
  'user.target.id': k,
  'user.target.name': k,
  'user.target.email': k,
  'user.changes.name': k,
  'user.changes.email': k,
  'user.effective.name': k,
  'user.effective.id': k,
  'group.id': k,
  'group.name': k,

  'url.original': k,
  'url.full': k,
  'url.scheme': k,
  'url.domain': k,
  'url.registered_domain': k,
  'url.subdomain': k,
  'url.top_level_domain': k,
  'url.port': long,
  'url.path': k,
  'url.query': k,
  'url.fragment': k,
  'url.extension': k,
  'url.username': k,

  'http.version': k,
  'http.request.id': k,
  'http.request.method': k,
  'http.request.referrer': k,
  'http.request.bytes': long,
  'http.request.body.bytes': long,
  'http.request.mime_type': k,
  'http.response.status_code': long,
  'http.response.bytes': long,
  'http.response.body.bytes': long,
  'http.response.mime_type': k,
  'http.request.body.content': k,

  'user_agent.original': k,
  'user_agent.name': k,
  'user_agent.version': k,
  'user_agent.os.name': k,
  'user_agent.os.version': k,
  'user_agent.os.full': k,
  'user_agent.device.name': k,

  'tls.version': k,
  'tls.version_protocol': k,
  'tls.cipher': k,
  'tls.established': bool,
  'tls.client.server_name': k,
  'tls.client.ja3': k,
  'tls.client.hash.sha256': k,
  'tls.client.x509.subject.common_name': kArr,
  'tls.server.x509.subject.common_name': kArr,
  'tls.resumed': bool,
  'tls.next_protocol': k,
  'tls.curve': k,
  'tls.server.ja3s': k,
  'tls.server.hash.sha256': k,
  'tls.server.issuer': k,
  'tls.server.subject': k,
  'tls.server.not_after': date,
  'tls.server.not_before': date,
  'tls.client.supported_ciphers': kArr,

  'network.protocol': k,
  'network.transport': k,
  'network.type': k,
  'network.direction': k,
  'network.application': k,
  'network.bytes': long,
  'network.packets': long,
  'network.community_id': k,
  'network.name': k,
  'network.iana_number': k,
  'network.vlan.id': k,
  'network.forwarded_ip': ip,

  'rule.id': k,
  'rule.uuid': k,
  'rule.name': k,
  'rule.description': k,
  'rule.ruleset': k,
  'rule.category': k,
  'rule.reference': k,
  'rule.version': k,

  'dns.id': k,
  'dns.type': k,
  'dns.question.name': k,
  'dns.question.type': k,
  'dns.question.class': k,
  'dns.question.registered_domain': k,
  'dns.question.subdomain': k,
  'dns.question.top_level_domain': k,
  'dns.response_code': k,
  'dns.resolved_ip': ipArr,
  'dns.answers': {
    type: 'object',
    array: true,
    fields: { name: k, type: k, class: k, ttl: long, data: k },
  },
  'dns.header_flags': kArr,

  'host.name': k,
  'host.hostname': k,
  'host.id': k,
  'host.ip': ipArr,
  'host.os.name': k,
  'host.os.version': k,
  'host.os.platform': k,
  'host.os.full': k,
  'host.os.type': k,
  'host.os.family': k,
  'host.mac': kArr,
  'host.type': k,
  'device.id': k,
  'device.manufacturer': k,
  'device.model.name': k,
  'device.model.identifier': k,

  'cloud.account.id': k,
  'cloud.account.name': k,
  'organization.id': k,
  'organization.name': k,
  'service.name': k,
  'service.id': k,
  'service.type': k,
  'service.version': k,
  'service.address': k,
  'service.environment': k,

  'faas.name': k,
  'faas.id': k,
  'faas.version': k,
  'faas.execution': k,
  'faas.coldstart': bool,
  'faas.trigger.type': k,

  'process.name': k,
  'process.pid': long,
  'process.executable': k,
  'process.command_line': k,
  'process.args': kArr,
  'process.exit_code': long,
  'process.start': date,
  'process.end': date,
  'process.user.name': k,
  'process.user.id': k,

  'email.from.address': kArr,
  'email.to.address': kArr,
  'email.cc.address': kArr,
  'email.bcc.address': kArr,
  'email.reply_to.address': kArr,
  'email.sender.address': k,
  'email.subject': k,
  'email.message_id': k,
  'email.local_id': k,
  'email.direction': k,
  'email.x_mailer': k,
  'email.content_type': k,
  'email.delivery_timestamp': date,
  'email.origination_timestamp': date,
  'email.attachments': {
    type: 'object',
    array: true,
    fields: {
      file: {
        type: 'object',
        fields: {
          name: k,
          extension: k,
          mime_type: k,
          size: long,
          hash: { type: 'object', fields: { md5: k, sha1: k, sha256: k, ssdeep: k } },
        },
      },
    },
  },

  'threat.framework': k,
  'threat.feed.name': k,
  'threat.indicator.type': k,
  'threat.indicator.ip': ip,
  'threat.indicator.url.full': k,
  'threat.indicator.url.domain': k,
  'threat.indicator.email.address': k,
  'threat.indicator.description': k,
  'threat.indicator.confidence': k,
  'threat.software.name': k,
  'threat.tactic.name': kArr,
  'threat.technique.name': kArr,
  'threat.technique.id': kArr,

  'vulnerability.id': k,
  'vulnerability.severity': k,
  'vulnerability.description': k,
  'vulnerability.category': kArr,

  'trace.id': k,
  'transaction.id': k,

  'file.name': k,
  'file.path': k,
  'file.size': long,
  'file.mime_type': k,
  'file.type': k,
  'file.hash.md5': k,
  'file.hash.sha1': k,
  'file.hash.sha256': k,
  'file.extension': k,
  'file.directory': k,

  'error.code': k,
  'error.message': text,
  'error.type': k,
  'error.id': k,
  'error.stack_trace': k,

  'related.ip': ipArr,
  'related.hosts': kArr,
  'related.user': kArr,
  'related.hash': kArr,
};

/** The ECS version the events follow. */
export const ECS_VERSION = '8.17.0';

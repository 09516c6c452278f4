/**
 * DNS code tables shared by the DNS datasets (`gateway_dns` now, `dns_logs` and `dns_firewall_logs` later): Cloudflare
 * logs numeric QTYPEs, CLASSes and RCODEs, ECS wants their mnemonics (`dns.question.type: "AAAA"`,
 * `dns.answers.class: "IN"`, `dns.response_code`).
 *
 * Names are those of the IANA "Domain Name System (DNS) Parameters" registry
 * (https://www.iana.org/assignments/dns-parameters/), which is also what SEKOIA's dns_logs table uses
 * (`../shared/conformance/sekoia/NOTES.md` §6: 1→A, 28→AAAA, 3→NXDomain).
 */

/** Resource record TYPE number → IANA mnemonic (obsolete and experimental types left out). */
export const DNS_TYPES: Readonly<Record<number, string>> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  10: 'NULL',
  11: 'WKS',
  12: 'PTR',
  13: 'HINFO',
  14: 'MINFO',
  15: 'MX',
  16: 'TXT',
  17: 'RP',
  18: 'AFSDB',
  24: 'SIG',
  25: 'KEY',
  28: 'AAAA',
  29: 'LOC',
  33: 'SRV',
  35: 'NAPTR',
  36: 'KX',
  37: 'CERT',
  39: 'DNAME',
  41: 'OPT',
  42: 'APL',
  43: 'DS',
  44: 'SSHFP',
  45: 'IPSECKEY',
  46: 'RRSIG',
  47: 'NSEC',
  48: 'DNSKEY',
  49: 'DHCID',
  50: 'NSEC3',
  51: 'NSEC3PARAM',
  52: 'TLSA',
  53: 'SMIMEA',
  55: 'HIP',
  59: 'CDS',
  60: 'CDNSKEY',
  61: 'OPENPGPKEY',
  62: 'CSYNC',
  63: 'ZONEMD',
  64: 'SVCB',
  65: 'HTTPS',
  66: 'DSYNC',
  99: 'SPF',
  108: 'EUI48',
  109: 'EUI64',
  249: 'TKEY',
  250: 'TSIG',
  251: 'IXFR',
  252: 'AXFR',
  253: 'MAILB',
  254: 'MAILA',
  // The registry writes "*"; every resolver log and SIEM says ANY.
  255: 'ANY',
  256: 'URI',
  257: 'CAA',
  32768: 'TA',
  32769: 'DLV',
};

/** CLASS number → IANA mnemonic (the registry's "Resource Record (RR) CLASSes"; 255 is written "*" there). */
export const DNS_CLASSES: Readonly<Record<number, string>> = {
  1: 'IN',
  3: 'CH',
  4: 'HS',
  254: 'NONE',
  255: 'ANY',
};

/** The mnemonic of a CLASS number; one without a mnemonic gets RFC 3597's generic `CLASS<n>`. */
export function dnsClassName(code: number): string {
  return DNS_CLASSES[code] ?? `CLASS${code}`;
}

/** RCODE number → IANA name, as written in the registry (mixed case up to 11, upper case for the EDNS ones). */
export const DNS_RESPONSE_CODES: Readonly<Record<number, string>> = {
  0: 'NoError',
  1: 'FormErr',
  2: 'ServFail',
  3: 'NXDomain',
  4: 'NotImp',
  5: 'Refused',
  6: 'YXDomain',
  7: 'YXRRSet',
  8: 'NXRRSet',
  9: 'NotAuth',
  10: 'NotZone',
  11: 'DSOTYPENI',
  // 16 is BADVERS in a response header (EDNS) and BADSIG only inside a TSIG record: a resolver's RCode is the former.
  16: 'BADVERS',
  17: 'BADKEY',
  18: 'BADTIME',
  19: 'BADMODE',
  20: 'BADNAME',
  21: 'BADALG',
  22: 'BADTRUNC',
  23: 'BADCOOKIE',
};

/**
 * The mnemonic of a QTYPE number; a type without a mnemonic gets RFC 3597's generic `TYPE<n>` (so the question type
 * is never silently missing, unlike SEKOIA's table lookup, NOTES §6 dns_logs `65353`).
 */
export function dnsTypeName(code: number): string {
  return DNS_TYPES[code] ?? `TYPE${code}`;
}

/** The IANA name of an RCODE, or undefined for a code the registry does not assign. */
export function dnsResponseCodeName(code: number): string | undefined {
  return DNS_RESPONSE_CODES[code];
}

/**
 * A query name as ECS `dns.question.name` wants it: without the trailing dot of the fully qualified form
 * (`example.com.` → `example.com`), except the root, which Cloudflare logs as `.` and which stays `.`.
 */
export function dnsQuestionName(name: string): string {
  return name.length > 1 && name.endsWith('.') ? name.slice(0, -1) : name;
}

/**
 * `event.outcome` of a DNS answer, for datasets whose only verdict is the response code (dns_logs,
 * dns_firewall_logs): RCODE 0 (NoError) is a success and any other code (NXDomain, ServFail, Refused…) a failure, as
 * in Packetbeat's DNS events; no code is unknown. Gateway's outcome is its policy decision instead (gateway-dns.ts).
 */
export function dnsResponseOutcome(code: unknown): 'success' | 'failure' | 'unknown' {
  if (typeof code !== 'number') return 'unknown';
  return code === 0 ? 'success' : 'failure';
}

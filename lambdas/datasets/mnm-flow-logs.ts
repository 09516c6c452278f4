import { defineMapper } from './mapper.ts';
import { setIpProtocol, setNetworkType } from './network-analytics-logs.ts';

/**
 * `mnm_flow_logs`: Magic Network Monitoring, one line per flow record (NetFlow/IPFIX or sFlow sample) that a
 * customer's router exported to Cloudflare (account-scoped). No field table exists in `../shared/cloudflare/`:
 * this one was written from Cloudflare's public field reference
 * (developers.cloudflare.com/logs/reference/log-fields/account/mnm_flow_logs/), recalled rather than copied from a
 * saved page, and from the key fields `../shared/cloudflare/INDEX.md` names (Timestamp, FlowTimestamp,
 * SourceAddress, PacketID). Less certain: Ethertype, SamplingRate and TCPFlags (kept, `any`), whether Protocol is
 * a number or a name (`any`, read either way), and the meaning of the two times: Timestamp (the dataset's event
 * time, `@timestamp`) is taken as when Cloudflare received the record, FlowTimestamp (kept) as the router's own.
 *
 * A flow record is an observation, not a decision: kind event, category network, type connection, and no
 * outcome. Bytes/Packets are the flow's counters (`network.bytes`/`network.packets`, as the router reported them,
 * not scaled by the sampling rate). PacketID with Timestamp is the natural key of `event.id`.
 */
export const mnmFlowLogs = defineMapper({
  dataset: 'mnm_flow_logs',
  observerType: 'sensor',
  category: ['network'],
  type: ['connection'],
  idFields: ['PacketID', 'Timestamp'],
  // Timestamp is shared by many account datasets; these names are only in flow records.
  signature: {
    all: ['Timestamp'],
    any: ['FlowTimestamp', 'PacketID', 'SourceAddress', 'DestinationAddress', 'SamplingRate'],
  },
  fields: {
    Bytes: { type: 'int', to: 'network.bytes' },
    DestinationAddress: { type: 'string', to: 'destination.ip' },
    DestinationPort: { type: 'int', to: 'destination.port' },
    Ethertype: { type: 'any' },
    FlowTimestamp: { type: 'time' },
    PacketID: { type: 'string' },
    Packets: { type: 'int', to: 'network.packets' },
    // The IP protocol, an IANA number or a name: network.iana_number/transport in refine.
    Protocol: { type: 'any' },
    SamplingRate: { type: 'any' },
    SourceAddress: { type: 'string', to: 'source.ip' },
    SourcePort: { type: 'int', to: 'source.port' },
    TCPFlags: { type: 'any' },
    Timestamp: { type: 'time', to: '@timestamp' },
  },
  derives: ['network.iana_number', 'network.transport', 'network.type'],
  refine({ values, event, vendor }) {
    if (setIpProtocol(event, values.Protocol)) vendor.Protocol = undefined;
    setNetworkType(event);
  },
});

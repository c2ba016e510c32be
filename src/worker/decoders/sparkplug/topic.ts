/**
 * Sparkplug B topics: `spBv1.0/<group>/<type>/<edge node>[/<device>]`, and the host application's
 * `spBv1.0/STATE/<host id>` of Sparkplug 3.0.
 */

export const NAMESPACE = 'spBv1.0';

/** Message types of an edge node (no device level). */
export const NODE_TYPES = ['NBIRTH', 'NDEATH', 'NDATA', 'NCMD'] as const;
/** Message types of a device (a device level after the edge node). */
export const DEVICE_TYPES = ['DBIRTH', 'DDEATH', 'DDATA', 'DCMD'] as const;

export type NodeMessageType = (typeof NODE_TYPES)[number];
export type DeviceMessageType = (typeof DEVICE_TYPES)[number];
export type SparkplugMessageType = NodeMessageType | DeviceMessageType | 'STATE';

export type SparkplugTopic =
  | { type: NodeMessageType; group: string; node: string }
  | { type: DeviceMessageType; group: string; node: string; device: string }
  /** `spBv1.0/STATE/<host id>` (3.0), or `spBv1.0/<group>/STATE/<id>`; a host application's state, JSON or text, not protobuf. */
  | { type: 'STATE'; hostId: string; group?: string };

export type TopicReading = { ok: true; topic: SparkplugTopic } | { ok: false; reason: string };

const isNodeType = (type: string): type is NodeMessageType => (NODE_TYPES as readonly string[]).includes(type);
const isDeviceType = (type: string): type is DeviceMessageType => (DEVICE_TYPES as readonly string[]).includes(type);

/** Whether the topic is in the Sparkplug B namespace at all (its first level is spBv1.0). */
export function inSparkplugNamespace(topic: string): boolean {
  return topic.startsWith(`${NAMESPACE}/`);
}

/**
 * Reads a Sparkplug B topic. Anything else, under spBv1.0 or not, is "not a Sparkplug topic" with the
 * reason. Splits once, never more levels than a Sparkplug topic has (a topic can have 20,000 levels).
 */
export function parseSparkplugTopic(topic: string): TopicReading {
  const fail = (reason: string): TopicReading => ({ ok: false, reason: `Not a Sparkplug topic: ${reason}` });
  if (!inSparkplugNamespace(topic)) return fail(`it does not start with ${NAMESPACE}/`);
  // At most 6 pieces: a sixth means more levels than any Sparkplug topic has.
  const levels = topic.split('/', 6);
  const [, group, type, node, device] = levels;
  if (levels.length === 3 && group === 'STATE') {
    return type ? { ok: true, topic: { type: 'STATE', hostId: type } } : fail('STATE needs a host id (spBv1.0/STATE/<host id>)');
  }
  if (levels.length < 4) return fail(`it has ${levels.length} levels; a Sparkplug topic is spBv1.0/<group>/<type>/<edge node>[/<device>]`);
  if (!group) return fail('the group id is empty');
  if (type === 'STATE') {
    if (levels.length !== 4) return fail('STATE is spBv1.0/<group>/STATE/<id>, one level after the type');
    return node ? { ok: true, topic: { type: 'STATE', hostId: node, group } } : fail('the STATE id is empty');
  }
  const many = levels.length === 6 ? 'more than 5' : String(levels.length);
  if (isNodeType(type)) {
    if (levels.length !== 4) return fail(`${type} is spBv1.0/<group>/${type}/<edge node>; this topic has ${many} levels`);
    if (!node) return fail('the edge node id is empty');
    return { ok: true, topic: { type, group, node } };
  }
  if (isDeviceType(type)) {
    if (levels.length !== 5) return fail(`${type} is spBv1.0/<group>/${type}/<edge node>/<device>; this topic has ${many} levels`);
    if (!node) return fail('the edge node id is empty');
    if (!device) return fail('the device id is empty');
    return { ok: true, topic: { type, group, node, device } };
  }
  return fail(`"${type}" is not a Sparkplug message type (${[...NODE_TYPES, ...DEVICE_TYPES, 'STATE'].join(', ')})`);
}

/** The topic of a message for an edge node or one of its devices. */
export function sparkplugTopic(type: NodeMessageType | DeviceMessageType, group: string, node: string, device?: string): string {
  return device === undefined ? `${NAMESPACE}/${group}/${type}/${node}` : `${NAMESPACE}/${group}/${type}/${node}/${device}`;
}

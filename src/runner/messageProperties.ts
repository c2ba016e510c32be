/**
 * A received packet's MQTT 5 properties as the runner reports them: the two ports (the command
 * line's MQTT.js client, the engine's connection) both read MQTT.js packets.
 */
import type { IPublishPacket } from 'mqtt';
import type { PortMessageProperties } from './types';

export function portMessageProperties(properties: IPublishPacket['properties']): PortMessageProperties | undefined {
  if (!properties) return undefined;
  const result: PortMessageProperties = {};
  if (properties.contentType !== undefined) result.contentType = properties.contentType;
  if (properties.responseTopic !== undefined) result.responseTopic = properties.responseTopic;
  if (properties.correlationData !== undefined) result.correlationData = new Uint8Array(properties.correlationData);
  if (properties.messageExpiryInterval !== undefined) result.messageExpiryInterval = properties.messageExpiryInterval;
  if (properties.payloadFormatIndicator !== undefined) result.payloadFormatIndicator = properties.payloadFormatIndicator;
  if (properties.userProperties) {
    // MQTT.js groups repeated names into arrays; the runner keeps the pairs.
    const pairs: [string, string][] = [];
    for (const [name, value] of Object.entries(properties.userProperties)) {
      for (const one of Array.isArray(value) ? value : [value]) pairs.push([name, String(one)]);
    }
    result.userProperties = pairs;
  }
  return Object.keys(result).length ? result : undefined;
}

import type mqtt from 'mqtt';
import { waitFor } from './waitFor';

export interface ReceivedMqttMessage {
  topic: string;
  payload: Buffer;
  packet: mqtt.IPublishPacket;
}

/** The next message a separate MQTT.js client receives on `topic`; rejects after `timeoutMs`. */
export function nextMessage(client: mqtt.MqttClient, topic: string, timeoutMs = 10_000): Promise<ReceivedMqttMessage> {
  return waitFor(
    (listener: (value: ReceivedMqttMessage) => void) => {
      const handler = (received: string, payload: Buffer, packet: mqtt.IPublishPacket) => listener({ topic: received, payload, packet });
      client.on('message', handler);
      return { dispose: () => client.off('message', handler) };
    },
    (message) => message.topic === topic,
    timeoutMs,
    `a message on ${topic}`,
  );
}

import mqtt from 'mqtt';
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

/** The CONNACK return code an outside MQTT.js client gets from the broker at `url` (0: accepted). */
export async function connackCode(url: string, options: mqtt.IClientOptions = {}): Promise<number> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
  try {
    return await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no CONNACK within 5 s')), 5000);
      client.once('connect', () => (clearTimeout(timer), resolve(0)));
      client.once('error', (error: Error & { code?: unknown }) => {
        clearTimeout(timer);
        if (typeof error.code === 'number') resolve(error.code);
        else reject(error);
      });
    });
  } finally {
    client.end(true);
  }
}

/**
 * The `.mqtt` runner's port (src/runner/types.ts) over one of the engine's connections: runs of a
 * file from the editor or the Test Explorer publish and listen on the connection the user chose, in
 * the worker, so that what they listen to never crosses to the extension host message by message.
 */
import * as l10n from '@vscode/l10n';
import type { BrokerConnection, RawMessage } from './connection';
import { portMessageProperties } from '../runner/messageProperties';
import type { Disposer, Lease, MessageListener, MqttPort, PortPublishOptions, PortPublishResult, PortSubscribeOptions } from '../runner/types';

export class ConnectionRunnerPort implements MqttPort {
  readonly mqttVersion: 4 | 5;

  constructor(private readonly connection: BrokerConnection) {
    this.mqttVersion = connection.profile.mqttVersion === 5 ? 5 : 4;
  }

  async publish(topic: string, payload: Uint8Array, options: PortPublishOptions): Promise<PortPublishResult> {
    const ack = options.qos === 0 ? 'none' : options.qos === 1 ? 'puback' : 'pubcomp';
    if (this.connection.state.kind !== 'connected') return { ok: false, ack, reason: l10n.t('{0} is not connected.', this.connection.profile.name) };
    try {
      const result = await this.connection.publish(topic, payload, options);
      return { ok: result.reasonCode < 0x80, ack: result.ack, reasonCode: result.ack === 'none' ? undefined : result.reasonCode, reason: result.ack === 'none' ? 'Sent' : result.reason };
    } catch (error) {
      return { ok: false, ack, reason: error instanceof Error ? error.message : String(error) };
    }
  }

  subscribe(filter: string, options: PortSubscribeOptions): Promise<Lease> {
    return this.connection.lease(filter, options.qos);
  }

  onMessage(listener: MessageListener): Disposer {
    return this.connection.onDidReceiveMessage((message: RawMessage) => {
      const properties = portMessageProperties(message.properties);
      const base = { payload: message.payload, qos: message.qos, retain: message.retain, receivedAt: message.receivedAt };
      listener(message.topic, properties ? { ...base, properties } : base);
    });
  }
}

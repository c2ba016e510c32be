import { createServer, type Server, type Socket } from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';

/**
 * A broker that sends what real brokers refuse to relay: mosquitto and aedes both drop a client that
 * publishes a 20,000-level topic, yet a broker (or a peer posing as one) can send it to us. It speaks
 * just enough MQTT (3.1.1 and 5) to accept a client and its subscriptions; the test then pushes any
 * PUBLISH it likes to every client. Loopback only.
 */
export class HostileBroker {
  private readonly clients = new Map<Socket, number>();
  private readonly sockets = new Set<Socket>();
  /** Connections accepted so far, whatever they sent. */
  accepted = 0;
  /** The credentials of every CONNECT received, in order (what a client would hand this machine). */
  readonly connects: { username?: string; password?: string }[] = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Listens on `host`: any address of 127.0.0.0/8 is this machine, so a test can stand in for "another host". */
  static async start(host = '127.0.0.1'): Promise<HostileBroker> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    const address = server.address();
    const broker = new HostileBroker(server, typeof address === 'object' && address ? address.port : 0);
    server.on('connection', (socket) => broker.accept(socket));
    return broker;
  }

  /** Clients that have subscribed to something. */
  get subscribers(): number {
    return this.clients.size;
  }

  private accept(socket: Socket): void {
    this.accepted++;
    this.sockets.add(socket);
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    let protocolVersion = 4;
    const send = (packet: Packet) => socket.write(mqttPacket.generate(packet, { protocolVersion }));
    parser.on('packet', (packet) => {
      switch (packet.cmd) {
        case 'connect':
          protocolVersion = packet.protocolVersion ?? 4;
          this.connects.push({ ...(packet.username !== undefined && { username: packet.username }), ...(packet.password !== undefined && { password: packet.password.toString() }) });
          send({ cmd: 'connack', returnCode: 0, reasonCode: 0, sessionPresent: false });
          break;
        case 'subscribe':
          send({ cmd: 'suback', messageId: packet.messageId, granted: packet.subscriptions.map(() => 0) });
          this.clients.set(socket, protocolVersion);
          break;
        case 'pingreq':
          send({ cmd: 'pingresp' });
          break;
        case 'publish':
          if (packet.qos === 1) send({ cmd: 'puback', messageId: packet.messageId });
          break;
        case 'disconnect':
          socket.end();
          break;
      }
    });
    socket.on('data', (chunk) => parser.parse(chunk));
    socket.on('close', () => {
      this.clients.delete(socket);
      this.sockets.delete(socket);
    });
    socket.on('error', () => socket.destroy());
  }

  /** Sends a QoS 0 PUBLISH to every subscribed client, whatever the topic. */
  publish(topic: string, payload: string | Buffer): void {
    for (const [socket, protocolVersion] of this.clients) {
      socket.write(mqttPacket.generate({ cmd: 'publish', topic, payload, qos: 0, retain: false, dup: false }, { protocolVersion }));
    }
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

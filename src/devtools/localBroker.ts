import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';

/** Thrown by LocalBroker.start when the port is held by another process. */
export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(`Port ${port} on 127.0.0.1 is already in use.`);
    this.name = 'PortInUseError';
  }
}

/** Asks the OS for a port that is free on loopback right now. */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * An MQTT broker (aedes) inside the extension, listening on loopback only, for local development.
 * It never binds a public interface: a developer's broker must not be reachable from the network.
 */
export class LocalBroker {
  readonly host = '127.0.0.1';
  private broker: Aedes | undefined;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private boundPort = 0;

  get running(): boolean {
    return this.server !== undefined;
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `mqtt://${this.host}:${this.boundPort}`;
  }

  /** Starts on `port` (0 for any free one). Rejects with PortInUseError when the port is taken. */
  async start(port: number): Promise<number> {
    if (this.server) return this.boundPort;
    const broker = await Aedes.createBroker();
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      broker.handle(socket);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, this.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError(port);
      throw error;
    }
    const address = server.address();
    this.boundPort = typeof address === 'object' && address ? address.port : port;
    this.broker = broker;
    this.server = server;
    return this.boundPort;
  }

  async stop(): Promise<void> {
    const { broker, server } = this;
    this.broker = undefined;
    this.server = undefined;
    this.boundPort = 0;
    if (!server || !broker) return;
    // Open client sockets would keep server.close() waiting forever.
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => broker.close(() => resolve()));
  }
}

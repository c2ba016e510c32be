import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import { PortInUseError } from './ports';

export { findFreePort, PortInUseError } from './ports';

/**
 * An MQTT broker (aedes) listening on loopback only, for local development. The extension runs it
 * in the devtools worker thread (devtoolsWorker.ts); tests and the benchmark use it directly.
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

  /** Open client connections. */
  get clientCount(): number {
    return this.sockets.size;
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

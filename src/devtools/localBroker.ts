import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes, type AuthenticateError } from 'aedes';
import type { BrokerCredentials } from './devtoolsProtocol';
import { PortInUseError } from './ports';

export { findFreePort, PortInUseError } from './ports';

export { LOCAL_BROKER_USERNAME, type BrokerCredentials } from './devtoolsProtocol';

/** A refused CONNECT: CONNACK return code 4 (bad user name or password) or 5 (not authorised). */
function refusal(returnCode: 4 | 5, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

/** Compares in time that does not depend on where the bytes differ. */
function sameBytes(given: Buffer, expected: Buffer): boolean {
  return given.length === expected.length && timingSafeEqual(given, expected);
}

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

  /**
   * Starts on `port` (0 for any free one). Rejects with PortInUseError when the port is taken. With
   * `credentials`, a client that does not send exactly that user name and password is refused.
   */
  async start(port: number, credentials?: BrokerCredentials): Promise<number> {
    if (this.server) return this.boundPort;
    const expected = credentials && { username: credentials.username, password: Buffer.from(credentials.password, 'utf8') };
    const broker = await Aedes.createBroker({
      authenticate: (_client, username, password, done) => {
        if (!expected) return done(null, true);
        if (username === undefined && password === undefined) return done(refusal(5, 'This broker requires a user name and password.'), false);
        if (username === expected.username && password !== undefined && sameBytes(password, expected.password)) return done(null, true);
        done(refusal(4, 'Bad user name or password.'), false);
      },
    });
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

import { parentPort } from 'node:worker_threads';
import { Endpoint, portTransport, type Handlers } from '../shared/rpc';
import { LocalBroker } from './localBroker';
import { PortInUseError } from './ports';
import { DeviceSimulator } from './simulator';
import { lowerThisThreadPriority } from '../worker/threadPriority';
import type { BrokerCredentials, DevtoolsHostApi, DevtoolsWireRequests, DevtoolsWorkerApi } from './devtoolsProtocol';

// The devtools worker: the local broker (aedes) and the device simulator's MQTT client run here, off
// the extension host's thread, which every other extension shares. At thousands of simulated
// messages a second, parsing and routing them would otherwise delay everything on that thread.

const port = parentPort;
if (!port) throw new Error('devtoolsWorker must run in a worker thread');
// A development aid: the extension host's thread gets the cores first.
lowerThisThreadPriority();

const broker = new LocalBroker();
/** What the running broker requires of its clients (the simulator is one), if anything. */
let credentials: BrokerCredentials | undefined;
let simulator: DeviceSimulator | undefined;

// One request at a time, in order: a stop that arrives during a start waits for it instead of
// racing it (a broker half started and half stopped would keep its port).
let queue: Promise<unknown> = Promise.resolve();
function serial<P, R>(handler: (params: P) => Promise<R>): (params: P) => Promise<R> {
  return (params) => {
    const run = queue.then(() => handler(params));
    queue = run.catch(() => undefined);
    return run;
  };
}

async function stopSimulator(): Promise<void> {
  const running = simulator;
  simulator = undefined;
  await running?.stop();
}

const handlers: Handlers<DevtoolsWireRequests> = {
  startBroker: serial(async (params: DevtoolsWireRequests['startBroker']['params']) => {
    try {
      if (broker.running) return { port: broker.port };
      const port = await broker.start(params.port, params.credentials);
      credentials = params.credentials;
      return { port };
    } catch (error) {
      if (error instanceof PortInUseError) return { portInUse: error.port };
      throw error;
    }
  }),
  stopBroker: serial(async () => {
    await stopSimulator();
    await broker.stop();
    credentials = undefined;
  }),
  startSimulator: serial(async (options: DevtoolsWireRequests['startSimulator']['params']) => {
    if (!simulator) {
      const starting = new DeviceSimulator({ ...options, credentials });
      await starting.start();
      simulator = starting;
    }
    return { plan: simulator.plan, messagesPerSecond: simulator.plan.devices.length * options.messagesPerSecond };
  }),
  stopSimulator: serial(stopSimulator),
  status: serial(async () => ({
    broker: { running: broker.running, port: broker.port, clients: broker.clientCount },
    simulator: { running: simulator?.running ?? false, messagesSent: simulator?.messagesSent ?? 0 },
  })),
};

new Endpoint<DevtoolsWorkerApi, DevtoolsHostApi>(portTransport(port), { peer: 'the extension host', handlers });

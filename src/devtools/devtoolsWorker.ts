import { parentPort } from 'node:worker_threads';
import { LocalBroker } from './localBroker';
import { PortInUseError } from './ports';
import { DeviceSimulator } from './simulator';
import type { DevtoolsError, DevtoolsReply, DevtoolsRequest, DevtoolsRequests } from './devtoolsProtocol';

// The devtools worker: the local broker (aedes) and the device simulator's MQTT client run here, off
// the extension host's thread, which every other extension shares. At thousands of simulated
// messages a second, parsing and routing them would otherwise delay everything on that thread.

const port = parentPort;
if (!port) throw new Error('devtoolsWorker must run in a worker thread');
const post = (reply: DevtoolsReply) => port.postMessage(reply);

const broker = new LocalBroker();
let simulator: DeviceSimulator | undefined;

async function stopSimulator(): Promise<void> {
  const running = simulator;
  simulator = undefined;
  await running?.stop();
}

const handlers: { [K in keyof DevtoolsRequests]: (params: DevtoolsRequests[K]['params']) => Promise<DevtoolsRequests[K]['result']> } = {
  startBroker: async ({ port: wanted }) => ({ port: await broker.start(wanted) }),
  stopBroker: async () => {
    await stopSimulator();
    await broker.stop();
  },
  startSimulator: async (options) => {
    if (!simulator) {
      const starting = new DeviceSimulator(options);
      await starting.start();
      simulator = starting;
    }
    return { plan: simulator.plan, messagesPerSecond: simulator.plan.devices.length * options.messagesPerSecond };
  },
  stopSimulator,
  status: async () => ({
    broker: { running: broker.running, port: broker.port, clients: broker.clientCount },
    simulator: { running: simulator?.running ?? false, messagesSent: simulator?.messagesSent ?? 0 },
  }),
};

function toError(error: unknown): DevtoolsError {
  if (error instanceof PortInUseError) return { message: error.message, portInUse: error.port };
  return { message: error instanceof Error ? error.message : String(error) };
}

// One request at a time, in order: a stop that arrives during a start waits for it instead of
// racing it (a broker half started and half stopped would keep its port).
let queue: Promise<void> = Promise.resolve();
port.on('message', (request: DevtoolsRequest) => {
  const run = async () => {
    const handler = handlers[request.name] as ((params: unknown) => Promise<unknown>) | undefined;
    if (!handler) throw new Error(`The devtools worker does not handle ${String(request.name)}.`);
    return handler(request.params);
  };
  queue = queue.then(() =>
    run().then(
      (result) => post({ kind: 'reply', id: request.id, ok: true, result }),
      (error: unknown) => post({ kind: 'reply', id: request.id, ok: false, error: toError(error) }),
    ),
  );
});

import { parentPort } from 'node:worker_threads';
import { EngineCore } from './engineCore';
import type { EngineRequest, WorkerToHost } from '../shared/engineProtocol';

// The engine worker: MQTT clients and topic models run here, off the extension host's thread, which
// other extensions share. It answers requests and posts coalesced change reports.

const port = parentPort;
if (!port) throw new Error('engineWorker must run in a worker thread');
const post = (message: WorkerToHost) => port.postMessage(message);
const core = new EngineCore(post);

port.on('message', (request: EngineRequest) => {
  core.handle(request).then(
    (result) => post({ kind: 'reply', id: request.id, ok: true, result }),
    (error: unknown) => post({ kind: 'reply', id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
});

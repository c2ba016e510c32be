import { parentPort } from 'node:worker_threads';
import { EngineCore } from './engineCore';
import type { EngineRequest, WorkerToHost } from '../shared/engineProtocol';

// The engine worker: MQTT clients and topic models run here, off the extension host's thread, which
// other extensions share. It answers requests and posts coalesced change reports.

const port = parentPort;
if (!port) throw new Error('engineWorker must run in a worker thread');
const post = (message: WorkerToHost) => port.postMessage(message);
const core = new EngineCore(post);

port.on('message', (request: EngineRequest | ShutdownRequest) => {
  if (request.kind === 'shutdown') return shutdown(request.id);
  core.handle(request).then(
    (result) => post({ kind: 'reply', id: request.id, ok: true, result }),
    (error: unknown) => post({ kind: 'reply', id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
});

// Clean shutdown (EngineClient.shutdown, from the extension's deactivate): every connection ends
// with a DISCONNECT, so brokers publish no last wills; the host then ends the thread. A message of
// its own until engineProtocol.ts has a `shutdown` request.
interface ShutdownRequest {
  kind: 'shutdown';
  id: number;
}

function shutdown(id: number): void {
  core.dispose().then(
    () => post({ kind: 'reply', id, ok: true, result: undefined }),
    (error: unknown) => post({ kind: 'reply', id, ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
}

import { Worker } from 'node:worker_threads';
import { Disposable, Emitter } from '../shared/dispose';
import { PortInUseError } from './ports';
import type { DevtoolsReply, DevtoolsRequestName, DevtoolsRequests } from './devtoolsProtocol';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * The extension host's side of the devtools worker (local broker and device simulator): typed
 * requests, each with a deadline, and a taken port rejected as PortInUseError. Plain Node, no VS Code.
 */
export class DevtoolsClient extends Disposable {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly waiting = new Map<number, Pending>();
  private exited: Error | undefined;
  private closing: Promise<void> | undefined;
  private readonly exitEmitter = this.register(new Emitter<Error>());
  /** The thread stopped without being asked to (a crash): the broker and the simulator are gone. */
  readonly onDidExit = this.exitEmitter.event;

  constructor(
    workerScript: string,
    private readonly requestTimeoutMs = 15_000,
  ) {
    super();
    this.worker = new Worker(workerScript);
    this.worker.on('message', (reply: DevtoolsReply) => {
      const pending = this.waiting.get(reply.id);
      if (!pending) return; // Answered after its deadline: the caller has moved on.
      this.waiting.delete(reply.id);
      clearTimeout(pending.timer);
      if (reply.ok) pending.resolve(reply.result);
      else pending.reject(reply.error.portInUse !== undefined ? new PortInUseError(reply.error.portInUse) : new Error(reply.error.message));
    });
    const fail = (error: Error) => {
      if (this.exited) return;
      this.exited = error;
      for (const pending of this.waiting.values()) {
        clearTimeout(pending.timer);
        pending.reject(error);
      }
      this.waiting.clear();
      if (!this.closing && !this.isDisposed) this.exitEmitter.fire(error);
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`The local broker's worker thread exited with code ${code}.`)));
    this.register({ dispose: () => void this.worker.terminate() });
  }

  request<K extends DevtoolsRequestName>(name: K, params: DevtoolsRequests[K]['params'], timeoutMs = this.requestTimeoutMs): Promise<DevtoolsRequests[K]['result']> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`The local broker's worker thread did not answer ${name} within ${timeoutMs} ms.`));
      }, timeoutMs);
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      this.worker.postMessage({ kind: 'request', id, name, params });
    });
  }

  /**
   * Stops the simulator and the broker (their clients see the sockets close), waiting at most
   * `timeoutMs` for that, then ends the thread. Resolves once the thread is gone.
   */
  close(timeoutMs: number): Promise<void> {
    this.closing ??= (async () => {
      await this.request('stopBroker', {}, timeoutMs).catch(() => undefined);
      this.dispose();
      await this.worker.terminate();
    })();
    return this.closing;
  }
}

import * as l10n from '@vscode/l10n';
import { Worker } from 'node:worker_threads';
import { Disposable, Emitter } from '../shared/dispose';
import { PortInUseError } from './ports';
import { Endpoint, portTransport, type ParamsOf } from '../shared/rpc';
import { withWorkerRole } from '../shared/workerRole';
import type { DevtoolsHostApi, DevtoolsRequestName, DevtoolsRequests, DevtoolsWireRequests, DevtoolsWorkerApi } from './devtoolsProtocol';

/**
 * The extension host's side of the devtools worker (local broker and device simulator): typed
 * requests over the rpc endpoint, each with a deadline, and a taken port rejected as
 * PortInUseError. Plain Node, no VS Code.
 */
export class DevtoolsClient extends Disposable {
  private readonly worker: Worker;
  private readonly endpoint: Endpoint<DevtoolsHostApi, DevtoolsWorkerApi>;
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
    this.worker = new Worker(workerScript, { workerData: withWorkerRole('devtools') });
    this.endpoint = new Endpoint<DevtoolsHostApi, DevtoolsWorkerApi>(portTransport(this.worker), {
      peer: "the local broker's worker thread",
      handlers: {},
      timeoutMs: requestTimeoutMs,
    });
    const fail = (error: Error) => {
      if (this.exited) return;
      this.exited = error;
      this.endpoint.failAll(error);
      if (!this.closing && !this.isDisposed) this.exitEmitter.fire(error);
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(l10n.t("The local broker's worker thread exited with code {0}.", code))));
    this.register({ dispose: () => (this.endpoint.dispose(), void this.worker.terminate()) });
  }

  async request<K extends DevtoolsRequestName>(name: K, params: DevtoolsRequests[K]['params'], timeoutMs = this.requestTimeoutMs): Promise<DevtoolsRequests[K]['result']> {
    if (this.exited) throw this.exited;
    // The same types as rpc.ts's ParamsOf/ResultOf; TypeScript cannot relate the two for a generic K.
    const result = (await this.endpoint.request(name, params as ParamsOf<DevtoolsWireRequests, K>, { timeoutMs })) as unknown;
    if (name === 'startBroker' && typeof result === 'object' && result !== null && 'portInUse' in result) throw new PortInUseError((result as { portInUse: number }).portInUse);
    return result as DevtoolsRequests[K]['result'];
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

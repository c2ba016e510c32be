import type { PublishProperties, PublishResult } from '../../shared/publish';
import { Worker } from 'node:worker_threads';
import type { BackoffOptions } from '../../worker/backoff';
import type { ConnectionSecrets, ConnectionState, Subscription } from '../../worker/connection';
import { Disposable, Emitter } from '../../shared/dispose';
import type { TreeStats } from '../../worker/topicTree';
import type { ConnectionProfile, QoS, SubscriptionSpec } from '../../shared/profile';
import type { EngineEvent, EngineRequestName, EngineRequests, TopicChangesEvent, WorkerToHost } from '../../shared/engineProtocol';

export type TopicChanges = TopicChangesEvent;

/**
 * The extension host's side of the engine worker: typed requests with replies, and the worker's
 * events. Plain Node (worker_threads), no VS Code.
 */
export class EngineClient extends Disposable {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private readonly eventEmitter = this.register(new Emitter<EngineEvent>());
  readonly onEvent = this.eventEmitter.event;
  private exited: Error | undefined;

  constructor(workerScript: string, options: { execArgv?: string[] } = {}) {
    super();
    this.worker = new Worker(workerScript, { execArgv: options.execArgv });
    this.worker.on('message', (message: WorkerToHost) => {
      if (message.kind !== 'reply') {
        this.eventEmitter.fire(message);
        return;
      }
      const pending = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (message.ok) pending?.resolve(message.result);
      else pending?.reject(new Error(message.error));
    });
    const fail = (error: Error) => {
      this.exited = error;
      for (const pending of this.waiting.values()) pending.reject(error);
      this.waiting.clear();
      this.eventEmitter.fire({ kind: 'log', level: 'error', line: `The MQTT engine stopped: ${error.message}` });
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => {
      if (!this.isDisposed) fail(new Error(`engine worker exited with code ${code}`));
    });
    this.register({ dispose: () => void this.worker.terminate() });
  }

  request<K extends EngineRequestName>(name: K, params: EngineRequests[K]['params']): Promise<EngineRequests[K]['result']> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ kind: 'request', id, name, params });
    });
  }

  /**
   * Asks the worker to end every connection with an MQTT DISCONNECT, so brokers publish no last
   * wills (terminate() alone drops the sockets). Waits at most `timeoutMs`, so a stuck worker or
   * broker cannot hold up VS Code's shutdown; resolves whether the worker confirmed in time. The
   * caller disposes (ends the thread) afterwards.
   */
  shutdown(timeoutMs: number): Promise<boolean> {
    if (this.exited || this.isDisposed) return Promise.resolve(false);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(false);
      }, timeoutMs);
      const settle = (confirmed: boolean) => {
        clearTimeout(timer);
        resolve(confirmed);
      };
      this.waiting.set(id, { resolve: () => settle(true), reject: () => settle(false) });
      // Not an EngineRequest (engineWorker.ts handles it before them) until the protocol has one.
      this.worker.postMessage({ kind: 'shutdown', id });
    });
  }
}

export interface RemoteConnectionDeps {
  secrets: () => Promise<ConnectionSecrets>;
  backoff: BackoffOptions;
}

/**
 * A broker connection as the extension host sees it: its profile, the state and subscriptions the
 * worker reports, and requests to the worker. Same surface as the engine's BrokerConnection.
 */
export class RemoteConnection extends Disposable {
  private current: ConnectionState = { kind: 'disconnected' };
  private subscriptionList: Subscription[];
  private readonly stateEmitter = this.register(new Emitter<ConnectionState>());
  readonly onDidChangeState = this.stateEmitter.event;
  private readonly subscriptionEmitter = this.register(new Emitter<void>());
  readonly onDidChangeSubscriptions = this.subscriptionEmitter.event;
  /** The last totals the worker reported. */
  stats: TreeStats = { received: 0, dropped: 0, truncated: 0, bytes: 0, kept: 0 };

  constructor(
    readonly profile: ConnectionProfile,
    private readonly engine: EngineClient,
    private readonly deps: RemoteConnectionDeps,
  ) {
    super();
    this.subscriptionList = profile.subscriptions.map((spec) => ({ spec, status: { state: 'pending' } }));
  }

  get id(): string {
    return this.profile.id;
  }

  get state(): ConnectionState {
    return this.current;
  }

  get subscriptions(): Subscription[] {
    return this.subscriptionList;
  }

  /** Called by the registry with the worker's events for this connection. */
  applyEvent(event: EngineEvent): void {
    if (event.kind === 'state') {
      this.current = event.state;
      this.stateEmitter.fire(event.state);
    } else if (event.kind === 'subscriptions') {
      this.subscriptionList = event.subscriptions;
      this.subscriptionEmitter.fire();
    } else if (event.kind === 'changes') {
      this.stats = event.stats;
    }
  }

  async connect(): Promise<void> {
    if (this.current.kind === 'connected') return;
    // Secrets go to the worker in memory, at each connect; they are never stored or logged.
    const secrets = await this.deps.secrets();
    await this.engine.request('connect', { connectionId: this.id, profile: this.profile, secrets, backoff: this.deps.backoff });
  }

  disconnect(): Promise<void> {
    return this.engine.request('disconnect', { connectionId: this.id }).catch(() => undefined);
  }

  reconnectNow(): void {
    void this.engine.request('reconnectNow', { connectionId: this.id }).catch(() => undefined);
  }

  addSubscription(spec: SubscriptionSpec): Promise<Subscription> {
    return this.engine.request('addSubscription', { connectionId: this.id, spec });
  }

  removeSubscription(topic: string): Promise<void> {
    return this.engine.request('removeSubscription', { connectionId: this.id, topic });
  }

  publish(topic: string, payload: string | Uint8Array, options: { qos?: QoS; retain?: boolean; properties?: PublishProperties } = {}): Promise<PublishResult> {
    const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
    return this.engine.request('publish', { connectionId: this.id, topic, payload: bytes, qos: options.qos ?? 0, retain: options.retain ?? false, properties: options.properties });
  }
}

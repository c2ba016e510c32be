// Plain Node (the unit tests run it without VS Code): translated through @vscode/l10n, configured by activate.
import * as l10n from '@vscode/l10n';
import type { PublishProperties, PublishResult } from '../../shared/publish';
import { Worker } from 'node:worker_threads';
import type { BackoffOptions } from '../../worker/backoff';
import type { ConnectionSecrets, ConnectionState, Subscription } from '../../worker/connection';
import { Disposable, Emitter } from '../../shared/dispose';
import type { TreeStats } from '../../worker/topicTree';
import type { ConnectionProfile, QoS, SubscriptionSpec } from '../../shared/profile';
import type { EngineEvent, EngineHostApi, EngineRequestName, EngineRequests, EngineWorkerApi, EngineWorkerData, TopicChangesEvent } from '../../shared/engineProtocol';
import { Endpoint, portTransport, type ParamsOf, type RequestOptions } from '../../shared/rpc';
import { withWorkerRole } from '../../shared/workerRole';

export type TopicChanges = TopicChangesEvent;

export interface EngineClientOptions {
  execArgv?: string[];
  /** Lets `testHook` make the worker exit or hang (the extension's own tests only). */
  testHooks?: boolean;
  /** How often the host asks the worker whether it is alive. */
  heartbeatMs?: number;
  /** A worker that does not answer a heartbeat within this long has stopped answering: it is restarted. */
  unresponsiveMs?: number;
  /** VS Code's translations (vscode.l10n.bundle), handed to each worker it starts. */
  l10nBundle?: Record<string, string>;
}

/** Why the engine restarted, and when it noticed. */
export interface EngineRestart {
  reason: string;
  /** Date.now() when the failure was noticed. */
  noticedAt: number;
  /** Restarts within the last minute, this one included. */
  recent: number;
}

/** More restarts than this within a minute: the worker fails at once each time, so it is not started again. */
const MAX_RESTARTS_PER_MINUTE = 5;
const DEFAULT_HEARTBEAT_MS = 2000;
const DEFAULT_UNRESPONSIVE_MS = 8000;

/**
 * The extension host's side of the engine worker: typed requests with deadlines and the worker's
 * events, over the one rpc endpoint (src/shared/rpc.ts). It supervises the thread: a worker that
 * crashes, exits or stops answering its heartbeat is ended and a fresh one started; pending
 * requests fail with the reason, and `onDidRestart` tells the rest of the extension (connections
 * reconnect, views start over). Plain Node (worker_threads), no VS Code.
 */
export class EngineClient extends Disposable {
  private worker!: Worker;
  private endpoint!: Endpoint<EngineHostApi, EngineWorkerApi>;
  private readonly eventEmitter = this.register(new Emitter<EngineEvent>());
  readonly onEvent = this.eventEmitter.event;
  private readonly restartEmitter = this.register(new Emitter<EngineRestart>());
  /** A fresh worker runs: it knows no connection, limits or views yet. */
  readonly onDidRestart = this.restartEmitter.event;
  /** Set when the worker failed too often to be started again. */
  private gaveUp: Error | undefined;
  private readonly restarts: number[] = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private generation = 0;
  private closing = false;

  constructor(
    private readonly workerScript: string,
    private readonly options: EngineClientOptions = {},
  ) {
    super();
    this.start();
    this.register({
      dispose: () => {
        clearInterval(this.heartbeat);
        this.endpoint.dispose();
        void this.worker.terminate();
      },
    });
  }

  private start(): void {
    const generation = ++this.generation;
    // 2^40 ids per worker: far more than one worker gives, and 2^53 leaves room for 8,000 restarts.
    const data: EngineWorkerData = { testHooks: this.options.testHooks === true, idBase: (generation - 1) * 2 ** 40, l10nBundle: this.options.l10nBundle };
    // A young generation of 16 MiB: the engine's data lives in typed arrays, its JS objects are
    // short-lived, and V8's larger default only holds memory (measured: 17 MiB less RSS at 600,000
    // topics, the same ingest rate).
    const worker = new Worker(this.workerScript, { execArgv: this.options.execArgv, workerData: withWorkerRole('engine', data), resourceLimits: { maxYoungGenerationSizeMb: 16 } });
    this.worker = worker;
    this.endpoint = new Endpoint<EngineHostApi, EngineWorkerApi>(portTransport(worker), {
      peer: 'the MQTT engine',
      handlers: {},
      // A person waits on these: a broker's connect timeout can be minutes, a QoS 2 publish needs two round trips.
      deadlines: { connect: Infinity, publish: 120_000, shutdown: Infinity, testHook: Infinity },
    });
    this.endpoint.on('engine', (event) => this.eventEmitter.fire(event));
    // Events of an old worker (a late 'exit') must not restart the new one.
    const current = () => generation === this.generation && !this.isDisposed;
    worker.on('error', (error) => {
      if (current()) this.fail(l10n.t('it crashed: {0}', error.message));
    });
    worker.on('exit', (code) => {
      if (current()) this.fail(l10n.t('its thread exited with code {0}', code));
    });
    clearInterval(this.heartbeat);
    const heartbeatMs = this.options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    const unresponsiveMs = this.options.unresponsiveMs ?? DEFAULT_UNRESPONSIVE_MS;
    let waiting = false;
    // Anything from the worker shows it alive: a reply already queued behind a busy host thread
    // must not count as a missed heartbeat.
    let heardAt = Date.now();
    worker.on('message', () => (heardAt = Date.now()));
    this.heartbeat = setInterval(() => {
      if (waiting || !current()) return;
      waiting = true;
      this.endpoint.request('ping', {}, { timeoutMs: unresponsiveMs }).then(
        () => (waiting = false),
        () =>
          // Let messages that already arrived be handled first, then judge.
          setImmediate(() => {
            waiting = false;
            if (current() && Date.now() - heardAt >= unresponsiveMs) this.fail(l10n.t('it did not answer within {0} s', unresponsiveMs / 1000));
          }),
      );
    }, heartbeatMs);
    // The heartbeat alone must not keep a process (a test, the benchmark) alive.
    this.heartbeat.unref();
  }

  /** Ends the failed worker, fails what it was asked, and starts a fresh one (unless it keeps failing). */
  private fail(reason: string): void {
    // Ending on purpose (deactivate): a worker that dies meanwhile is not replaced.
    if (this.closing) return;
    const noticedAt = Date.now();
    const error = new Error(l10n.t('The MQTT engine stopped: {0}.', reason));
    this.generation++;
    clearInterval(this.heartbeat);
    this.endpoint.failAll(error);
    this.endpoint.dispose();
    // terminate() also ends a thread stuck in a loop.
    void this.worker.terminate();
    this.eventEmitter.fire({ kind: 'log', level: 'error', line: error.message });
    while (this.restarts.length && this.restarts[0] < noticedAt - 60_000) this.restarts.shift();
    this.restarts.push(noticedAt);
    if (this.restarts.length > MAX_RESTARTS_PER_MINUTE) {
      this.gaveUp = new Error(l10n.t('The MQTT engine stopped {0} times within a minute and was not started again (last: {1}). Reload the window to start it.', this.restarts.length, reason));
      this.eventEmitter.fire({ kind: 'log', level: 'error', line: this.gaveUp.message });
      this.restartEmitter.fire({ reason: this.gaveUp.message, noticedAt, recent: this.restarts.length });
      return;
    }
    this.start();
    this.restartEmitter.fire({ reason, noticedAt, recent: this.restarts.length });
  }

  /** Whether a worker runs (false after it failed too often). */
  get running(): boolean {
    return !this.gaveUp && !this.isDisposed;
  }

  request<K extends EngineRequestName>(name: K, params: EngineRequests[K]['params'], options?: RequestOptions): Promise<EngineRequests[K]['result']> {
    if (this.gaveUp) return Promise.reject(this.gaveUp);
    // The same types as rpc.ts's ParamsOf/ResultOf; TypeScript cannot relate the two for a generic K.
    return this.endpoint.request(name, params as ParamsOf<EngineRequests, K>, options) as Promise<EngineRequests[K]['result']>;
  }

  /**
   * Asks the worker to end every connection with an MQTT DISCONNECT, so brokers publish no last
   * wills (terminate() alone drops the sockets). Waits at most `timeoutMs`, so a stuck worker or
   * broker cannot hold up VS Code's shutdown; resolves whether the worker confirmed in time. The
   * caller disposes (ends the thread) afterwards.
   */
  shutdown(timeoutMs: number): Promise<boolean> {
    if (this.gaveUp || this.isDisposed) return Promise.resolve(false);
    this.closing = true;
    clearInterval(this.heartbeat);
    return this.endpoint.request('shutdown', {}, { timeoutMs }).then(
      () => true,
      () => false,
    );
  }
}

export interface RemoteConnectionDeps {
  secrets: () => Promise<ConnectionSecrets>;
  backoff: BackoffOptions;
  /**
   * Why the connection may not connect now, or undefined when it may: asked at every connect,
   * before the secrets are read (Restricted Mode: a profile from an untrusted folder's settings).
   */
  refusal: () => string | undefined;
  /** The first workspace folder's path, read at each connect: relative TLS file paths resolve against it in the engine. */
  workspaceFolder?: () => string | undefined;
}

/** A connect refused because the profile comes from a folder that is not trusted (Restricted Mode). */
export class RestrictedModeError extends Error {
  override readonly name = 'RestrictedModeError';
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
  stats: TreeStats = { received: 0, dropped: 0, truncated: 0, bytes: 0, kept: 0, forgotten: 0, topics: 0, topicsWithValue: 0 };
  /** What a recovery after an engine restart has yet to bring back; cleared once it has, or by a disconnect. */
  restoring: { wanted: boolean; extraSubscriptions: SubscriptionSpec[] } | undefined;

  constructor(
    readonly profile: ConnectionProfile,
    private readonly engine: EngineClient,
    private readonly deps: RemoteConnectionDeps,
    /** A recording opened offline (issue 15): its topics come from this file; it never connects. */
    readonly offline?: { path: string },
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

  /** Why this connection may not connect now (Restricted Mode), or undefined. */
  get refusal(): string | undefined {
    return this.deps.refusal();
  }

  /**
   * Every connect goes through here (the commands, the form, a reconnect after an edit, the
   * recovery after an engine restart, the local broker): a refused one throws RestrictedModeError
   * before any secret is read and before the engine hears of it, so no socket opens and no TLS
   * file is read. The engine's own reconnects follow only a connect that went through.
   */
  async connect(): Promise<void> {
    if (this.offline) throw new Error(l10n.t('"{0}" is a recording opened offline: there is no broker to connect to.', this.profile.name));
    const refused = this.deps.refusal();
    if (refused) throw new RestrictedModeError(refused);
    if (this.current.kind === 'connected') return;
    // Secrets go to the worker in memory, at each connect; they are never stored or logged.
    const secrets = await this.deps.secrets();
    // Removed while SecretStorage answered: the worker must not connect a profile nobody shows.
    if (this.isDisposed) return;
    await this.engine.request('connect', { connectionId: this.id, profile: this.profile, secrets, backoff: this.deps.backoff, workspaceFolder: this.deps.workspaceFolder?.() }, { timeoutMs: (this.profile.connectTimeout + 30) * 1000 });
  }

  disconnect(): Promise<void> {
    this.restoring = undefined;
    return this.engine.request('disconnect', { connectionId: this.id }).catch(() => undefined);
  }

  reconnectNow(): void {
    void this.engine.request('reconnectNow', { connectionId: this.id }).catch(() => undefined);
  }

  /**
   * The engine restarted: the worker knows nothing of this connection any more. Resets what the
   * host shows and says whether the connection was wanted (connected or trying to be).
   */
  resetAfterRestart(): { wanted: boolean; extraSubscriptions: SubscriptionSpec[] } {
    // A restart during the recovery from another must not forget what the first one had to restore.
    const pending = this.restoring;
    // A recording is opened again by its own service (src/host/recordings.ts), not connected.
    const wanted = !this.offline && (pending?.wanted || (this.current.kind !== 'disconnected' && this.current.kind !== 'failed'));
    // Subscriptions added while connected are not in the profile: they are added again after the reconnect.
    const inProfile = new Set(this.profile.subscriptions.map((spec) => spec.topic));
    const extraSubscriptions = pending?.extraSubscriptions ?? this.subscriptionList.map((subscription) => subscription.spec).filter((spec) => !inProfile.has(spec.topic));
    this.restoring = { wanted, extraSubscriptions };
    this.current = { kind: 'disconnected' };
    this.subscriptionList = this.profile.subscriptions.map((spec) => ({ spec, status: { state: 'pending' } }));
    this.stats = { received: 0, dropped: 0, truncated: 0, bytes: 0, kept: 0, forgotten: 0, topics: 0, topicsWithValue: 0 };
    this.stateEmitter.fire(this.current);
    this.subscriptionEmitter.fire();
    return { wanted, extraSubscriptions };
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

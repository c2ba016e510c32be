/**
 * The one request/reply layer for every channel between two threads (extension host and webview,
 * extension host and engine worker). Each side builds an `Endpoint<Local, Remote>` over a transport:
 * `Local` lists what this side handles (requests it answers, events it receives), `Remote` what the
 * other side handles. Both sides name the same two interfaces, the other way round, so a renamed
 * request is a compile error on both.
 *
 * Rules: every request gets exactly one reply (a result, or an error with the handler's message);
 * a request that gets none within its deadline rejects; events are one-way. Structured-clone data
 * only. Runs in Node and in the browser: no `vscode`, no Node-only or DOM-only API.
 */
import type { IDisposable } from './dispose';
import { isRecord } from './guards';

/** What one side handles: for each request its `{ params; result }`, for each event its data. */
export interface Api {
  requests: object;
  events: object;
}

/** A side that answers no requests, or receives no events. */
export type None = Record<never, never>;

type Names<M> = keyof M & string;
export type ParamsOf<M, K extends keyof M> = M[K] extends { params: infer P } ? P : never;
export type ResultOf<M, K extends keyof M> = M[K] extends { result: infer R } ? R : never;

/** Buffers to move to the other thread rather than copy (the sender's copy is detached). */
export type TransferList = readonly ArrayBuffer[];

/** A handler's result with buffers to transfer: `return new Transfer(result, [bytes.buffer])`. */
export class Transfer<T> {
  constructor(
    readonly value: T,
    readonly list: TransferList,
  ) {}
}

type Answer<R> = R | Transfer<R>;

/** One function per request this side answers; sync or async; a throw becomes an error reply. */
export type Handlers<M> = { [K in Names<M>]: (params: ParamsOf<M, K>) => Answer<ResultOf<M, K>> | Promise<Answer<ResultOf<M, K>>> };

// ---- the wire ----

export interface RequestMessage<K extends string = string, P = unknown> {
  type: 'request';
  id: number;
  name: K;
  params: P;
  /** The requester's generation when it asked (see EndpointOptions.generation). */
  generation?: number;
}

export type ReplyMessage = { type: 'reply'; id: number; ok: true; result: unknown } | { type: 'reply'; id: number; ok: false; error: string };

export interface EventMessage<K extends string = string, D = unknown> {
  type: 'event';
  name: K;
  data: D;
}

export type RpcMessage = RequestMessage | ReplyMessage | EventMessage;

export type RequestOf<M> = { [K in Names<M>]: RequestMessage<K, ParamsOf<M, K>> }[Names<M>];
export type EventOf<M> = { [K in Names<M>]: EventMessage<K, M[K]> }[Names<M>];
/** What may arrive at the side that handles `Local`; a `validate` hook returns exactly this. */
export type Incoming<Local extends Api> = RequestOf<Local['requests']> | EventOf<Local['events']> | ReplyMessage;

/**
 * How messages travel. Fits a worker_threads Worker, parentPort or MessagePort (`portTransport`),
 * a vscode.Webview (postMessage + onDidReceiveMessage) and a webview's acquireVsCodeApi() +
 * window 'message' events. `post` may throw (a value that cannot be cloned): the endpoint turns
 * that into a rejection or an error reply.
 */
export interface Transport {
  post(message: RpcMessage, transfer?: TransferList): void;
  onMessage(listener: (data: unknown) => void): IDisposable;
}

/** The shape shared by Node's Worker, MessagePort and parentPort, without importing Node here. */
export interface NodePort {
  postMessage(message: unknown, transfer?: TransferList): void;
  on(event: 'message', listener: (data: unknown) => void): unknown;
  off(event: 'message', listener: (data: unknown) => void): unknown;
}

export function portTransport(port: NodePort): Transport {
  return {
    post: (message, transfer) => port.postMessage(message, transfer),
    onMessage: (listener) => {
      port.on('message', listener);
      return { dispose: () => port.off('message', listener) };
    },
  };
}

// ---- errors ----

/**
 * Every rejection the endpoint makes itself names the request. Names are spelled out: a minified
 * bundle renames classes.
 */
export class RpcError extends Error {
  override name = 'RpcError';

  constructor(
    readonly request: string,
    message: string,
  ) {
    super(message);
  }
}

/** The handler on the other side threw: `message` is its message, unchanged. */
export class ErrorReply extends RpcError {
  override name = 'ErrorReply';
}

/** No reply within the deadline. */
export class RequestTimeout extends RpcError {
  override name = 'RequestTimeout';
}

/** The endpoint was disposed before the reply came, or before the request was sent. */
export class ChannelClosed extends RpcError {
  override name = 'ChannelClosed';
}

/** The reply came after this side moved to another generation: callers drop it, never show it. */
export class StaleReply extends RpcError {
  override name = 'StaleReply';
}

// ---- the endpoint ----

export const DEFAULT_TIMEOUT_MS = 30_000;
/** setTimeout's largest delay; a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface EndpointOptions<Local extends Api, Remote extends Api> {
  /** Names the other side in error messages: "the extension host", "the engine worker". */
  peer: string;
  handlers: Handlers<Local['requests']>;
  /**
   * For an untrusted peer (a webview): checks every incoming message and returns it rebuilt from
   * the fields it knows, or undefined to refuse it (dropped, no reply). Without it, only the
   * envelope is checked (`parseMessage`).
   */
  validate?: (data: unknown) => Incoming<Local> | undefined;
  /** Deadline of a request in ms; `Infinity` for none. Default DEFAULT_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Deadlines of particular requests (those that wait on a person, say), over `timeoutMs`. */
  deadlines?: { [K in Names<Remote['requests']>]?: number };
  /**
   * A context both sides count, such as the topic a panel shows. Requests carry it; a request made
   * for another generation than this side's current one is refused with `staleRequest`, and a reply
   * that settles after this side's generation changed rejects with StaleReply.
   */
  generation?: () => number | undefined;
  staleRequest?: string;
}

export interface RequestOptions {
  /** This request's deadline in ms, over the endpoint's; `Infinity` for none. */
  timeoutMs?: number;
  transfer?: TransferList;
}

interface Pending {
  name: string;
  generation: number | undefined;
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export class Endpoint<Local extends Api, Remote extends Api> implements IDisposable {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<string, Set<(data: unknown) => void>>();
  private readonly subscription: IDisposable;
  private closed = false;

  constructor(
    private readonly transport: Transport,
    private readonly options: EndpointOptions<Local, Remote>,
  ) {
    this.subscription = transport.onMessage((data) => this.receive(data));
  }

  /** Requests sent and not settled yet. */
  get pendingCount(): number {
    return this.pending.size;
  }

  request<K extends Names<Remote['requests']>>(name: K, params: ParamsOf<Remote['requests'], K>, options: RequestOptions = {}): Promise<ResultOf<Remote['requests'], K>> {
    if (this.closed) return Promise.reject(new ChannelClosed(name, `"${name}" was not sent: the channel to ${this.options.peer} is closed.`));
    const deadlines = this.options.deadlines as Record<string, number | undefined> | undefined;
    const timeoutMs = options.timeoutMs ?? (deadlines && Object.hasOwn(deadlines, name) ? deadlines[name] : undefined) ?? this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(timeoutMs > 0)) return Promise.reject(new RangeError(`The deadline of "${name}" must be more than 0 ms, not ${timeoutMs}.`));
    const id = this.nextId++;
    const generation = this.options.generation?.();
    return new Promise((resolve, reject) => {
      const pending: Pending = { name, generation, resolve: resolve as (value: unknown) => void, reject, timer: undefined };
      if (timeoutMs !== Infinity) {
        pending.timer = setTimeout(() => {
          this.pending.delete(id);
          reject(this.isStale(pending) ? this.stale(name) : new RequestTimeout(name, `No reply to "${name}" from ${this.options.peer} within ${timeoutMs} ms.`));
        }, Math.min(timeoutMs, MAX_TIMER_MS));
      }
      this.pending.set(id, pending);
      const message: RequestMessage = { type: 'request', id, name, params };
      if (generation !== undefined) message.generation = generation;
      try {
        this.transport.post(message, options.transfer);
      } catch (error) {
        this.forget(id);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /** Sends a one-way event. Dropped once the endpoint is disposed. */
  emit<K extends Names<Remote['events']>>(name: K, data: Remote['events'][K], transfer?: TransferList): void {
    if (this.closed) return;
    const message: EventMessage = { type: 'event', name, data };
    this.transport.post(message, transfer);
  }

  on<K extends Names<Local['events']>>(name: K, listener: (data: Local['events'][K]) => void): IDisposable {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    const untyped = listener as (data: unknown) => void;
    set.add(untyped);
    return { dispose: () => set.delete(untyped) };
  }

  /** Rejects every pending request with `error` (the peer died, say); the endpoint stays usable. */
  failAll(error: Error): void {
    const pending = [...this.pending.values()];
    for (const one of pending) clearTimeout(one.timer);
    this.pending.clear();
    for (const one of pending) one.reject(error);
  }

  /** Stops listening, rejects pending requests with ChannelClosed, and refuses new ones. */
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.subscription.dispose();
    this.listeners.clear();
    for (const [id, one] of [...this.pending]) {
      this.forget(id);
      one.reject(new ChannelClosed(one.name, `"${one.name}" was not answered: the channel to ${this.options.peer} closed.`));
    }
  }

  private receive(data: unknown): void {
    if (this.closed) return;
    const message: RpcMessage | undefined = this.options.validate ? this.options.validate(data) : parseMessage(data);
    if (!message) {
      // Refused. A request with a good envelope still gets its one reply, an error, so its sender
      // does not wait for a deadline (a chart path too long for the validator, say).
      const envelope = this.options.validate ? parseMessage(data) : undefined;
      if (envelope?.type === 'request') this.postReply({ type: 'reply', id: envelope.id, ok: false, error: `"${envelope.name}" was refused: its parameters are not valid.` });
      return;
    }
    switch (message.type) {
      case 'reply':
        this.settle(message);
        break;
      case 'request':
        void this.answer(message);
        break;
      case 'event':
        for (const listener of this.listeners.get(message.name) ?? []) listener(message.data);
        break;
    }
  }

  private settle(reply: ReplyMessage): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return; // late (after its deadline) or a duplicate: the request is already settled
    this.forget(reply.id);
    if (this.isStale(pending)) pending.reject(this.stale(pending.name));
    else if (reply.ok) pending.resolve(reply.result);
    else pending.reject(new ErrorReply(pending.name, reply.error));
  }

  /** Posts exactly one reply, whatever the handler does. */
  private async answer(request: RequestMessage): Promise<void> {
    const { id, name } = request;
    let reply: ReplyMessage;
    let transfer: TransferList | undefined;
    try {
      const handlers = this.options.handlers as Record<string, ((params: unknown) => unknown) | undefined>;
      // Own keys only: "constructor" or "__proto__" from the wire must not find Object's members.
      const handler = Object.hasOwn(handlers, name) ? handlers[name] : undefined;
      if (typeof handler !== 'function') throw new Error(`Unknown request "${name}".`);
      if (this.options.generation && request.generation !== this.options.generation()) throw new Error(this.options.staleRequest ?? `"${name}" was asked for an earlier generation.`);
      let result = await handler(request.params);
      if (result instanceof Transfer) {
        transfer = result.list;
        result = result.value;
      }
      reply = { type: 'reply', id, ok: true, result };
    } catch (error) {
      reply = { type: 'reply', id, ok: false, error: messageOf(error) };
    }
    if (this.closed) return;
    this.postReply(reply, transfer, name);
  }

  private postReply(reply: ReplyMessage, transfer?: TransferList, name = 'request'): void {
    const id = reply.id;
    try {
      this.transport.post(reply, transfer);
    } catch (error) {
      // The result could not be cloned (a function, say): the requester still gets its one reply.
      try {
        this.transport.post({ type: 'reply', id, ok: false, error: `The reply to "${name}" could not be sent: ${messageOf(error)}` });
      } catch {
        // The transport itself is gone; the requester's deadline or its own close rejects it.
      }
    }
  }

  private isStale(pending: Pending): boolean {
    return this.options.generation !== undefined && pending.generation !== this.options.generation();
  }

  private stale(name: string): StaleReply {
    return new StaleReply(name, `The reply to "${name}" came after this side moved on.`);
  }

  private forget(id: number): void {
    clearTimeout(this.pending.get(id)?.timer);
    this.pending.delete(id);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/**
 * Checks a message's envelope and rebuilds it from the fields it knows (anything else is left
 * behind); undefined when it is not one. The contents (params, result, data) are not checked: a
 * `validate` hook does that for an untrusted peer.
 */
export function parseMessage(value: unknown): RpcMessage | undefined {
  if (!isRecord(value)) return undefined;
  switch (value.type) {
    case 'request': {
      if (!isCount(value.id) || typeof value.name !== 'string') return undefined;
      if (value.generation !== undefined && !isCount(value.generation)) return undefined;
      const request: RequestMessage = { type: 'request', id: value.id, name: value.name, params: value.params };
      if (value.generation !== undefined) request.generation = value.generation;
      return request;
    }
    case 'reply':
      if (!isCount(value.id)) return undefined;
      if (value.ok === true) return { type: 'reply', id: value.id, ok: true, result: value.result };
      if (value.ok === false && typeof value.error === 'string') return { type: 'reply', id: value.id, ok: false, error: value.error };
      return undefined;
    case 'event':
      return typeof value.name === 'string' ? { type: 'event', name: value.name, data: value.data } : undefined;
    default:
      return undefined;
  }
}

import * as assert from 'node:assert/strict';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import {
  ChannelClosed,
  Endpoint,
  ErrorReply,
  parseMessage,
  portTransport,
  RequestTimeout,
  StaleReply,
  Transfer,
  type Incoming,
  type None,
  type RpcMessage,
} from '../../src/shared/rpc';

/** What the answering side ("server") handles. */
interface ServerApi {
  requests: {
    add: { params: { a: number; b: number }; result: number };
    addLater: { params: { a: number; b: number }; result: number };
    fail: { params: { why: string }; result: void };
    failLater: { params: { why: string }; result: void };
    hang: { params: None; result: void };
    /** Answers once the test releases it (see `entered`). */
    gate: { params: None; result: string };
    echo: { params: { bytes: Uint8Array }; result: Uint8Array };
    moved: { params: { size: number }; result: Uint8Array };
    /** Its result cannot be cloned. */
    unclonable: { params: None; result: () => void };
  };
  events: None;
}

/** What the requesting side ("client") handles: events only. */
interface ClientApi {
  requests: None;
  events: { tick: { n: number; bytes: Uint8Array } };
}

const STALE = 'This panel has moved on to another topic.';

describe('rpc: one typed request/reply endpoint (over a real worker_threads MessageChannel)', () => {
  let ports: MessagePort[];
  let endpoints: { dispose(): void }[];
  let released: ((release: (value: string) => void) => void)[];
  let movedBuffer: ArrayBuffer | undefined;
  let serverGeneration: number | undefined;
  let clientGeneration: number | undefined;

  const handlers = {
    add: ({ a, b }: { a: number; b: number }) => a + b,
    addLater: async ({ a, b }: { a: number; b: number }) => {
      await Promise.resolve();
      return a + b;
    },
    fail: ({ why }: { why: string }): void => {
      throw new Error(why);
    },
    failLater: async ({ why }: { why: string }): Promise<void> => {
      await Promise.resolve();
      throw new Error(why);
    },
    hang: () => new Promise<void>(() => undefined),
    gate: () => new Promise<string>((resolve) => released.shift()?.(resolve)),
    echo: ({ bytes }: { bytes: Uint8Array }) => bytes,
    moved: ({ size }: { size: number }) => {
      const bytes = new Uint8Array(size).map((_, index) => index);
      movedBuffer = bytes.buffer;
      return new Transfer(bytes, [bytes.buffer]);
    },
    unclonable: () => () => undefined,
  };

  /** Resolves with the release function once a `gate` request has reached its handler. */
  const entered = () => new Promise<(value: string) => void>((resolve) => released.push(resolve));

  function channel(): [MessagePort, MessagePort] {
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    return [port1, port2];
  }

  function pair(options: { serverTimeout?: number; clientTimeout?: number; generations?: boolean } = {}) {
    const [a, b] = channel();
    const server = new Endpoint<ServerApi, ClientApi>(portTransport(a), {
      peer: 'the client',
      handlers,
      ...(options.generations ? { generation: () => serverGeneration, staleRequest: STALE } : {}),
    });
    const client = new Endpoint<ClientApi, ServerApi>(portTransport(b), {
      peer: 'the server',
      handlers: {},
      ...(options.clientTimeout ? { timeoutMs: options.clientTimeout } : {}),
      ...(options.generations ? { generation: () => clientGeneration } : {}),
    });
    endpoints.push(server, client);
    return { server, client };
  }

  /** A raw port on the other side, to see the wire as it is. */
  function rawPeer(port: MessagePort) {
    const seen: RpcMessage[] = [];
    const waiters: (() => void)[] = [];
    port.on('message', (data: RpcMessage) => {
      seen.push(data);
      waiters.splice(0).forEach((wake) => wake());
    });
    /** The first message seen that `predicate` picks, now or when it comes. */
    const first = (predicate: (message: RpcMessage) => boolean) =>
      new Promise<RpcMessage>((resolve) => {
        const look = () => {
          const found = seen.find(predicate);
          if (found) resolve(found);
          else waiters.push(look);
        };
        look();
      });
    const replyTo = (id: number) => first((message) => message.type === 'reply' && message.id === id);
    return { seen, first, replyTo, post: (message: unknown) => port.postMessage(message) };
  }

  beforeEach(() => {
    ports = [];
    endpoints = [];
    released = [];
    movedBuffer = undefined;
    serverGeneration = undefined;
    clientGeneration = undefined;
  });

  afterEach(() => {
    for (const endpoint of endpoints) endpoint.dispose();
    for (const port of ports) port.close();
  });

  it('answers typed requests, from sync and async handlers', async () => {
    const { client } = pair();
    const sum: number = await client.request('add', { a: 2, b: 3 });
    assert.equal(sum, 5);
    assert.equal(await client.request('addLater', { a: 40, b: 2 }), 42);
    assert.equal(client.pendingCount, 0);
    // Compile-time checks, never run: a wrong name or wrong params do not type-check.
    void (() => {
      // @ts-expect-error not a request of the server
      void client.request('subtract', { a: 1, b: 2 });
      // @ts-expect-error params of another shape
      void client.request('add', { a: '1', b: 2 });
    });
  });

  it('turns a throw into an error reply carrying its message unchanged', async () => {
    const { client } = pair();
    await assert.rejects(client.request('fail', { why: 'Not saved: the port is 0 to 65535.' }), (error) => {
      assert.ok(error instanceof ErrorReply);
      assert.equal(error.message, 'Not saved: the port is 0 to 65535.');
      assert.equal(error.request, 'fail');
      return true;
    });
    await assert.rejects(client.request('failLater', { why: 'later' }), { name: 'ErrorReply', message: 'later' });
    assert.equal(await client.request('add', { a: 1, b: 1 }), 2, 'the endpoint still answers after an error');
  });

  it('rejects a request that gets no reply within its deadline, naming it', async () => {
    const { client } = pair({ clientTimeout: 40 });
    await assert.rejects(client.request('hang', {}, { timeoutMs: 25 }), (error) => {
      assert.ok(error instanceof RequestTimeout);
      assert.equal(error.message, 'No reply to "hang" from the server within 25 ms.');
      assert.equal(error.request, 'hang');
      return true;
    });
    // The endpoint's own deadline applies when the request names none.
    await assert.rejects(client.request('hang', {}), { name: 'RequestTimeout', message: 'No reply to "hang" from the server within 40 ms.' });
    assert.equal(client.pendingCount, 0);
    await assert.rejects(client.request('hang', {}, { timeoutMs: 0 }), RangeError);
  });

  it('applies per-request deadlines over the default, and Infinity means none', async () => {
    const [a, b] = channel();
    const server = new Endpoint<ServerApi, ClientApi>(portTransport(a), { peer: 'the client', handlers });
    const client = new Endpoint<ClientApi, ServerApi>(portTransport(b), { peer: 'the server', handlers: {}, timeoutMs: 20, deadlines: { gate: Infinity, hang: 30 } });
    endpoints.push(server, client);
    await assert.rejects(client.request('hang', {}), { message: 'No reply to "hang" from the server within 30 ms.' });
    // The gate outlives the endpoint's 20 ms default and the 30 ms one above: it waits for its answer.
    const opened = entered();
    const gated = client.request('gate', {});
    const release = await opened;
    await assert.rejects(client.request('hang', {}), RequestTimeout);
    release('answered');
    assert.equal(await gated, 'answered');
  });

  it('ignores a reply that comes after the deadline, and a second reply to the same request', async () => {
    const { client } = pair();
    const opened = entered();
    const late = client.request('gate', {}, { timeoutMs: 20 });
    const release = await opened;
    await assert.rejects(late, RequestTimeout);
    release('too late');
    assert.equal(await client.request('add', { a: 1, b: 2 }), 3, 'the late reply went nowhere');

    const [a, b] = channel();
    const requester = new Endpoint<ClientApi, ServerApi>(portTransport(a), { peer: 'the raw peer', handlers: {} });
    endpoints.push(requester);
    const raw = rawPeer(b);
    const answered = requester.request('add', { a: 1, b: 2 });
    const request = await raw.first((message) => message.type === 'request');
    assert.ok(request.type === 'request');
    raw.post({ type: 'reply', id: request.id, ok: true, result: 3 });
    raw.post({ type: 'reply', id: request.id, ok: true, result: 99 });
    raw.post({ type: 'reply', id: 12345, ok: true, result: 7 });
    assert.equal(await answered, 3);
    // The next request gets its own reply, not the stray ones (the port keeps their order).
    const again = requester.request('add', { a: 2, b: 2 });
    const second = await raw.first((message) => message.type === 'request' && message.id !== request.id);
    raw.post({ type: 'reply', id: second.type === 'request' ? second.id : -1, ok: true, result: 4 });
    assert.equal(await again, 4);
    assert.equal(requester.pendingCount, 0);
  });

  it('sends exactly one reply per request, even when the result cannot be cloned or the name is unknown', async () => {
    const [a, b] = channel();
    const server = new Endpoint<ServerApi, ClientApi>(portTransport(a), { peer: 'the raw peer', handlers });
    endpoints.push(server);
    const raw = rawPeer(b);
    raw.post({ type: 'request', id: 1, name: 'unclonable', params: {} });
    raw.post({ type: 'request', id: 2, name: 'fail', params: { why: 'no' } });
    raw.post({ type: 'request', id: 3, name: 'addLater', params: { a: 1, b: 1 } });
    raw.post({ type: 'request', id: 4, name: 'constructor', params: {} });
    raw.post({ type: 'request', id: 5, name: '__proto__', params: {} });
    const replies = await Promise.all([1, 2, 3, 4, 5].map(raw.replyTo));
    // A last round trip: anything a bug would post twice has been posted by now.
    raw.post({ type: 'request', id: 6, name: 'add', params: { a: 0, b: 0 } });
    await raw.replyTo(6);
    const ids = raw.seen.map((message) => (message.type === 'reply' ? message.id : -1));
    assert.deepEqual([...ids].sort(), [1, 2, 3, 4, 5, 6]);
    const [unclonable, fail, add, constructor, proto] = replies;
    assert.ok(unclonable.type === 'reply' && !unclonable.ok && unclonable.error.startsWith('The reply to "unclonable" could not be sent: '), JSON.stringify(unclonable));
    assert.deepEqual(fail, { type: 'reply', id: 2, ok: false, error: 'no' });
    assert.deepEqual(add, { type: 'reply', id: 3, ok: true, result: 2 });
    assert.deepEqual(constructor, { type: 'reply', id: 4, ok: false, error: 'Unknown request "constructor".' });
    assert.deepEqual(proto, { type: 'reply', id: 5, ok: false, error: 'Unknown request "__proto__".' });
  });

  it('refuses what its validator refuses: no handler runs; a request with a good envelope gets an error reply, anything else none', async () => {
    const [a, b] = channel();
    const calls: unknown[] = [];
    // Accepts `add` with two numbers only, rebuilt from the fields it knows.
    const validate = (data: unknown): Incoming<ServerApi> | undefined => {
      const message = parseMessage(data);
      if (message?.type !== 'request' || message.name !== 'add') return undefined;
      const params = message.params as { a?: unknown; b?: unknown } | undefined;
      if (typeof params?.a !== 'number' || typeof params.b !== 'number') return undefined;
      return { type: 'request', id: message.id, name: 'add', params: { a: params.a, b: params.b } };
    };
    const server = new Endpoint<ServerApi, ClientApi>(portTransport(a), {
      peer: 'the webview',
      handlers: { ...handlers, add: (params) => (calls.push(params), params.a + params.b) },
      validate,
    });
    endpoints.push(server);
    const raw = rawPeer(b);
    for (const bad of [
      'hello',
      null,
      { type: 'request', id: 1, name: 'add', params: { a: '1', b: 2 } },
      { type: 'request', id: 2, name: 'fail', params: { why: 'x' } },
      { type: 'request', id: 3, name: 'add' },
      { type: 'event', name: 'tick', data: {} },
      { type: 'request', id: -4, name: 'add', params: { a: 1, b: 2 } },
    ]) {
      raw.post(bad);
    }
    raw.post({ type: 'request', id: 5, name: 'add', params: { a: 1, b: 2, extra: '<script>' }, extra: true });
    assert.deepEqual(await raw.replyTo(5), { type: 'reply', id: 5, ok: true, result: 3 });
    assert.deepEqual(calls, [{ a: 1, b: 2 }], 'only the valid request ran, without the extra field');
    // Requests 1, 2 and 3 had a good envelope: each got its one reply, an error, and ran nothing.
    assert.deepEqual(
      raw.seen.map((message) => (message.type === 'reply' ? [message.id, message.ok] : -1)),
      [
        [1, false],
        [2, false],
        [3, false],
        [5, true],
      ],
    );
  });

  it('checks the envelope when there is no validator', () => {
    assert.equal(parseMessage({ type: 'request', id: 1.5, name: 'add', params: {} }), undefined);
    assert.equal(parseMessage({ type: 'request', id: 1, name: 7, params: {} }), undefined);
    assert.equal(parseMessage({ type: 'request', id: 1, name: 'add', params: {}, generation: 'x' }), undefined);
    assert.equal(parseMessage({ type: 'reply', id: 1, ok: false, error: 3 }), undefined);
    assert.equal(parseMessage({ type: 'reply', id: 1 }), undefined);
    assert.equal(parseMessage({ type: 'event' }), undefined);
    assert.equal(parseMessage([]), undefined);
    assert.deepEqual(parseMessage({ type: 'request', id: 1, name: 'add', params: { a: 1 }, generation: 2, extra: 1 }), { type: 'request', id: 1, name: 'add', params: { a: 1 }, generation: 2 });
    assert.deepEqual(parseMessage({ type: 'event', name: 'tick', data: 1, extra: 1 }), { type: 'event', name: 'tick', data: 1 });
  });

  it('dispose rejects pending requests and refuses new ones; failAll rejects pending ones only', async () => {
    const { client } = pair();
    const pending = client.request('hang', {}, { timeoutMs: Infinity });
    const opened = entered();
    const gated = client.request('gate', {});
    await opened;
    const dead = new Error('engine worker exited with code 1');
    client.failAll(dead);
    await assert.rejects(gated, (error) => error === dead);
    await assert.rejects(pending, (error) => error === dead);
    assert.equal(await client.request('add', { a: 2, b: 2 }), 4, 'still usable after failAll');

    const waiting = client.request('hang', {}, { timeoutMs: Infinity });
    client.dispose();
    await assert.rejects(waiting, (error) => {
      assert.ok(error instanceof ChannelClosed);
      assert.equal(error.message, '"hang" was not answered: the channel to the server closed.');
      return true;
    });
    await assert.rejects(client.request('add', { a: 1, b: 1 }), { name: 'ChannelClosed', message: '"add" was not sent: the channel to the server is closed.' });
    assert.equal(client.pendingCount, 0);
  });

  it('carries a Uint8Array across as a Uint8Array, byte for byte, both ways and in events', async () => {
    const { server, client } = pair();
    const bytes = new Uint8Array(256 * 3).map((_, index) => (index * 7) % 256);
    const echoed = await client.request('echo', { bytes });
    assert.equal(echoed.constructor, Uint8Array);
    assert.deepEqual([...echoed], [...bytes]);
    assert.equal(bytes.length, 768, 'copied, not moved: the sender keeps its bytes');

    const moved = await client.request('moved', { size: 1000 });
    assert.equal(moved.constructor, Uint8Array);
    assert.deepEqual([...moved], Array.from({ length: 1000 }, (_, index) => index % 256));
    assert.equal(movedBuffer?.byteLength, 0, 'a Transfer moves the buffer: the sender\u2019s copy is detached');

    const tick = new Promise<ClientApi['events']['tick']>((resolve) => client.on('tick', resolve));
    server.emit('tick', { n: 1, bytes: new Uint8Array([0, 255, 128]) });
    const received = await tick;
    assert.equal(received.n, 1);
    assert.ok(received.bytes instanceof Uint8Array);
    assert.deepEqual([...received.bytes], [0, 255, 128]);
  });

  it('delivers events to their listeners only, until a listener is disposed', async () => {
    const { server, client } = pair();
    const seen: number[] = [];
    const listener = client.on('tick', (data) => seen.push(data.n));
    const next = () => new Promise<void>((resolve) => {
      const once = client.on('tick', () => (once.dispose(), resolve()));
    });
    let arrived = next();
    server.emit('tick', { n: 1, bytes: new Uint8Array() });
    await arrived;
    listener.dispose();
    arrived = next();
    server.emit('tick', { n: 2, bytes: new Uint8Array() });
    await arrived;
    assert.deepEqual(seen, [1]);
  });

  it('refuses a request made for an earlier generation, and drops replies that come after moving on', async () => {
    const { client } = pair({ generations: true });
    serverGeneration = 1;
    clientGeneration = 1;
    assert.equal(await client.request('add', { a: 1, b: 1 }), 2);

    // The server moved on (the panel shows another topic): the request is refused, with the message.
    serverGeneration = 2;
    await assert.rejects(client.request('add', { a: 1, b: 1 }), { name: 'ErrorReply', message: STALE });
    clientGeneration = undefined;
    await assert.rejects(client.request('add', { a: 1, b: 1 }), { name: 'ErrorReply', message: STALE }, 'a request with no generation is refused too');

    // The client moved on while waiting: the reply, a result or an error, is stale.
    clientGeneration = 2;
    const opened = entered();
    const gated = client.request('gate', {});
    const release = await opened;
    clientGeneration = 3;
    release('for the old topic');
    await assert.rejects(gated, (error) => error instanceof StaleReply && error.request === 'gate');
    serverGeneration = 3;
    const failing = client.request('failLater', { why: 'x' });
    clientGeneration = 4;
    await assert.rejects(failing, StaleReply);
  });
});

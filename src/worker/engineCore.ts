import * as l10n from '@vscode/l10n';
import { ChangeTracker } from './changeTracker';
import { ConnectionPool } from './connectionPool';
import { DEVICE_TYPES, NODE_TYPES, rebirthRequest, type SparkplugCaps, type SparkplugChange } from './decoders/sparkplug';
import { DecoderState } from './decoding';
import { SchemaState } from './schemaCheck';
import { FileRuns } from './fileRuns';
import { queries } from './topicQueries';
import { FilterIndex } from './topicFilter';
import { RequestReports } from './requestReports';
import { Replays, type ReplayTarget } from './recording/replay';
import { lastValues } from './lastValues';
import type { ConnectionModel } from './connectionPool';
import { BrokerStatsReports } from './brokerStats';
import type { SysSubscriptionState } from '../shared/brokerStats';
import { OfflineRecordings } from './offlineRecordings';
import { topicMatchesFilter } from '../shared/topicRules';
import type { EngineEvent, EngineHandlers } from '../shared/engineProtocol';
import { Recordings } from './recording/recordings';
import { checkPattern } from '../shared/regex';

/**
 * Everything the engine worker does, without the worker: a typed handler per request (served by
 * the rpc endpoint in engineWorker.ts), over the
 * connections (ConnectionPool), what the views show (ChangeTracker) and the read-only queries
 * (topicQueries). Tests drive it in-process.
 */
export class EngineCore {
  private readonly pool: ConnectionPool;
  private readonly tracker: ChangeTracker;
  /** Test mode only: the next listing of this level fails. */
  private failNextListing: string | undefined;
  private filterIndex: FilterIndex | undefined;
  private readonly decoders = new DecoderState();
  private readonly schemas: SchemaState;
  /** MQTT 5 requests paired with their replies, per connection. */
  private readonly requests: RequestReports;
  private readonly fileRuns: FileRuns;
  /** Recordings of connections to files (issue 15). */
  private readonly recordings: Recordings;
  /** Recordings being replayed to connections (issue 15). */
  private readonly replays: Replays;
  /** Broker statistics from `$SYS` messages, per connection. */
  private readonly brokerStats: BrokerStatsReports;
  /** Recordings opened as offline connections (issue 15). */
  private readonly offline: OfflineRecordings;
  readonly handlers: EngineHandlers;

  constructor(emit: (event: EngineEvent) => void, options: { testHooks?: boolean; sparkplugCaps?: Partial<SparkplugCaps> } = {}) {
    this.fileRuns = new FileRuns((runId, event) => emit({ kind: 'run', runId, event }), this.decoders);
    this.replays = new Replays((replayId, progress) => emit({ kind: 'replay', replayId, progress }));
    this.tracker = new ChangeTracker((id) => this.pool.get(id), emit);
    this.schemas = new SchemaState((line) => emit({ kind: 'log', level: 'warn', line }));
    this.requests = new RequestReports(emit, (id, topic) => this.sees(id, topic));
    this.brokerStats = new BrokerStatsReports(emit, (id) => this.sysConnection(id));
    this.pool = new ConnectionPool(
      {
        emit,
        onMessage: (id, node, created) => this.tracker.onMessage(id, node, created),
        onCreated: (id) => {
          this.tracker.connectionChanged(id);
          // A changed profile makes a new connection object: its recordings go on with it.
          this.recordings.attach(id);
        },
        onForgotten: (id, parent) => this.tracker.onForgotten(id, parent),
        onSparkplugChange: (id, change) => this.onSparkplugChange(id, change),
        onTraced: (id, topic, payload, properties) =>
          this.requests.onMessage(id, { topic, payload, responseTopic: properties?.responseTopic, correlationData: properties?.correlationData }),
        onSysMessage: (id, topic, payload, receivedAt, retained) => this.brokerStats.onSysMessage(id, topic, payload, receivedAt, retained),
      },
      { decoders: this.decoders, schemas: this.schemas, sparkplugCaps: options.sparkplugCaps },
    );
    this.recordings = new Recordings((id) => this.pool.get(id)?.connection, (status) => emit({ kind: 'recording', status }));
    const pool = this.pool;
    const tracker = this.tracker;
    this.offline = new OfflineRecordings(
      pool,
      { hold: (id) => tracker.hold(id), reset: (id) => tracker.reset(id) },
      async (id) => {
        tracker.forget(id);
        this.requests.forget(id);
        this.brokerStats.forget(id);
        await pool.remove(id);
      },
    );
    const offline = this.offline;
    this.handlers = {
      connect: async (params) => {
        await pool.connect(params);
      },
      disconnect: (params) => pool.require(params.connectionId).connection.disconnect(),
      remove: async (params) => {
        // An offline recording stops reading first (its connection goes with it).
        await offline.close(params.connectionId);
        tracker.forget(params.connectionId);
        this.requests.forget(params.connectionId);
        await this.recordings.stopConnection(params.connectionId, 'the connection was removed');
        this.brokerStats.forget(params.connectionId);
        await pool.remove(params.connectionId);
      },
      reconnectNow: (params) => pool.require(params.connectionId).connection.reconnectNow(),
      addSubscription: (params) => pool.require(params.connectionId).connection.addSubscription(params.spec),
      removeSubscription: (params) => pool.require(params.connectionId).connection.removeSubscription(params.topic),
      publish: ({ connectionId, topic, payload, qos, retain, properties }) => pool.require(connectionId).connection.publish(topic, payload, { qos, retain, properties }),
      children: (params) => {
        const model = pool.require(params.connectionId);
        if (this.failNextListing !== undefined && model.index.resolve(params.parent)?.topic === this.failNextListing) {
          this.failNextListing = undefined;
          throw new Error('A listing failed on purpose (test hook).');
        }
        // One index for the filter in use: its answers are kept between refreshes, per node and revision.
        if (params.filter?.pattern && !this.filterIndex?.isFor(params.filter)) this.filterIndex = new FilterIndex(params.filter);
        const { children, total, parent, nodes } = queries.children(model, params, params.filter?.pattern ? this.filterIndex : undefined);
        // The rows VS Code now has: only their changes are reported (not those of a level's unlisted children).
        if (parent) tracker.listed(params.connectionId, parent, nodes);
        return { children, total };
      },
      snapshot: (params) => {
        const model = pool.get(params.connectionId);
        return model ? queries.snapshot(model, params.node) : undefined;
      },
      node: (params) => {
        const model = pool.get(params.connectionId);
        return model ? queries.node(model, params) : undefined;
      },
      history: (params) => {
        const model = pool.get(params.connectionId);
        return model ? queries.history(model, params) : undefined;
      },
      series: (params) => {
        const model = pool.get(params.connectionId);
        return model ? queries.series(model, params) : undefined;
      },
      topicList: (params) => queries.topicList(pool.all(), params),
      watch: (params) => tracker.watch(params.connectionId, params.expanded, params.pinned),
      visible: (params) => tracker.setVisible(params.visible),
      clear: (params) => {
        const model = pool.require(params.connectionId);
        const node = model.index.resolve(params.node);
        if (node) model.connection.topics.clearSubtree(node);
        model.index.purge();
        tracker.reset(params.connectionId);
      },
      retainedBelow: (params) => queries.retainedBelow(pool.require(params.connectionId), params.node),
      setLimits: (params) => pool.setLimits(params.limits),
      setDecoders: (params) => {
        const result = this.decoders.set(params);
        // Previews, filter answers and series read payloads through the bindings: what was read with the old ones is stale.
        this.filterIndex = undefined;
        for (const model of pool.all()) tracker.relistExpanded(model.id);
        return result;
      },
      setSchemas: (params) => {
        const result = this.schemas.set(params);
        // Every row's marks start over with the new schemas: the shown levels are listed again.
        for (const model of pool.all()) tracker.relistExpanded(model.id);
        return result;
      },
      schemaCheck: (params) => {
        const model = pool.require(params.connectionId);
        const node = model.connection.topics.find(params.topic);
        const window = node?.hasMessages ? queries.windowOf(model, node) : undefined;
        const seq = params.seq ?? (window ? window.nextSeq - 1 : 0);
        const message = window && Number.isSafeInteger(seq) && seq >= window.firstSeq && seq < window.nextSeq ? node?.messages(seq - window.firstSeq).next().value : undefined;
        return model.schemas.checkMessage(node, params.topic, message ?? undefined, seq);
      },
      checkDraft: (params) => this.schemas.checkDraft(params.topic, params.json),
      checkRegex: (params) => checkPattern(params.pattern),
      decode: (params) => this.decoders.decode(pool.require(params.connectionId), params),
      decoderOf: (params) => this.decoders.bindingOf(params.topic),
      publishEncoded: async ({ connectionId, topic, json, qos, retain, properties }) => {
        const model = pool.require(connectionId);
        const sparkplug = model.payloads.sparkplug;
        const { binding, result } = this.decoders.encode({ connectionId, topic, json, check: true }, (at, text, check) => sparkplug.encode(at, text, { check }));
        if (!result.ok) throw new Error(binding ? result.error : `${result.error}.`);
        const answer = await model.connection.publish(topic, result.bytes, { qos, retain, properties });
        if (binding?.format === 'sparkplug') sparkplug.published(topic, result.seq);
        return answer;
      },
      encode: (params) => {
        const sparkplug = pool.require(params.connectionId).payloads.sparkplug;
        // Sparkplug B numbers what this connection publishes (seq) after what it has seen of the node.
        return this.decoders.encode(params, (topic, json, check) => sparkplug.encode(topic, json, { check }));
      },
      rebirth: async ({ connectionId, group, node }) => {
        const connection = pool.require(connectionId).connection;
        const request = rebirthRequest(group, node);
        if (!request.ok) throw new Error(request.error);
        // Sparkplug B sends commands at QoS 0, not retained (a retained NCMD would rebirth the node at every reconnect).
        return { topic: request.topic, result: await connection.publish(request.topic, request.bytes, { qos: 0, retain: false }) };
      },
      stats: (params) => {
        const model = pool.require(params.connectionId);
        const sparkplug = model.payloads.sparkplugStats;
        const schemas = model.schemas.stats;
        const duplicateCopies = model.connection.duplicateCopies;
        return { ...model.connection.topics.stats, ...(sparkplug ? { sparkplug } : {}), ...(schemas ? { schemas } : {}), ...(duplicateCopies ? { duplicateCopies } : {}) };
      },
      requests: (params) => this.requests.snapshot(params.connectionId),
      watchRequests: (params) => this.requests.setWatching(params.visible),
      clearRequests: (params) => this.requests.clear(params.connectionId),
      setRequestTimeout: (params) => {
        if (!Number.isFinite(params.timeoutMs) || params.timeoutMs <= 0) throw new Error(l10n.t('A request timeout must be a positive number of milliseconds, not {0}.', params.timeoutMs));
        this.requests.setTimeout(params.timeoutMs);
      },
      // ---- broker statistics ----
      brokerStats: (params) => this.brokerStats.snapshot(params.connectionId),
      watchBrokerStats: (params) => this.brokerStats.setWatched(params.connectionIds),
      runFile: (params) => this.fileRuns.run(pool.require(params.connectionId), params),
      cancelRun: (params) => this.fileRuns.cancel(params.runId),
      // --- Replay and snapshots (issue 15) ---
      startReplay: ({ replayId, connectionId, options }) => this.replays.start(replayId, options, connectionId === undefined ? undefined : replayTarget(pool.require(connectionId), () => pool.get(connectionId))),
      pauseReplay: ({ replayId }) => this.replays.pause(replayId),
      resumeReplay: ({ replayId }) => this.replays.resume(replayId),
      cancelReplay: ({ replayId }) => this.replays.cancel(replayId),
      lastValues: ({ connectionId, node, maxTopics, maxBytes }) => lastValues(pool.require(connectionId), node, maxTopics, maxBytes),
      shutdown: () => this.dispose(),
      ping: () => ({ at: Date.now() }),
      testHook: (params) => {
        // Only when the extension runs its own tests: supervision is tested by a worker that dies or hangs.
        if (!options.testHooks) throw new Error('Test hooks are off.');
        if (params.action === 'exit') process.exit(70);
        if (params.action === 'failNextListing') {
          this.failNextListing = params.topic;
          return;
        }
        for (;;) {
          // Hangs on purpose: the host must notice that the worker stopped answering.
        }
      },
      // ---- Recording (issue 15) ----
      startRecording: (params) => this.recordings.start(params),
      stopRecording: (params) => this.recordings.stop(params.recordingId),
      recordings: () => this.recordings.list(),
      memory: () => {
        const gc = (globalThis as { gc?: () => void }).gc;
        gc?.();
        gc?.();
        const { heapUsed, arrayBuffers, rss } = process.memoryUsage();
        return { heapUsed, arrayBuffers, rss };
      },
      // ── Offline recordings ──
      openRecording: (params) => offline.open(params),
      seekRecording: (params) => offline.seek(params),
      closeRecording: (params) => offline.close(params.connectionId),
    };
  }

  /**
   * An edge node or device came online, went offline or got a flag: the rows of its topics read
   * differently (the edge node's under every N and D type, a device's under every D type). A few
   * look-ups per change, and changes come with births, deaths and flags, not with every message.
   */
  private onSparkplugChange(connectionId: string, change: SparkplugChange): void {
    if (!this.tracker.showsRows(connectionId)) return;
    const tree = this.pool.get(connectionId)?.connection.topics;
    if (!tree) return;
    const types = change.device === undefined ? [...NODE_TYPES, ...DEVICE_TYPES] : DEVICE_TYPES;
    for (const type of types) {
      // The 4-level topic under a D type is the edge node's level: its devices are below it.
      const node = tree.find(`spBv1.0/${change.group}/${type}/${change.node}${change.device === undefined ? '' : `/${change.device}`}`);
      if (node) this.tracker.refreshRow(connectionId, node);
    }
  }

  /**
   * Whether a subscription of the connection (not refused) matches `topic`: a reply published there
   * reaches the engine. A few filters per request, not per message.
   */
  private sees(connectionId: string, topic: string): boolean {
    const model = this.pool.get(connectionId);
    if (!model) return false;
    // A shared subscription ($share/<group>/<filter>) gets some of its filter's messages: seen, maybe.
    return model.connection.subscriptions.some(({ spec, status }) => status.state !== 'refused' && topicMatchesFilter(spec.topic.replace(/^\$share\/[^/]*\//, ''), topic));
  }

  /**
   * The connection's side of its broker figures: since when it is connected, and whether a
   * subscription can bring `$SYS` messages (the first that starts with `$SYS`, not refused if any).
   */
  private sysConnection(connectionId: string): { connectedSince?: number; subscription: SysSubscriptionState } | undefined {
    const model = this.pool.get(connectionId);
    if (!model) return undefined;
    const state = model.connection.state;
    const connectedSince = state.kind === 'connected' ? state.since : undefined;
    const sys = model.connection.subscriptions.filter(({ spec }) => spec.topic.startsWith('$SYS'));
    const best = sys.find(({ status }) => status.state === 'active') ?? sys.find(({ status }) => status.state === 'pending') ?? sys[0];
    let subscription: SysSubscriptionState = { state: 'absent' };
    if (best) {
      const filter = best.spec.topic;
      const status = best.status;
      subscription = status.state === 'refused' ? { state: 'refused', filter, reason: status.reason } : { state: status.state, filter };
    }
    return connectedSince === undefined ? { subscription } : { connectedSince, subscription };
  }

  /** Disconnects every connection with a DISCONNECT. */
  async dispose(): Promise<void> {
    this.replays.cancelAll();
    this.brokerStats.dispose();
    await this.offline.dispose();
    this.requests.dispose();
    this.fileRuns.dispose();
    // Flushed and closed before the connections go.
    await this.recordings.dispose();
    this.tracker.dispose();
    await this.pool.dispose();
  }
}

/**
 * A connection as a replay's target. `current` finds it again at each publish: a connection removed
 * (or replaced by an edited profile) meanwhile is not published to.
 */
function replayTarget(model: ConnectionModel, current: () => ConnectionModel | undefined): ReplayTarget {
  const name = model.connection.profile.name;
  return {
    mqttVersion: model.connection.profile.mqttVersion === 5 ? 5 : 4,
    gone: () => (current() === model ? undefined : l10n.t('{0} was removed, or its profile changed, during the replay.', name)),
    notReady: () => {
      const state = model.connection.state;
      if (state.kind === 'connected') return undefined;
      if (state.kind === 'reconnecting') return l10n.t('{0} lost its connection ({1}) and is reconnecting.', name, state.reason);
      if (state.kind === 'failed') return l10n.t('{0} failed: {1}', name, state.reason);
      return state.kind === 'connecting' ? l10n.t('{0} is connecting.', name) : l10n.t('{0} is not connected.', name);
    },
    publish: (topic, payload, { qos, retain, properties }) => model.connection.publish(topic, payload, { qos, retain, ...(properties ? { messageProperties: properties } : {}) }),
  };
}

import type { ConnectionModel } from './connectionPool';
import { queries, snapshotOf } from './topicQueries';
import type { TopicNode } from './topicTree';
import { RefreshPacer } from '../shared/refreshPacer';
import { PREVIEW_DECODED_CHARS, PUSHED_LATEST_BYTES, PUSHED_ROW_BYTES, PUSHED_ROWS, type EngineEvent, type NodeRef, type NodeSnapshot, type PinnedUpdate } from '../shared/engineProtocol';

/** How often, at most, what changed is reported to the extension host. */
export const CHANGE_INTERVAL_MS = 250;
/** More changed rows than this waiting: their levels are re-listed instead. */
const MAX_ROWS_PER_REPORT = 2000;
/** A shown row whose value keeps changing is reported at most this often (a quiet one at once). */
export const ROW_REFRESH_MS = 1000;
/**
 * At most this many rows in one report. The host refreshes each reported row in VS Code's tree,
 * and that work on the extension host's thread (building, serializing and sending each item) is
 * what a flood would otherwise grow without bound: paced, it is at most this many rows per report
 * and each row once per ROW_REFRESH_MS, however fast the broker sends and however many rows show.
 */
export const MAX_ROWS_PER_TURN = 40;

/** What the views show of one connection, as refs (from the host) and as nodes (for the per-message check). */
interface Watched {
  expandedRefs: NodeRef[];
  /** Some expanded refs name a topic (tests, the benchmark): they may name a node that comes later. */
  byTopic: boolean;
  pinnedTopics: string[];
  /** Nodes (by key) whose children are rows; the root when the connection is expanded. */
  expanded: Set<number>;
  /**
   * Per level, the children the host last listed: the rows VS Code has (a page of a wide level).
   * Kept while the level is collapsed: VS Code shows the same rows again when it is expanded,
   * without asking for them.
   */
  listed: Map<number, number[]>;
  /** Every listed node (by key): the per-message check. */
  shown: Set<number>;
  /**
   * Listed levels that gained or lost a child while collapsed (by key): VS Code shows its old rows
   * again when such a level is expanded, without asking, so it is re-listed when the host says so.
   */
  stale: Set<number>;
  /** The tree is being rebuilt (a recording read again from its start): nothing is reported until `reset`. */
  held: boolean;
  pinned: Set<number>;
  /** Rows whose own label or description may have changed, by key, reported in paced turns. */
  rows: RefreshPacer<number, TopicNode>;
  /** Expanded nodes that gained (or lost) a child, by key. */
  relist: Map<number, TopicNode>;
  pinnedChanged: Map<number, TopicNode>;
  /** Per pinned node (by key), one past the newest seq a report carried: the next one carries only newer rows. */
  pushed: Map<number, number>;
  reset: boolean;
  /** Totals changed: a report goes out even when no row did. */
  statsChanged: boolean;
}

/** A listed child of an expanded level: a row VS Code shows. */
function isRow(watched: Watched, node: TopicNode): boolean {
  const parent = node.parentKey;
  return parent !== undefined && watched.expanded.has(parent) && watched.shown.has(node.key);
}

/** A level whose children changed while collapsed, with rows VS Code keeps: listed again when expanded. */
function markStale(watched: Watched, parentKey: number): void {
  if (!watched.expanded.has(parentKey) && watched.listed.has(parentKey)) watched.stale.add(parentKey);
}

/** `from` and the levels above it that are rows: their counts of sub-topics changed. */
function markRowsFrom(watched: Watched, from: TopicNode | undefined): void {
  for (let up = from; up?.parentKey !== undefined; up = up.parent) if (isRow(watched, up)) watched.rows.mark(up.key, up);
}

/**
 * Tracks, per message, which rows the Topics view shows and which open panels changed, and reports
 * them coalesced with fresh snapshots, so the host never has to ask back. A message marks its own
 * row only: an ancestor's row changes only when a topic is created below it (its counts of
 * sub-topics), never with every message, because refreshing a row re-lists everything expanded below it.
 */
export class ChangeTracker {
  private readonly watched = new Map<string, Watched>();
  private visible = true;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly model: (connectionId: string) => ConnectionModel | undefined,
    private readonly emit: (event: EngineEvent) => void,
  ) {}

  watch(connectionId: string, expanded: NodeRef[], pinned: string[]): void {
    const watched = this.watchedOf(connectionId);
    watched.expandedRefs = expanded;
    watched.byTopic = expanded.some((ref) => 'topic' in ref);
    watched.pinnedTopics = pinned;
    this.resolve(connectionId, watched);
  }

  /**
   * The host listed these children of `parent` (a page of them): they are rows now, and only they.
   * VS Code lists expanded levels only, so `parent` counts as expanded from now on, not from the
   * host's `watch` (sent a moment later): a child created in between is reported, not missed.
   */
  listed(connectionId: string, parent: TopicNode, children: TopicNode[]): void {
    const watched = this.watchedOf(connectionId);
    for (const key of watched.listed.get(parent.key) ?? []) watched.shown.delete(key);
    const keys = children.map((node) => node.key);
    watched.listed.set(parent.key, keys);
    for (const key of keys) watched.shown.add(key);
    watched.stale.delete(parent.key);
    const model = this.model(connectionId);
    if (!watched.expanded.has(parent.key) && model) {
      watched.expanded.add(parent.key);
      watched.expandedRefs.push(parent.key === model.connection.topics.root.key ? { root: true } : { id: model.index.idOf(parent) });
    }
  }

  setVisible(visible: boolean): void {
    this.visible = visible;
    if (visible) return;
    for (const watched of this.watched.values()) {
      watched.rows.clear();
      watched.relist.clear();
    }
  }

  /** A connection appeared (or was replaced): its watched refs name nodes of a new tree. */
  connectionChanged(connectionId: string): void {
    const watched = this.watched.get(connectionId);
    if (watched) this.resolve(connectionId, watched);
  }

  forget(connectionId: string): void {
    this.watched.delete(connectionId);
  }

  /** Per message: O(1) unless the message created a topic (then O(depth)); no allocation when nothing is shown. */
  onMessage(connectionId: string, node: TopicNode, created: TopicNode | undefined): void {
    const watched = this.watchedOf(connectionId);
    // A topic created anew may be one a panel pinned (or a ref named by topic) before it existed.
    if (created && (watched.pinnedTopics.length || watched.byTopic)) this.resolve(connectionId, watched);
    if (watched.pinned.has(node.key)) watched.pinnedChanged.set(node.key, node);
    const createdParent = created?.parentKey;
    if (createdParent !== undefined) markStale(watched, createdParent);
    if (this.visible) {
      watched.statsChanged = true;
      if (isRow(watched, node)) watched.rows.mark(node.key, node);
      if (created && createdParent !== undefined && watched.expanded.has(createdParent)) watched.relist.set(createdParent, created.parent as TopicNode);
      // A new topic changes the sub-topic counts of every level above it (and a child count).
      if (created || node.messageCount === 1) {
        markRowsFrom(watched, node.parent);
      }
    } else if (!watched.pinnedChanged.size) {
      return;
    }
    this.schedule(CHANGE_INTERVAL_MS);
  }

  /** Whether rows of this connection are reported now (the view is visible and has said what it shows). */
  showsRows(connectionId: string): boolean {
    return this.visible && this.watched.has(connectionId);
  }

  /**
   * A node's row reads differently without a message of its own (its Sparkplug B edge node died, or
   * got a seq gap flagged): reported like a message's row, in the paced turns, if it is a row.
   */
  refreshRow(connectionId: string, node: TopicNode): void {
    const watched = this.watched.get(connectionId);
    if (!watched || !this.visible || !isRow(watched, node)) return;
    watched.rows.mark(node.key, node);
    this.schedule(CHANGE_INTERVAL_MS);
  }

  /** Every row may read differently (the decoder bindings changed): the expanded levels are listed again, with fresh snapshots. */
  relistExpanded(connectionId: string): void {
    const watched = this.watched.get(connectionId);
    const model = this.model(connectionId);
    // A hidden view is brought up to date by the host when it shows again.
    if (!watched || !model || !this.visible) return;
    for (const ref of watched.expandedRefs) {
      const node = model.index.resolve(ref);
      if (node) watched.relist.set(node.key, node);
    }
    this.schedule(0);
  }

  /** The budget forgot topics below `parent`: its level is listed again (their rows go), the rows above change counts. */
  onForgotten(connectionId: string, parent: TopicNode): void {
    const watched = this.watched.get(connectionId);
    if (watched) markStale(watched, parent.key);
    if (!watched || !this.visible) return;
    if (watched.expanded.has(parent.key)) watched.relist.set(parent.key, parent);
    markRowsFrom(watched, parent);
    this.schedule(CHANGE_INTERVAL_MS);
  }

  /** Everything may have changed (a clear): the next report says so, and rows and panels start over. */
  reset(connectionId: string): void {
    const watched = this.watchedOf(connectionId);
    this.resolve(connectionId, watched);
    // The host lists everything again; listings of cleared nodes must not keep them alive.
    watched.listed.clear();
    watched.shown.clear();
    watched.stale.clear();
    watched.rows.clear();
    watched.relist.clear();
    watched.held = false;
    watched.reset = true;
    this.schedule(0);
  }

  /**
   * The tree is about to be rebuilt: nothing of it is reported until `reset`. The host would list a
   * half-built tree, and VS Code forgets the expansion of a row that is missing for a moment.
   */
  hold(connectionId: string): void {
    this.watchedOf(connectionId).held = true;
  }

  private schedule(delay: number): void {
    this.timer ??= setTimeout(() => this.flush(), delay);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = Date.now();
    let nextTurnIn: number | undefined;
    for (const [connectionId, watched] of this.watched) {
      const model = this.model(connectionId);
      if (!model || watched.held) continue;
      // Too many rows waiting: their levels are listed again instead (fresh snapshots with the listing).
      if (watched.rows.pendingCount > MAX_ROWS_PER_REPORT) {
        for (const node of watched.rows.pendingValues()) {
          const parent = node.parent;
          if (parent) watched.relist.set(parent.key, parent);
        }
        watched.rows.clear();
      }
      const reset = watched.reset;
      const due = reset ? [] : watched.rows.take(now);
      const dueIn = watched.rows.nextDueInMs(now);
      if (dueIn !== undefined) nextTurnIn = Math.min(nextTurnIn ?? Infinity, dueIn);
      const schemaMarks = model.schemas.takeMarks();
      if (!due.length && !watched.relist.size && !watched.pinnedChanged.size && !reset && !watched.statsChanged && !schemaMarks) continue;
      // A row forgotten by the budget since it was marked has nothing to show: its level is re-listed.
      const rows: NodeSnapshot[] = due.filter((node) => node.attached).map((node) => snapshotOf(model, node));
      const root = model.connection.topics.root;
      const relist: NodeRef[] = reset ? [] : [...watched.relist.values()].filter((node) => node.attached).map((node) => (node.key === root.key ? { root: true } : { id: model.index.idOf(node) }));
      const pinned = [...watched.pinnedChanged.values()].filter((node) => node.attached).flatMap((node) => this.pinnedUpdate(model, watched, node));
      watched.relist.clear();
      watched.pinnedChanged.clear();
      watched.reset = false;
      watched.statsChanged = false;
      this.emit({ kind: 'changes', connectionId, rows, relist, pinned, reset, stats: { ...model.connection.topics.stats }, ...(schemaMarks ? { schemaMarks } : {}) });
      // Marks beyond one report's share get the next one.
      if (model.schemas.marksPending) nextTurnIn = Math.min(nextTurnIn ?? Infinity, CHANGE_INTERVAL_MS);
    }
    // Rows held back get their turn even if no other message comes.
    if (nextTurnIn !== undefined) this.schedule(Math.max(nextTurnIn, CHANGE_INTERVAL_MS));
  }

  /** What an open panel shows next of its topic: the rows new since the last report (bounded) and the newest message. */
  private pinnedUpdate(model: ConnectionModel, watched: Watched, node: TopicNode): PinnedUpdate[] {
    if (!node.hasMessages || node.keptCount === 0) return [];
    const nextSeq = node.messageCount;
    const from = Math.max(watched.pushed.get(node.key) ?? 0, nextSeq - PUSHED_ROWS);
    watched.pushed.set(node.key, nextSeq);
    // Decoded for a bound topic, so a panel's list shows values, not bytes (at most PUSHED_ROWS a report, pinned topics only, each text cut to a preview).
    const { window, entries } = queries.entries(model, node, from, nextSeq - from, PUSHED_ROW_BYTES, true, PREVIEW_DECODED_CHARS);
    const latest = queries.entries(model, node, -1, 1, PUSHED_LATEST_BYTES).entries[0];
    return latest ? [{ topic: node.topic, window, recent: entries, latest }] : [];
  }

  private watchedOf(connectionId: string): Watched {
    let watched = this.watched.get(connectionId);
    if (!watched) {
      watched = {
        expandedRefs: [{ root: true }],
        byTopic: false,
        pinnedTopics: [],
        expanded: new Set(),
        listed: new Map(),
        shown: new Set(),
        stale: new Set(),
        held: false,
        pinned: new Set(),
        rows: new RefreshPacer<number, TopicNode>(ROW_REFRESH_MS, MAX_ROWS_PER_TURN),
        relist: new Map(),
        pinnedChanged: new Map(),
        pushed: new Map(),
        reset: false,
        statsChanged: false,
      };
      this.watched.set(connectionId, watched);
      this.resolve(connectionId, watched);
    }
    return watched;
  }

  /** Turns refs into nodes, so that the per-message check compares identities, not strings. */
  private resolve(connectionId: string, watched: Watched): void {
    const model = this.model(connectionId);
    watched.expanded = new Set();
    for (const ref of watched.expandedRefs) {
      const node = model?.index.resolve(ref);
      if (!node) continue;
      watched.expanded.add(node.key);
      // Expanded again after its children changed: VS Code's old rows are replaced.
      if (watched.stale.delete(node.key) && this.visible) {
        watched.relist.set(node.key, node);
        this.schedule(0);
      }
    }
    watched.pinned = this.resolvePinned(connectionId, watched.pinnedTopics);
    // What was pushed is kept for pinned nodes only: the key of a node gone is never seen again.
    for (const key of watched.pushed.keys()) if (!watched.pinned.has(key)) watched.pushed.delete(key);
  }

  private resolvePinned(connectionId: string, topics: string[]): Set<number> {
    const tree = this.model(connectionId)?.connection.topics;
    const keys = new Set<number>();
    if (tree) for (const topic of topics) {
      const node = tree.find(topic);
      if (node) keys.add(node.key);
    }
    return keys;
  }


  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

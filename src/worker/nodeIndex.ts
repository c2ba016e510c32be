import type { TopicNode, TopicTree } from './topicTree';
import type { NodeRef } from '../shared/engineProtocol';

/**
 * Ids are unique across connections and never reused, so a stale id can only miss, never hit another
 * node: not even one a previous worker gave (a row shown before a restart), since each worker starts
 * from its own base (EngineWorkerData.idBase).
 */
let nextId = 1;

export function setIdBase(base: number): void {
  nextId = base + 1;
}

/**
 * Ids for the nodes of one tree that the views have seen, and the way back from a NodeRef to a node.
 * Only nodes that went out in a snapshot get an id, so the index grows with what was shown, not with
 * the broker; ids of nodes no longer in the tree are dropped when looked up and by `purge`.
 */
export class NodeIndex {
  /** By node key (unique over the tree's life), the id given out. */
  private readonly ids = new Map<number, number>();
  private readonly nodes = new Map<number, TopicNode>();
  /** Purge when the index has grown this much since the last purge: the budget forgets shown nodes too. */
  private purgeAt = 1024;

  constructor(private readonly tree: TopicTree) {}

  idOf(node: TopicNode): number {
    let id = this.ids.get(node.key);
    if (id === undefined) {
      if (this.ids.size >= this.purgeAt) this.purge();
      id = nextId++;
      this.ids.set(node.key, id);
      this.nodes.set(id, node);
    }
    return id;
  }

  /** The node a ref names, if it is still in the tree. */
  resolve(ref: NodeRef): TopicNode | undefined {
    if ('root' in ref) return this.tree.root;
    if ('topic' in ref) return this.tree.find(ref.topic);
    const node = this.nodes.get(ref.id);
    if (node && !node.attached) {
      this.nodes.delete(ref.id);
      this.ids.delete(node.key);
      return undefined;
    }
    return node;
  }

  /** Forgets the ids of nodes no longer in the tree. */
  purge(): void {
    for (const [id, node] of this.nodes) {
      if (node.attached) continue;
      this.nodes.delete(id);
      this.ids.delete(node.key);
    }
    this.purgeAt = Math.max(1024, this.ids.size * 2);
  }
}

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
 * the broker; `purge` drops the ids of cleared nodes.
 */
export class NodeIndex {
  private readonly ids = new WeakMap<TopicNode, number>();
  private readonly nodes = new Map<number, TopicNode>();

  constructor(private readonly tree: TopicTree) {}

  idOf(node: TopicNode): number {
    let id = this.ids.get(node);
    if (id === undefined) {
      id = nextId++;
      this.ids.set(node, id);
      this.nodes.set(id, node);
    }
    return id;
  }

  /** The node a ref names, if it is still in the tree. */
  resolve(ref: NodeRef): TopicNode | undefined {
    if ('root' in ref) return this.tree.root;
    if ('topic' in ref) return this.tree.find(ref.topic);
    const node = this.nodes.get(ref.id);
    if (node && !this.attached(node)) {
      this.nodes.delete(ref.id);
      return undefined;
    }
    return node;
  }

  /** Forgets the ids of nodes no longer in the tree (after a clear). */
  purge(): void {
    for (const [id, node] of this.nodes) if (!this.attached(node)) this.nodes.delete(id);
  }

  /** Whether the node still hangs from this tree's root: a loop up its parents, no recursion. */
  private attached(node: TopicNode): boolean {
    let current = node;
    for (let parent = current.parent; parent; parent = current.parent) {
      if (parent.child(current.name) !== current) return false;
      current = parent;
    }
    return current === this.tree.root;
  }
}

/**
 * The last value of every topic of a subtree, for "Export Snapshot": whole payloads (not the
 * Topics view's preview), bounded by a count of topics and of bytes, with what the bounds left out
 * counted. Read-only over a connection's tree.
 */
import type { ConnectionModel } from './connectionPool';
import type { MessageProperties, TopicNode } from './topicTree';
import type { NodeRef } from '../shared/engineProtocol';

export interface LastValue {
  topic: string;
  /** As the engine kept it: its beginning only when `truncated` (the limits' maxPayloadBytes cut it). */
  payload: Uint8Array;
  /** The payload's size as received. */
  size: number;
  truncated: boolean;
  qos: 0 | 1 | 2;
  retain: boolean;
  receivedAt: number;
  properties?: MessageProperties;
}

export interface LastValues {
  /** In the tree's order: a parent before its children. */
  values: LastValue[];
  /** Topics with a last value that the caps left out, and their payload bytes. */
  leftOutTopics: number;
  leftOutBytes: number;
  /** Topics that received messages but whose last one the memory budget dropped: no value to give. */
  noValue: number;
}

/** Hard caps over whatever a request asks: a reply is one structured-clone message between threads. */
export const MAX_LAST_VALUES_TOPICS = 1_000_000;
export const MAX_LAST_VALUES_BYTES = 512 * 1024 * 1024;

export function lastValues(model: ConnectionModel, ref: NodeRef, maxTopics: number, maxBytes: number): LastValues {
  const result: LastValues = { values: [], leftOutTopics: 0, leftOutBytes: 0, noValue: 0 };
  const tree = model.connection.topics;
  const start = model.index.resolve(ref);
  if (!start) return result;
  const topicCap = Math.max(0, Math.min(maxTopics, MAX_LAST_VALUES_TOPICS));
  const byteCap = Math.max(0, Math.min(maxBytes, MAX_LAST_VALUES_BYTES));
  let bytes = 0;
  const take = (node: TopicNode): void => {
    if (!node.hasMessages) return;
    const last = node.last;
    if (!last) {
      result.noValue++;
      return;
    }
    const length = last.payload.byteLength;
    if (result.values.length >= topicCap || bytes + length > byteCap) {
      result.leftOutTopics++;
      result.leftOutBytes += length;
      return;
    }
    bytes += length;
    const value: LastValue = {
      topic: node.topic,
      // Copied out of the shared pool: posting a view would copy its whole buffer.
      payload: new Uint8Array(last.payload),
      size: last.size,
      truncated: last.truncated,
      qos: last.qos,
      retain: last.retain,
      receivedAt: last.receivedAt,
    };
    if (last.properties) value.properties = last.properties;
    result.values.push(value);
  };
  if (start.key !== tree.root.key) take(start);
  for (const node of tree.topics(start)) take(node);
  return result;
}

/**
 * Commands' arguments as they really arrive. VS Code hands a view's focused row to every action in
 * that view's title bar, and keybindings, tasks and other extensions pass whatever they like; a
 * TypeScript parameter type says nothing about it. Each command reads its argument through one of
 * these: anything that is not exactly what it takes counts as no argument, so the command asks.
 */
import type { SortOrder, TopicFilter } from './engineProtocol';

const FILTER_KINDS: readonly TopicFilter['kind'][] = ['substring', 'wildcard', 'regex'];
const FILTER_TARGETS: readonly TopicFilter['target'][] = ['topic', 'payload'];
const SORT_ORDERS: readonly SortOrder[] = ['name', 'messages', 'topics', 'recent'];
/** Longer patterns are not something a person typed; the input box takes no more either. */
export const MAX_FILTER_PATTERN = 4096;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** `{ kind, target, pattern }` and nothing else; a row of a view is not a filter. */
export function topicFilterArg(value: unknown): TopicFilter | undefined {
  if (!isPlainObject(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 3 || !keys.every((key) => key === 'kind' || key === 'target' || key === 'pattern')) return undefined;
  const { kind, target, pattern } = value;
  if (!FILTER_KINDS.includes(kind as TopicFilter['kind']) || !FILTER_TARGETS.includes(target as TopicFilter['target'])) return undefined;
  if (typeof pattern !== 'string' || pattern === '' || pattern.length > MAX_FILTER_PATTERN) return undefined;
  return { kind: kind as TopicFilter['kind'], target: target as TopicFilter['target'], pattern };
}

export function sortOrderArg(value: unknown): SortOrder | undefined {
  return SORT_ORDERS.includes(value as SortOrder) ? (value as SortOrder) : undefined;
}

/** `{ port }` with a port 0–65535 (0: a free one), or `{}`. */
export function startBrokerArg(value: unknown): { port?: number } | undefined {
  if (!isPlainObject(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length === 0) return {};
  if (keys.length !== 1 || keys[0] !== 'port') return undefined;
  const { port } = value;
  return typeof port === 'number' && Number.isInteger(port) && port >= 0 && port <= 65535 ? { port } : undefined;
}

/** A topic of a connection: a row of the Topics view, or `{ connectionId, topic }` from a caller. */
export function topicRefArg(value: unknown): { connectionId: string; topic: string } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { connectionId, topic } = value as Record<string, unknown>;
  return typeof connectionId === 'string' && typeof topic === 'string' ? { connectionId, topic } : undefined;
}

import * as vscode from 'vscode';
import type { NodeSnapshot } from '../shared/engineProtocol';

/**
 * What a screen reader says for the rows of the Topics and Connections trees (issue 16). A row's
 * label and description are written for the eye: "temperature", "● 21.5  · 12 msgs". Read aloud,
 * that is a bare name, a bullet and abbreviations, with no word of what the row is. These functions
 * say it in words: what the row is, its name, its value, its counts. The views call them and keep
 * the rest of their rows as they are.
 */

/** Characters of a payload preview read out: the row shows one line, the panel has the whole value. */
const MAX_VALUE_CHARS = 160;
/** Characters of a topic read out; the tooltip has the whole name. */
const MAX_TOPIC_CHARS = 300;

const cut = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

function messages(count: number): string {
  return count === 1 ? vscode.l10n.t('1 message') : vscode.l10n.t('{0} messages', count.toLocaleString(vscode.env.language));
}

function topics(count: number): string {
  return count === 1 ? vscode.l10n.t('1 sub-topic') : vscode.l10n.t('{0} sub-topics', count.toLocaleString(vscode.env.language));
}

/**
 * A topic row: "Topic plant/boiler/temperature, value 21.5, 12 messages, retained, 3 sub-topics".
 * `active`: a message arrived in the last seconds (the row's green icon and bullet).
 */
export function topicAccessibility(node: NodeSnapshot, active: boolean): vscode.AccessibilityInformation {
  const parts = [vscode.l10n.t('Topic {0}', node.topic === '' ? vscode.l10n.t('(empty)') : cut(node.topic, MAX_TOPIC_CHARS))];
  if (node.last) parts.push(vscode.l10n.t('value {0}', cut(node.last.preview, MAX_VALUE_CHARS)));
  else if (node.valueDropped) parts.push(vscode.l10n.t('value dropped to stay within the memory budget'));
  if (node.messageCount > 0) parts.push(messages(node.messageCount));
  if (node.retained) parts.push(vscode.l10n.t('retained'));
  if (active) parts.push(vscode.l10n.t('just received'));
  if (node.schema?.last === 'invalid') parts.push(vscode.l10n.t('the last message fails its JSON Schema'));
  if (node.sparkplug?.online === false) parts.push(vscode.l10n.t('Sparkplug node offline'));
  if (node.childCount > 0) parts.push(topics(node.topicCount));
  return { label: parts.join(', '), role: 'treeitem' };
}

/**
 * A connection's row, in the Connections view or at the top of the Topics view: "Connection Local
 * broker, connected" and what the row's description says (its state, a recording's time).
 */
export function connectionAccessibility(name: string, description: string | boolean | undefined, subscriptions?: number): vscode.AccessibilityInformation {
  const parts = [vscode.l10n.t('Connection {0}', name)];
  if (typeof description === 'string' && description) parts.push(description);
  if (subscriptions) parts.push(subscriptions === 1 ? vscode.l10n.t('1 subscription') : vscode.l10n.t('{0} subscriptions', subscriptions));
  return { label: parts.join(', '), role: 'treeitem' };
}

/** A subscription's row under its connection: "Subscription sensors/#, QoS 1". */
export function subscriptionAccessibility(filter: string, description: string | boolean | undefined): vscode.AccessibilityInformation {
  const label = vscode.l10n.t('Subscription {0}', filter);
  return { label: typeof description === 'string' && description ? `${label}, ${description}` : label, role: 'treeitem' };
}

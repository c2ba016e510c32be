import * as vscode from 'vscode';
import type { ConnectionRegistry } from './engine/connectionRegistry';
import type { RemoteConnection } from './engine/engineClient';
import type { NodeRef, SortOrder } from '../shared/engineProtocol';
import { sortOrderArg, topicFilterArg } from '../shared/commandArgs';
import { validateTopicFilter } from '../shared/profile';
import { describeResult } from '../shared/publish';
import { REGEX_SYNTAX } from '../shared/regex';
import type { MoreElement, TopicElement, TopicsTreeProvider } from './topicsView';
import { formatJson } from '../shared/json';
import { progress } from './progress';
import { payloadAsText } from '../shared/format';

/** A topic as a message names it: never empty, never longer than a dialog can show. */
function displayTopic(topic: string): string {
  if (topic === '') return vscode.l10n.t('(empty)');
  return topic.length > 200 ? `${topic.slice(0, 199)}…` : topic;
}

/** Node actions of the Topics view, and its filter and sort. */
export function registerTopicCommands(
  context: vscode.ExtensionContext,
  services: { registry: ConnectionRegistry; topics: TopicsTreeProvider; report: (error: unknown) => void },
): void {
  const { registry, topics, report } = services;
  const engine = registry.engine;

  const lastPayload = async (element: TopicElement) =>
    (await engine.request('node', { connectionId: element.connectionId, topic: element.topic, history: 1 }))?.history.at(-1)?.payload;

  context.subscriptions.push(
    // From the view's title bar VS Code passes the focused row: only a filter itself counts.
    vscode.commands.registerCommand('mqttExplorer.filterTopics', async (arg?: unknown) => {
      const filter = topicFilterArg(arg);
      if (filter) {
        const problem = filter.kind === 'wildcard' ? validateTopicFilter(filter.pattern) : filter.kind === 'regex' ? await engine.request('checkRegex', { pattern: filter.pattern }) : undefined;
        if (problem) {
          report(new Error(vscode.l10n.t('MQTT: Filter Topics: {0}', problem)));
          return;
        }
        topics.filter = filter;
        return;
      }
      const kinds = [
        { label: vscode.l10n.t('Topic contains…'), filterKind: 'substring' as const, target: 'topic' as const },
        { label: vscode.l10n.t('Topic matches an MQTT filter (+, #)…'), filterKind: 'wildcard' as const, target: 'topic' as const },
        { label: vscode.l10n.t('Topic matches a regular expression…'), filterKind: 'regex' as const, target: 'topic' as const },
        { label: vscode.l10n.t('Payload contains…'), filterKind: 'substring' as const, target: 'payload' as const },
        { label: vscode.l10n.t('Payload matches a regular expression…'), filterKind: 'regex' as const, target: 'payload' as const },
      ];
      const picked = await vscode.window.showQuickPick(kinds, { title: vscode.l10n.t('Filter topics'), ignoreFocusOut: true });
      if (!picked) return;
      const regex = picked.filterKind === 'regex';
      const pattern = await vscode.window.showInputBox({
        title: regex ? `${picked.label.replace('…', '')} (RE2)` : picked.label.replace('…', ''),
        // The worker runs it on RE2 (linear time), so the box asks the worker to check it with the same engine.
        prompt: regex ? vscode.l10n.t('{0}; case-insensitive.', REGEX_SYNTAX()) : undefined,
        value: topics.filter?.kind === picked.filterKind ? topics.filter.pattern : '',
        ignoreFocusOut: true,
        validateInput: async (value) => {
          if (picked.filterKind === 'wildcard') return validateTopicFilter(value);
          // An engine that cannot answer (restarting) says why in the box instead of accepting the pattern unchecked.
          if (regex) return engine.request('checkRegex', { pattern: value }).catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
          return undefined;
        },
      });
      if (pattern) topics.filter = { kind: picked.filterKind, target: picked.target, pattern };
    }),
    vscode.commands.registerCommand('mqttExplorer.clearTopicFilter', () => {
      topics.filter = undefined;
    }),
    vscode.commands.registerCommand('mqttExplorer.sortTopics', async (arg?: unknown) => {
      const order = sortOrderArg(arg);
      const orders: { label: string; order: SortOrder }[] = [
        { label: vscode.l10n.t('Name'), order: 'name' },
        { label: vscode.l10n.t('Most messages'), order: 'messages' },
        { label: vscode.l10n.t('Most sub-topics'), order: 'topics' },
        { label: vscode.l10n.t('Most recent'), order: 'recent' },
      ];
      const chosen = order ?? (await vscode.window.showQuickPick(orders.map((o) => ({ ...o, description: o.order === topics.sort ? vscode.l10n.t('current') : undefined })), { title: vscode.l10n.t('Sort topics by'), ignoreFocusOut: true }))?.order;
      if (chosen) topics.sort = chosen;
    }),
    vscode.commands.registerCommand('mqttExplorer.showMoreTopics', (element: MoreElement) => topics.showMore(element)),
    vscode.commands.registerCommand('mqttExplorer.copyTopic', async (element: TopicElement) => {
      await vscode.env.clipboard.writeText(element.topic);
    }),
    vscode.commands.registerCommand('mqttExplorer.copyValue', async (element: TopicElement) => {
      // A topic with a decoder: the value as the row shows it, decoded (pretty JSON).
      const decoded = await engine.request('decode', { connectionId: element.connectionId, topic: element.topic }).catch(() => undefined);
      if (decoded?.result?.ok) {
        await vscode.env.clipboard.writeText(formatJson(decoded.result.value));
        return;
      }
      const payload = await lastPayload(element);
      if (!payload) return;
      // Binary goes as base64, as the panel's Copy does: a UTF-8 reading would not give the bytes back.
      await vscode.env.clipboard.writeText(payloadAsText(payload) ?? Buffer.from(payload).toString('base64'));
    }),
    vscode.commands.registerCommand('mqttExplorer.deleteRetained', async (element: TopicElement) => {
      const connection = registry.get(element.connectionId);
      if (!connection) return;
      // An empty retained message is how MQTT deletes a retained one.
      await connection.publish(element.topic, new Uint8Array(), { qos: 1, retain: true }).catch(report);
    }),
    vscode.commands.registerCommand('mqttExplorer.deleteRetainedBelow', async (element: TopicElement, confirmed?: boolean) => {
      const connection = registry.get(element.connectionId);
      if (!connection) return 0;
      // Only topics at or below this row's own: a stale id must never send deletions elsewhere.
      const retained = (await engine.request('retainedBelow', { connectionId: element.connectionId, node: { id: element.id } })).filter(
        (topic) => topic === element.topic || topic.startsWith(`${element.topic}/`),
      );
      if (!retained.length) {
        void vscode.window.showInformationMessage(vscode.l10n.t('No retained message is known at or below "{0}".', displayTopic(element.topic)));
        return 0;
      }
      if (!confirmed) {
        const remove = vscode.l10n.t('Delete');
        const answer = await vscode.window.showWarningMessage(
          retained.length === 1
            ? vscode.l10n.t('Delete 1 retained message at and below "{0}" from the broker? Other clients will no longer receive it.', displayTopic(element.topic))
            : vscode.l10n.t('Delete {0} retained messages at and below "{1}" from the broker? Other clients will no longer receive them.', retained.length, displayTopic(element.topic)),
          { modal: true },
          remove,
        );
        if (answer !== remove) return 0;
      }
      // One QoS 1 publish after another (each waits for its PUBACK): thousands take seconds, so the
      // notification counts them, and Cancel stops before the next one (those sent stay deleted).
      let deleted = 0;
      let stopped = false;
      try {
        await progress.run({ title: vscode.l10n.t('Deleting retained messages below “{0}”', displayTopic(element.topic)), cancellable: true }, async (reportProgress, token) => {
          for (const topic of retained) {
            if ((stopped = token.isCancellationRequested)) break;
            await connection.publish(topic, new Uint8Array(), { qos: 1, retain: true });
            deleted++;
            reportProgress(vscode.l10n.t('{0} of {1}', deleted, retained.length), 100 / retained.length);
          }
        });
      } catch (error) {
        report(error);
      }
      if (stopped) {
        void vscode.window.showInformationMessage(vscode.l10n.t('Stopped: {0} of {1} retained messages below “{2}” were deleted.', deleted, retained.length, displayTopic(element.topic)));
      }
      return deleted;
    }),
    vscode.commands.registerCommand('mqttExplorer.requestRebirth', async (element: TopicElement) => {
      // Only rows of a Sparkplug B edge node's or device's topics offer it; the engine names them in the snapshot.
      const sparkplug = element?.snapshot?.sparkplug;
      if (!sparkplug) return;
      try {
        const { topic, result } = await engine.request('rebirth', { connectionId: element.connectionId, group: sparkplug.group, node: sparkplug.node });
        void vscode.window.showInformationMessage(vscode.l10n.t('Rebirth requested from edge node {0} (NCMD on {1}): {2}', `${sparkplug.group}/${sparkplug.node}`, topic, describeResult(result)));
      } catch (error) {
        report(error);
      }
    }),
    vscode.commands.registerCommand('mqttExplorer.clearTopics', async (element: TopicElement | RemoteConnection) => {
      // The root is named as such, never by a topic: '' is the first level of every topic that starts with '/'.
      const connectionId = 'profile' in element ? element.id : element.connectionId;
      const node: NodeRef = 'profile' in element ? { root: true } : { id: element.id };
      await engine.request('clear', { connectionId, node }).catch(report);
    }),
  );
}

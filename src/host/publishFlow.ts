import * as vscode from 'vscode';
import type { ConnectionRegistry } from './engine/connectionRegistry';
import type { RemoteConnection } from './engine/engineClient';
import type { QoS } from '../shared/profile';
import { describeResult, encodePayload, formatLabel, validateDraft, validatePayload, type PayloadFormat, type PublishArgs, type PublishDraft, type PublishResult } from '../shared/publish';
import { validatePublishTopic } from '../shared/topicRules';
import { describeDecoder } from '../shared/decoderBindings';
import { describeIssue } from '../shared/schemaBindings';

/** Publishes kept per connection for reuse (the palette offers their topics, the panel's form lists them). */
const RECENT_PER_CONNECTION = 20;
/** Payload characters a remembered publish keeps. */
const MAX_REMEMBERED_PAYLOAD = 64 * 1024;
/** Known topics the topic step offers. */
const OFFERED_TOPICS = 2000;

interface Remembered {
  connectionId: string;
  draft: PublishDraft;
}

/** The last publish and the recent ones, per connection, in the extension's global state. */
export class PublishHistory {
  private readonly published = new vscode.EventEmitter<{ connectionId: string; topic: string }>();
  /** A publish reached the broker (the form, the palette, a file): the walkthrough's "publish a message". */
  readonly onDidPublish = this.published.event;

  constructor(private readonly state: vscode.Memento) {}

  /** Called once the broker answered a publish (at QoS 0: once it was sent); a refusal (reason code 0x80 or above) is no publish. */
  didPublish(connectionId: string, topic: string, result: PublishResult): void {
    if (result.reasonCode < 0x80) this.published.fire({ connectionId, topic });
  }

  get last(): Remembered | undefined {
    return this.state.get<Remembered>('mqttExplorer.publish.last');
  }

  recent(connectionId: string): PublishDraft[] {
    return this.state.get<PublishDraft[]>(`mqttExplorer.publish.recent.${connectionId}`) ?? [];
  }

  async remember(connectionId: string, published: PublishDraft): Promise<void> {
    // A big payload is not kept in the global state (it is read at every start): its other values are.
    const draft = published.payload.length > MAX_REMEMBERED_PAYLOAD ? { ...published, payload: '' } : published;
    const key = `mqttExplorer.publish.recent.${connectionId}`;
    const same = (other: PublishDraft) => JSON.stringify(other) === JSON.stringify(draft);
    await this.state.update(key, [draft, ...this.recent(connectionId).filter((other) => !same(other))].slice(0, RECENT_PER_CONNECTION));
    await this.state.update('mqttExplorer.publish.last', { connectionId, draft });
  }
}

/** Validates, encodes and publishes one draft; remembers it once the broker has it. */
export async function publishDraft(registry: ConnectionRegistry, history: PublishHistory, connectionId: string, draft: PublishDraft): Promise<PublishResult> {
  const connection = registry.get(connectionId);
  if (!connection) throw new Error(vscode.l10n.t('No connection {0}.', connectionId));
  const errors = validateDraft(draft);
  const first = errors.topic ?? errors.payload ?? errors.properties;
  if (first) throw new Error(first);
  const encoded = encodePayload(draft.payload, draft.format);
  if ('error' in encoded) throw new Error(encoded.error);
  if (connection.state.kind !== 'connected') throw new Error(vscode.l10n.t('{0} is not connected.', connection.profile.name));
  // A bound decoder's JSON is encoded and published by the engine in one request (Sparkplug's seq is taken only once sent).
  const result =
    'bytes' in encoded
      ? await connection.publish(draft.topic, encoded.bytes, { qos: draft.qos, retain: draft.retain, properties: draft.properties })
      : await registry.engine.request('publishEncoded', { connectionId, topic: draft.topic, json: encoded.encodeJson, qos: draft.qos, retain: draft.retain, ...(draft.properties ? { properties: draft.properties } : {}) });
  history.didPublish(connectionId, draft.topic, result);
  await history.remember(connectionId, draft);
  return result;
}

/** JSON encoded by the decoder bound to `topic`, in the engine (which holds the schemas and Sparkplug's seq). */
export async function encodeWithDecoder(registry: ConnectionRegistry, connectionId: string, topic: string, json: string, check = false): Promise<Uint8Array> {
  const { binding, result } = await registry.engine.request('encode', { connectionId, topic, json, check });
  if (!result.ok) throw new Error(binding ? result.error : `${result.error}.`);
  return result.bytes;
}

/** What "Bound decoder" means for a topic now: "Protobuf sensors.Reading"; undefined when none is bound. */
export async function decoderLabel(registry: ConnectionRegistry, topic: string): Promise<string | undefined> {
  const binding = await registry.engine.request('decoderOf', { topic }).catch(() => undefined);
  return binding ? describeDecoder(binding) : undefined;
}

/** Payload characters checked against a schema as typed in the palette. */
const MAX_CHECKED_DRAFT = 256 * 1024;

/**
 * What the palette says of a JSON draft that the schema bound to `topic` does not accept: the
 * schema, the first error with its JSON path, and that Enter still sends it. Undefined when the
 * draft is valid, is not JSON, or no schema is bound.
 */
export async function schemaWarning(registry: ConnectionRegistry, topic: string, text: string): Promise<string | undefined> {
  if (!topic || text.length > MAX_CHECKED_DRAFT) return undefined;
  try {
    JSON.parse(text);
  } catch {
    return undefined;
  }
  const reply = await registry.engine.request('checkDraft', { topic, json: text }).catch(() => undefined);
  const verdict = reply?.verdict;
  if (!reply?.binding || verdict?.valid !== false) return undefined;
  const count = verdict.errors.length + verdict.more;
  const first = verdict.errors[0] ? describeIssue(verdict.errors[0]) : '';
  return count > 1
    ? vscode.l10n.t('Not valid against {0}: {1} (and {2} more). Enter sends it anyway.', reply.binding.schema, first, count - 1)
    : vscode.l10n.t('Not valid against {0}: {1}. Enter sends it anyway.', reply.binding.schema, first);
}

class Back extends Error {}
class Cancelled extends Error {}

/** A step of the prompts answers, goes back, or is cancelled. */
type Step = 'connection' | 'topic' | 'payload' | 'qos';

function connected(registry: ConnectionRegistry): RemoteConnection[] {
  return registry.list().filter((connection) => connection.state.kind === 'connected');
}

/**
 * "MQTT: Publish" as prompts: the connection (when several are connected), the topic (recent and
 * known topics offered), the payload (in a format, validated as typed), then QoS and retain. Each
 * step has a back button; the last values come back next time; when publishing fails, the prompts
 * open again with everything typed.
 */
export class PublishPrompts {
  /** The connection chosen before a failed publish: first choice when the steps reopen. */
  private preferred: string | undefined;

  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly history: PublishHistory,
  ) {}

  /** Asks for everything, publishes, and on failure asks again with everything typed. */
  async run(initial: PublishArgs = {}): Promise<PublishResult | undefined> {
    let answers: PublishArgs = initial;
    for (;;) {
      const collected = await this.collect(answers);
      if (!collected) return undefined;
      try {
        const result = await publishDraft(this.registry, this.history, collected.connectionId, collected.draft);
        void vscode.window.setStatusBarMessage(`$(check) ${collected.draft.topic}: ${describeResult(result)}`, 5000);
        return result;
      } catch (error) {
        // Nothing typed is lost: the prompts open again with the same values (and the connection
        // step again, in case that broker is the problem).
        void vscode.window.showErrorMessage(`MQTT: ${(error as Error).message}`);
        answers = { ...collected.draft };
        this.preferred = collected.connectionId;
      }
    }
  }

  /**
   * The answers of the steps, or undefined when cancelled. With `payloadGiven` (a selection, a
   * file) the payload step is left out.
   */
  async collect(initial: PublishArgs = {}, payloadGiven = false): Promise<{ connectionId: string; draft: PublishDraft } | undefined> {
    const candidates = connected(this.registry);
    if (!candidates.length) throw new Error(vscode.l10n.t('No connected broker to publish to. Start the local broker or connect first.'));
    if (initial.connectionId && !candidates.some((candidate) => candidate.id === initial.connectionId)) throw new Error(vscode.l10n.t('{0} is not connected.', this.registry.get(initial.connectionId)?.profile.name ?? initial.connectionId));
    const last = this.history.last;
    const lastDraft = last && (!initial.connectionId || last.connectionId === initial.connectionId) ? last.draft : undefined;
    const isConnected = (id: string | undefined) => candidates.some((candidate) => candidate.id === id);
    let connectionId = initial.connectionId ?? [this.preferred, last?.connectionId].find(isConnected) ?? candidates[0].id;
    this.preferred = undefined;
    const draft: PublishDraft = {
      topic: initial.topic ?? lastDraft?.topic ?? '',
      payload: initial.payload ?? (payloadGiven ? '' : (lastDraft?.payload ?? '')),
      format: initial.format ?? (payloadGiven ? 'text' : (lastDraft?.format ?? 'text')),
      qos: initial.qos ?? lastDraft?.qos ?? 0,
      retain: initial.retain ?? lastDraft?.retain ?? false,
    };
    if (initial.properties) draft.properties = initial.properties;
    const steps: Step[] = [...(candidates.length > 1 && !initial.connectionId ? (['connection'] as const) : []), 'topic', ...(payloadGiven ? [] : (['payload'] as const)), 'qos'];
    let index = 0;
    try {
      while (index < steps.length) {
        const step = steps[index];
        const position = { index, count: steps.length };
        try {
          if (step === 'connection') connectionId = await this.pickConnection(candidates, connectionId, position);
          else if (step === 'topic') draft.topic = await this.askTopic(connectionId, draft.topic, position);
          else if (step === 'payload') Object.assign(draft, await this.askPayload(draft, position, connectionId, await decoderLabel(this.registry, draft.topic)));
          else Object.assign(draft, await this.askQos(draft, position));
          index++;
        } catch (error) {
          if (!(error instanceof Back)) throw error;
          index = Math.max(0, index - 1);
        }
      }
    } catch (error) {
      if (error instanceof Cancelled) return undefined;
      throw error;
    }
    return { connectionId, draft };
  }

  private title(text: string, position: { index: number; count: number }): { title: string; step: number; totalSteps: number } {
    return { title: vscode.l10n.t('MQTT: Publish — {0}', text), step: position.index + 1, totalSteps: position.count };
  }

  private pickConnection(candidates: RemoteConnection[], current: string, position: { index: number; count: number }): Promise<string> {
    return this.prompt<string>((resolve) => {
      const pick = vscode.window.createQuickPick<vscode.QuickPickItem & { id: string }>();
      Object.assign(pick, this.title(vscode.l10n.t('connection'), position));
      pick.items = candidates.map((candidate) => ({ label: candidate.profile.name, description: candidate.profile.host, id: candidate.id }));
      pick.activeItems = pick.items.filter((item) => item.id === current);
      pick.onDidAccept(() => {
        const chosen = pick.selectedItems[0] ?? pick.activeItems[0];
        if (chosen) resolve(chosen.id);
      });
      return pick;
    }, position.index > 0);
  }

  /** A quick pick whose first row is what is typed (refused with its reason when MQTT forbids it), then recent and known topics. */
  private async askTopic(connectionId: string, current: string, position: { index: number; count: number }): Promise<string> {
    const recent = [...new Set(this.history.recent(connectionId).map((draft) => draft.topic))];
    const known = (await this.registry.engine.request('topicList', { limit: OFFERED_TOPICS, connectionId }).catch(() => []))
      .filter((topic) => !recent.includes(topic.topic))
      .map((topic) => topic.topic)
      .sort();
    type Item = vscode.QuickPickItem & { topic?: string; typed?: boolean };
    return this.prompt<string>((resolve) => {
      const pick = vscode.window.createQuickPick<Item>();
      Object.assign(pick, this.title(vscode.l10n.t('topic'), position));
      pick.placeholder = vscode.l10n.t('Type a topic, or pick a recent or known one');
      pick.matchOnDescription = false;
      const listed: Item[] = [
        ...(recent.length ? [{ label: vscode.l10n.t('Recent'), kind: vscode.QuickPickItemKind.Separator }, ...recent.map((topic) => ({ label: topic, topic }))] : []),
        ...(known.length ? [{ label: vscode.l10n.t('Known topics'), kind: vscode.QuickPickItemKind.Separator }, ...known.map((topic) => ({ label: topic, topic }))] : []),
      ];
      const update = () => {
        const typed = pick.value;
        const invalid = typed ? validatePublishTopic(typed) : undefined;
        // The typed topic is always the first row, and always shown (alwaysShow), with its error if it has one.
        const typedItem: Item[] = typed && !listed.some((item) => item.topic === typed) ? [{ label: typed, description: invalid ? `$(error) ${invalid}` : vscode.l10n.t('publish to this topic'), alwaysShow: true, topic: invalid ? undefined : typed, typed: true }] : [];
        pick.items = [...typedItem, ...listed];
      };
      pick.onDidChangeValue(update);
      pick.value = current;
      update();
      pick.onDidAccept(() => {
        const chosen = pick.activeItems[0];
        // The typed row may lag behind the last keystrokes: what is typed now is what counts.
        if (chosen && chosen.typed !== true && chosen.topic !== undefined) return resolve(chosen.topic);
        if (!validatePublishTopic(pick.value)) return resolve(pick.value);
        update(); // refused: it stays typed, with its reason on its row
      });
      return pick;
    }, position.index > 0);
  }

  /** `decoder`: the topic's bound decoder in words, offered as a format (JSON typed, encoded by the engine). */
  private askPayload(draft: PublishDraft, position: { index: number; count: number }, connectionId: string, decoder: string | undefined): Promise<Pick<PublishDraft, 'payload' | 'format'>> {
    const formats: { format: PayloadFormat; icon: string }[] = [
      { format: 'text', icon: 'symbol-text' },
      { format: 'json', icon: 'json' },
      { format: 'hex', icon: 'file-binary' },
      { format: 'base64', icon: 'symbol-key' },
      ...(decoder ? [{ format: 'decoder' as const, icon: 'symbol-structure' }] : []),
    ];
    const label = (format: PayloadFormat) => (format === 'decoder' ? (decoder ? vscode.l10n.t('JSON encoded as {0}', decoder) : vscode.l10n.t('JSON encoded as the bound decoder')) : formatLabel(format));
    // A format button's tooltip, and how a click on it is recognised.
    const asLabel = (format: PayloadFormat) => vscode.l10n.t('As {0}', label(format));
    return this.prompt((resolve) => {
      const box = vscode.window.createInputBox();
      // A draft for a bound decoder comes back to a topic that has none: it is JSON then.
      let format = draft.format === 'decoder' && !decoder ? 'json' : draft.format;
      let checked = 0;
      const refresh = () => {
        Object.assign(box, this.title(vscode.l10n.t('payload to {0} as {1}', draft.topic, label(format)), position));
        box.prompt = vscode.l10n.t('Payload as {0}. The buttons change the format: {1}.', label(format), formats.map((item) => label(item.format)).join(', '));
        box.validationMessage = validatePayload(box.value, format);
        box.buttons = [...(position.index > 0 ? [vscode.QuickInputButtons.Back] : []), ...formats.filter((item) => item.format !== format).map((item) => ({ iconPath: new vscode.ThemeIcon(item.icon), tooltip: asLabel(item.format) }))];
        // JSON checked against the JSON Schema bound to the topic, as typed: a warning, since a user
        // may mean to send an invalid message (Enter still sends it).
        if ((format === 'json' || format === 'text') && !box.validationMessage) {
          const ticket = ++checked;
          const typed = box.value;
          void schemaWarning(this.registry, draft.topic, typed).then((warning) => {
            if (warning && ticket === checked && box.value === typed) box.validationMessage = { message: warning, severity: vscode.InputBoxValidationSeverity.Warning };
          });
        }
        // Checked by the schema as typed: the engine encodes and says what does not fit.
        if (format === 'decoder' && !box.validationMessage) {
          const ticket = ++checked;
          const typed = box.value;
          encodeWithDecoder(this.registry, connectionId, draft.topic, typed, true).then(
            () => undefined,
            (error: Error) => {
              if (ticket === checked && box.value === typed) box.validationMessage = error.message;
            },
          );
        }
      };
      box.value = draft.payload;
      box.onDidChangeValue(refresh);
      box.onDidTriggerButton((button) => {
        const picked = formats.find((item) => button.tooltip === asLabel(item.format));
        if (picked) {
          format = picked.format;
          refresh();
        }
      });
      box.onDidAccept(() => {
        if (!validatePayload(box.value, format)) resolve({ payload: box.value, format });
      });
      refresh();
      return box;
    }, false);
  }

  private askQos(draft: PublishDraft, position: { index: number; count: number }): Promise<Pick<PublishDraft, 'qos' | 'retain'>> {
    type Item = vscode.QuickPickItem & { qos: QoS; retain: boolean };
    const items: Item[] = [];
    for (const retain of [false, true]) {
      for (const qos of [0, 1, 2] as const) {
        const delivery = [vscode.l10n.t('at most once'), vscode.l10n.t('at least once'), vscode.l10n.t('exactly once')][qos];
        items.push({
          label: retain ? vscode.l10n.t('QoS {0}, retained', qos) : `QoS ${qos}`,
          description: retain ? vscode.l10n.t('{0} · the broker keeps it for new subscribers', delivery) : delivery,
          qos,
          retain,
        });
      }
    }
    return this.prompt((resolve) => {
      const pick = vscode.window.createQuickPick<Item>();
      Object.assign(pick, this.title(vscode.l10n.t('QoS and retain for {0}', draft.topic), position));
      pick.items = items;
      pick.activeItems = items.filter((item) => item.qos === draft.qos && item.retain === draft.retain);
      pick.onDidAccept(() => {
        const chosen = pick.activeItems[0];
        if (chosen) resolve({ qos: chosen.qos, retain: chosen.retain });
      });
      return pick;
    }, position.index > 0);
  }

  /** Shows one quick input; resolves with its answer, rejects with Back or Cancelled. */
  private prompt<T>(create: (resolve: (value: T) => void) => QuickInputWithButtons, back: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const input = create((value) => {
        settled = true;
        resolve(value);
        input.hide();
      });
      input.ignoreFocusOut = true;
      if (back) input.buttons = [vscode.QuickInputButtons.Back];
      const buttons = input.onDidTriggerButton((button) => {
        if (button === vscode.QuickInputButtons.Back) {
          settled = true;
          reject(new Back());
          input.hide();
        }
      });
      input.onDidHide(() => {
        buttons.dispose();
        input.dispose();
        if (!settled) reject(new Cancelled());
      });
      input.show();
    });
  }
}

/** What the steps need of a quick pick or an input box. */
type QuickInputWithButtons = vscode.QuickInput & { buttons: readonly vscode.QuickInputButton[]; readonly onDidTriggerButton: vscode.Event<vscode.QuickInputButton> };

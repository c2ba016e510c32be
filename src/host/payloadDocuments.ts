import * as vscode from 'vscode';
import { Disposable } from '../shared/dispose';
import type { HistoryEntry } from '../shared/engineProtocol';
import { documentText } from '../shared/format';

export const PAYLOAD_SCHEME = 'mqtt-message';
/** Documents kept for reopening; a message is immutable, so a document's text never changes. */
const KEPT_DOCUMENTS = 50;
/** Characters of the topic's last level in a document's name. */
const MAX_NAME = 80;

/**
 * Payloads opened in an editor: read-only documents (a content provider's documents cannot be
 * edited), JSON ones with the JSON language, so folding, outline and search work as for a file.
 */
export class PayloadDocuments extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();

  constructor() {
    super();
    this.register(vscode.workspace.registerTextDocumentContentProvider(PAYLOAD_SCHEME, this));
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? vscode.l10n.t('This message is no longer kept: open it again from its topic panel.');
  }

  /** `decoded`: the message as its decoder reads it (pretty JSON), opened instead of its bytes. */
  async open(ref: { connectionId: string; topic: string }, entry: HistoryEntry, decoded?: string): Promise<vscode.TextEditor> {
    const { text, language, note } = decoded === undefined ? documentText(entry.payload) : { text: decoded, language: 'json', note: undefined };
    // The topic's last level names the tab; a level may be 64 KiB long.
    const level = ref.topic.slice(ref.topic.lastIndexOf('/') + 1) || 'payload';
    const name = `${level.length > MAX_NAME ? `${level.slice(0, MAX_NAME - 1)}…` : level} #${entry.seq}${decoded === undefined ? '' : ' decoded'}${language === 'json' ? '.json' : '.txt'}`;
    const query: Record<string, string> = { connection: ref.connectionId, topic: ref.topic, seq: String(entry.seq), at: String(entry.receivedAt) };
    if (decoded !== undefined) query.decoded = '1';
    const uri = vscode.Uri.from({ scheme: PAYLOAD_SCHEME, path: `/${name}`, query: new URLSearchParams(query).toString() });
    this.texts.delete(uri.toString());
    this.texts.set(uri.toString(), text);
    while (this.texts.size > KEPT_DOCUMENTS) this.texts.delete(this.texts.keys().next().value as string);
    let document = await vscode.workspace.openTextDocument(uri);
    if (document.languageId !== language) document = await vscode.languages.setTextDocumentLanguage(document, language);
    const editor = await vscode.window.showTextDocument(document, { preview: false });
    // Not awaited: the note needs no answer, and the editor is already open.
    if (note) void vscode.window.showInformationMessage(note);
    return editor;
  }
}

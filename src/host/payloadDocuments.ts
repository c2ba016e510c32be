import * as vscode from 'vscode';
import { Disposable } from '../shared/dispose';
import type { HistoryEntry } from '../shared/engineProtocol';
import { hexDump, payloadAsText } from '../shared/format';
import { formatJson, tryParseJson } from '../shared/json';

export const PAYLOAD_SCHEME = 'mqtt-message';
/** Documents kept for reopening; a message is immutable, so a document's text never changes. */
const KEPT_DOCUMENTS = 50;

/** The text a payload opens as: JSON pretty-printed, text as is, anything else as a hex dump. */
export function documentText(payload: Uint8Array): { text: string; language: 'json' | 'plaintext' } {
  const text = payloadAsText(payload);
  if (text === undefined) return { text: hexDump(payload), language: 'plaintext' };
  // Pretty-printed from the parser that keeps numbers and duplicate keys as they arrived.
  const tree = tryParseJson(text);
  return tree ? { text: `${formatJson(tree)}\n`, language: 'json' } : { text, language: 'plaintext' };
}

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
    return this.texts.get(uri.toString()) ?? 'This message is no longer kept: open it again from its topic panel.';
  }

  async open(ref: { connectionId: string; topic: string }, entry: HistoryEntry): Promise<vscode.TextEditor> {
    const { text, language } = documentText(entry.payload);
    const name = `${ref.topic.split('/').pop() || 'payload'} #${entry.seq}${language === 'json' ? '.json' : '.txt'}`;
    const uri = vscode.Uri.from({ scheme: PAYLOAD_SCHEME, path: `/${name}`, query: new URLSearchParams({ connection: ref.connectionId, topic: ref.topic, seq: String(entry.seq), at: String(entry.receivedAt) }).toString() });
    this.texts.delete(uri.toString());
    this.texts.set(uri.toString(), text);
    while (this.texts.size > KEPT_DOCUMENTS) this.texts.delete(this.texts.keys().next().value as string);
    let document = await vscode.workspace.openTextDocument(uri);
    if (document.languageId !== language) document = await vscode.languages.setTextDocumentLanguage(document, language);
    return vscode.window.showTextDocument(document, { preview: false });
  }
}

import * as vscode from 'vscode';
import { Disposable } from '../shared/dispose';
import { TLS_FILE_TITLES, type ConnectionProfile } from '../shared/profile';
import { profileFromForm } from '../shared/profileForm';
import { parseEditorMessage, PROTOCOL_VERSION, type EditorHostApi, type EditorRequests, type EditorState, type EditorWebviewApi } from '../shared/webviewProtocol';
import type { ProfileStore, ProfileTarget } from './profileStore';
import { WebviewChannel } from './webviewChannel';
import { renderWebviewHtml, webviewOptions } from './webviewHtml';

export const CONNECTION_EDITOR_VIEW_TYPE = 'mqttExplorer.connectionEditor';

/** Called after a save: applies the profile to the live connections and connects when asked. */
export type OnProfileSaved = (profile: ConnectionProfile, connect: boolean) => Promise<void>;

type EditorChannel = WebviewChannel<EditorHostApi, EditorWebviewApi>;

/** The connection form: one webview panel per profile being edited. */
export class ConnectionEditors extends Disposable {
  private readonly open = new Map<string, vscode.WebviewPanel>();

  constructor(
    private readonly store: ProfileStore,
    private readonly extensionUri: vscode.Uri,
    private readonly onSaved: OnProfileSaved,
  ) {
    super();
    this.register({ dispose: () => [...this.open.values()].forEach((panel) => panel.dispose()) });
  }

  /** Opens the form for a profile (a new one when none is given). */
  show(profile: ConnectionProfile, options: { isNew: boolean; target: ProfileTarget }): vscode.WebviewPanel {
    const existing = this.open.get(profile.id);
    if (existing) {
      existing.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(CONNECTION_EDITOR_VIEW_TYPE, options.isNew ? vscode.l10n.t('New MQTT Connection') : vscode.l10n.t('Connection: {0}', profile.name), vscode.ViewColumn.Active, webviewOptions(this.extensionUri));
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'mqtt.svg');
    const state: EditorState = { version: PROTOCOL_VERSION, profileId: profile.id, draft: {} };
    panel.webview.html = renderWebviewHtml(panel.webview, this.extensionUri, { script: 'connectionEditor.js', title: vscode.l10n.t('MQTT connection'), state });
    const channel: EditorChannel = new WebviewChannel<EditorHostApi, EditorWebviewApi>(panel.webview, {
      validate: parseEditorMessage,
      onReady: () => void this.post(channel, profile, options),
      handlers: {
        saveProfile: async (params) => {
          // The id is the one this panel was opened for (new forms get theirs from the host), whatever the page sends.
          const saved = await this.save(params, profile.id);
          // The form closes once the profile is saved (and connected, when asked); on an error it stays, with every value.
          panel.dispose();
          return saved;
        },
        pickFile: (params) => this.pickFile(params),
      },
    });
    this.open.set(profile.id, panel);
    panel.onDidDispose(() => {
      channel.dispose();
      this.open.delete(profile.id);
    });
    return panel;
  }

  private async post(channel: EditorChannel, profile: ConnectionProfile, options: { isNew: boolean; target: ProfileTarget }): Promise<void> {
    const secrets = await this.store.getSecrets(profile.id);
    channel.emit('editProfile', {
      profile,
      target: options.target,
      isNew: options.isNew,
      hasPassword: secrets.password !== undefined,
      hasKeyPassphrase: secrets.keyPassphrase !== undefined,
      // Restricted Mode: nothing is saved in the settings of a folder that is not trusted.
      canUseWorkspace: (vscode.workspace.workspaceFolders?.length ?? 0) > 0 && vscode.workspace.isTrusted,
    });
  }

  private async save(params: EditorRequests['saveProfile']['params'], openedFor: string): Promise<EditorRequests['saveProfile']['result']> {
    // The webview is not trusted: the profile is rebuilt and checked here before anything is written.
    const checked = profileFromForm(params.profile, openedFor);
    if ('error' in checked) throw new Error(checked.error);
    const { profile } = checked;
    const secrets: { password?: string | null; keyPassphrase?: string | null } = {};
    if (params.password !== undefined) secrets.password = params.password;
    if (params.keyPassphrase !== undefined) secrets.keyPassphrase = params.keyPassphrase;
    await this.store.save(profile, params.target, secrets);
    await this.onSaved(profile, params.connect);
    return { id: profile.id };
  }

  private async pickFile(params: EditorRequests['pickFile']['params']): Promise<EditorRequests['pickFile']['result']> {
    const picked = await vscode.window.showOpenDialog({
      title: vscode.l10n.t('Choose the {0} file', TLS_FILE_TITLES[params.field]),
      canSelectMany: false,
      filters: { [vscode.l10n.t('PEM files')]: ['pem', 'crt', 'cer', 'key'], [vscode.l10n.t('All files')]: ['*'] },
    });
    return { path: picked?.[0]?.fsPath };
  }
}

import * as vscode from 'vscode';
import { Disposable, Emitter } from '../shared/dispose';
import { settingInText } from '../shared/restrictedMode';

/** The button that opens VS Code's Workspace Trust editor (a function: translated when asked, not when the module loads). */
export function manageTrustButton(): string {
  return vscode.l10n.t('Manage Workspace Trust');
}

/**
 * The folder relative TLS file paths of a profile resolve against: the first workspace folder, when
 * it is trusted and on this machine's disk (the engine reads the files with Node). An untrusted
 * folder's files are not read: a relative path of a user profile does not resolve there.
 */
export function firstWorkspaceFolder(): string | undefined {
  if (!vscode.workspace.isTrusted) return undefined;
  const folder = vscode.workspace.workspaceFolders?.[0];
  return folder?.uri.scheme === 'file' ? folder.uri.fsPath : undefined;
}

/** Shows a Restricted Mode refusal where the user is looking, with the way out. */
export function showRestricted(message: string): void {
  const manageTrust = manageTrustButton();
  void vscode.window.showWarningMessage(vscode.l10n.t('MQTT: {0}', message), manageTrust).then((choice) => {
    if (choice === manageTrust) void vscode.commands.executeCommand('workbench.trust.manage');
  });
}

/** Where VS Code reads workspace settings: the workspace file, or the one folder's .vscode/settings.json. */
export function workspaceSettingsFile(): { uri: vscode.Uri; workspaceFile: boolean } | undefined {
  const file = vscode.workspace.workspaceFile;
  if (file && file.scheme !== 'untitled') return { uri: file, workspaceFile: true };
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (!file && folders.length === 1) return { uri: vscode.Uri.joinPath(folders[0].uri, '.vscode', 'settings.json'), workspaceFile: false };
  return undefined;
}

/**
 * The folder's own settings file while the folder is not trusted. VS Code then withholds the
 * workspace value of every restricted setting from the extension (`get` and `inspect` alike), so
 * the connections a folder brings would simply vanish; they are read here, from the file, only to
 * be listed and marked: nothing connects with them (see ProfileStore.refusal). Empty, and no file
 * is watched, once the folder is trusted.
 */
export class UntrustedWorkspaceSettings extends Disposable {
  private text: { source: string; workspaceFile: boolean } | undefined;
  /** Parsed values by key, for the text read last. */
  private readonly parsed = new Map<string, unknown>();
  private watcher: vscode.FileSystemWatcher | undefined;
  private readonly changeEmitter = this.register(new Emitter<void>());
  /** The file changed, or the folder was trusted. */
  readonly onDidChange = this.changeEmitter.event;
  /** Resolves once the file has been read (at once when trusted). */
  readonly ready: Promise<void>;

  constructor() {
    super();
    this.ready = vscode.workspace.isTrusted ? Promise.resolve() : this.watch();
    this.register(
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.text = undefined;
        this.parsed.clear();
        this.watcher?.dispose();
        this.watcher = undefined;
        this.changeEmitter.fire();
      }),
    );
    this.register({ dispose: () => this.watcher?.dispose() });
  }

  get trusted(): boolean {
    return vscode.workspace.isTrusted;
  }

  /** The folder's value of a setting (full id), as its file says; undefined when trusted (ask VS Code then). */
  value(key: string): unknown {
    if (this.trusted || !this.text) return undefined;
    if (!this.parsed.has(key)) this.parsed.set(key, settingInText(this.text.source, key, { workspaceFile: this.text.workspaceFile }));
    return this.parsed.get(key);
  }

  private async watch(): Promise<void> {
    const location = workspaceSettingsFile();
    if (!location) return;
    const folder = vscode.Uri.joinPath(location.uri, '..');
    const name = location.uri.path.slice(location.uri.path.lastIndexOf('/') + 1);
    this.watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, name));
    const reread = () => void this.read(location).then(() => this.changeEmitter.fire());
    this.watcher.onDidChange(reread);
    this.watcher.onDidCreate(reread);
    this.watcher.onDidDelete(reread);
    await this.read(location);
  }

  private async read(location: { uri: vscode.Uri; workspaceFile: boolean }): Promise<void> {
    this.parsed.clear();
    try {
      const bytes = await vscode.workspace.fs.readFile(location.uri);
      if (!this.trusted) this.text = { source: new TextDecoder().decode(bytes), workspaceFile: location.workspaceFile };
    } catch {
      this.text = undefined;
    }
  }
}

import * as vscode from 'vscode';
import { locateBindingError, locateSchemaError, type LocatedProblem } from '../shared/decoderFiles';
import { Disposable, Emitter } from '../shared/dispose';
import { SETTINGS_SECTION } from '../shared/settings';
import type { EngineClient } from './engine/engineClient';
import { workspaceSettingsFile } from './workspaceTrust';
import { readText } from './workspaceText';

const DEFAULT_DEBOUNCE_MS = 300;
/** A settings file larger than this is not read to place the setting's problems (they go to a notification). */
const MAX_SETTINGS_FILE_BYTES = 4 * 1024 * 1024;

/** The workspace files read for one set. */
export interface CatalogFiles {
  /** Texts by workspace-relative path: what the engine gets. */
  texts: Record<string, string>;
  /** Every file found, by the path it is named with, to put its problems on. */
  uris: Map<string, vscode.Uri>;
  /** False in Restricted Mode: the folder's files were not looked at. */
  read: boolean;
}

/** One set as sent to the engine. */
export interface CatalogSet<TBinding, TFiles extends CatalogFiles> {
  value: unknown;
  bindings: TBinding[];
  files: TFiles;
  /** The settings file that holds the value, when the folder's settings do (to place its problems). */
  settingsFile?: { uri: vscode.Uri; text: string; workspaceFile: boolean };
}

/** What a set's problems are, in the order the log lists them. */
export interface CatalogProblems {
  /** Problems of one file: placed on it. */
  files: { file: string; error: string }[];
  /** Problems of the setting (its entries, the files as a whole): placed on the settings file, else in a notification. */
  setting: string[];
  /** Logged, and placed when they can be, but never a notification (a state the user chose, like Restricted Mode). */
  quiet?: string[];
}

export interface CatalogOptions {
  /** Quiet time after a change of the setting or of a file before the set is sent again. */
  debounceMs?: number;
}

/** What a catalog is called: its setting, and the words its log lines and notifications start with. */
export interface CatalogNames {
  /** The full setting name ("mqttExplorer.decoders"). */
  setting: string;
  /** "Decoders": log lines start with it. */
  label: string;
  /** "MQTT decoders": notifications start with it. */
  notice: string;
}

/**
 * The host side of a setting that binds topic filters to workspace files (mqttExplorer.decoders,
 * mqttExplorer.schemas): the setting and its files sent to the engine whenever either changes
 * (debounced) and again after an engine restart; the engine's answer shown where a user looks: a
 * file's problem on that file, a binding's on the settings file that holds it (else one
 * notification per distinct set), all of them in the log. Problems clear when fixed.
 *
 * Restricted Mode: only the user's own value of the setting counts (VS Code withholds the folder's,
 * as for every restricted setting), and the subclass reads no file of the folder.
 *
 * A subclass reads its files (`readFiles`), sends the set (`request`) and says what its problems are;
 * it calls `start()` at the end of its constructor.
 */
export abstract class SettingFilesCatalog<TBinding, TFiles extends CatalogFiles, TResult> extends Disposable {
  private readonly changeEmitter = this.register(new Emitter<void>());
  /** The engine answered a new set: `bindings` and `lastSet` may have changed. */
  readonly onDidChange = this.changeEmitter.event;
  private readonly diagnostics: vscode.DiagnosticCollection;
  private readonly debounceMs: number;
  private readonly key: string;
  private timer: NodeJS.Timeout | undefined;
  /** Reloads, sends and a pending timer: ready() waits until none is left. */
  private busy = 0;
  private waiters: (() => void)[] = [];
  /** Increases with each reload: an older one that is still reading gives up. */
  private generation = 0;
  protected sent: CatalogSet<TBinding, TFiles> | undefined;
  /** Counts sends: only the answer to the last one is shown. */
  private sends = 0;
  protected answered: { set: CatalogSet<TBinding, TFiles>; result: TResult } | undefined;
  /** The problems last logged, and those last shown in a notification, to say each distinct set once. */
  private loggedKey = '';
  private notifiedKey = '';

  constructor(
    protected readonly engine: EngineClient,
    protected readonly log: vscode.LogOutputChannel,
    protected readonly names: CatalogNames,
    options: CatalogOptions = {},
  ) {
    super();
    this.key = names.setting.slice(SETTINGS_SECTION.length + 1);
    this.debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    this.diagnostics = this.register(vscode.languages.createDiagnosticCollection(names.setting));
    // A fresh worker knows nothing of the set: the newest again, at once (the caller registers this
    // before the connection registry's own listener, so it is there before anything reconnects).
    this.register(
      engine.onDidRestart(() => {
        if (this.sent) this.track(this.send(this.sent));
      }),
    );
    this.register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration(names.setting)) this.schedule();
      }),
    );
    this.register(vscode.workspace.onDidChangeWorkspaceFolders(() => this.schedule()));
    // Saving the settings file can move the setting's lines without changing its value.
    this.register(
      vscode.workspace.onDidSaveTextDocument((document) => {
        const uri = document.uri.toString();
        if (this.sent?.settingsFile?.uri.toString() === uri || [...(this.sent?.files.uris.values() ?? [])].some((file) => file.toString() === uri)) this.schedule();
      }),
    );
    this.register(
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.trustGranted();
        this.schedule();
      }),
    );
    this.register({
      dispose: () => {
        clearTimeout(this.timer);
        // Nobody waits forever on a catalog that is gone.
        for (const resolve of this.waiters.splice(0)) resolve();
      },
    });
  }

  /** Reads the files of the setting's value (the folder is trusted); `stale`: a newer reload started, give up. */
  protected abstract readFiles(value: unknown, stale: () => boolean): Promise<TFiles>;
  /** The files of a set in Restricted Mode: none read. */
  protected abstract noFiles(): TFiles;
  protected abstract bindingsOf(value: unknown): TBinding[];
  protected abstract request(set: CatalogSet<TBinding, TFiles>): Promise<TResult>;
  protected abstract problems(set: CatalogSet<TBinding, TFiles>, result: TResult): CatalogProblems;
  /** The log's line for a set ("Decoders: 2 bindings, …; 0 problems."). */
  protected abstract summary(set: CatalogSet<TBinding, TFiles>, result: TResult, problems: number): string;
  /** The folder became trusted (before the reload that follows). */
  protected trustGranted(): void {}
  /** A trusted set's files were read (before it is sent). */
  protected filesRead(_files: TFiles): void {}

  /** Loads the set for the first time: the subclass's last step of construction. */
  protected start(): void {
    this.track(this.reload());
  }

  /** The bindings of the set sent last (the setting's valid entries, in order). */
  get bindings(): readonly TBinding[] {
    return this.sent?.bindings ?? [];
  }

  /** The engine's answer to the newest set it answered. */
  get lastSet(): TResult | undefined {
    return this.answered?.result;
  }

  /** Resolves once the newest setting and files have been sent and answered (at once when nothing is pending). */
  ready(): Promise<void> {
    return this.busy === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }

  private track(work: Promise<void>): void {
    this.busy++;
    void work.finally(() => {
      this.busy--;
      this.settle();
    });
  }

  private settle(): void {
    if (this.busy === 0) for (const resolve of this.waiters.splice(0)) resolve();
  }

  /** Sends the set again after `delayMs` of quiet. */
  protected schedule(delayMs = this.debounceMs): void {
    if (this.isDisposed) return;
    if (this.timer) clearTimeout(this.timer);
    else this.busy++;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.track(this.reload());
      this.busy--;
      this.settle();
    }, delayMs);
  }

  private async reload(): Promise<void> {
    const generation = ++this.generation;
    try {
      const trusted = vscode.workspace.isTrusted;
      const configuration = vscode.workspace.getConfiguration(SETTINGS_SECTION);
      const inspected = configuration.inspect<unknown>(this.key);
      // Restricted Mode: the user's own value only, whatever VS Code's filters make of the folder's.
      const value = trusted ? configuration.get<unknown>(this.key) : inspected?.globalValue;
      const files = trusted ? await this.readFiles(value, () => generation !== this.generation) : this.noFiles();
      const location = trusted && inspected?.workspaceValue !== undefined ? workspaceSettingsFile() : undefined;
      const settingsText = location ? await readText(location.uri, MAX_SETTINGS_FILE_BYTES).catch(() => undefined) : undefined;
      if (generation !== this.generation || this.isDisposed) return;
      const set: CatalogSet<TBinding, TFiles> = { value, bindings: this.bindingsOf(value), files };
      if (location && settingsText !== undefined) set.settingsFile = { uri: location.uri, text: settingsText, workspaceFile: location.workspaceFile };
      if (trusted) this.filesRead(files);
      await this.send(set);
    } catch (error) {
      this.log.error(`${this.names.label}: the setting and its files could not be loaded: ${messageOf(error)}`);
    }
  }

  private async send(set: CatalogSet<TBinding, TFiles>): Promise<void> {
    this.sent = set;
    const sending = ++this.sends;
    let result: TResult;
    try {
      result = await this.request(set);
    } catch (error) {
      // A worker that died meanwhile got the set again at its restart (a later send).
      if (sending === this.sends && !this.isDisposed) this.log.warn(`${this.names.label}: not sent to the engine: ${messageOf(error)}`);
      return;
    }
    if (sending !== this.sends || this.isDisposed) return;
    this.answered = { set, result };
    this.show(set, result);
    this.changeEmitter.fire();
  }

  /** The engine's answer where a user looks: diagnostics on the files, a notification for the rest, all in the log. */
  private show(set: CatalogSet<TBinding, TFiles>, result: TResult): void {
    const { setting, label, notice } = this.names;
    const byFile = new Map<string, { uri: vscode.Uri; diagnostics: vscode.Diagnostic[] }>();
    const place = (uri: vscode.Uri, problem: LocatedProblem) => {
      const diagnostic = new vscode.Diagnostic(new vscode.Range(problem.start.line, problem.start.character, problem.end.line, problem.end.character), problem.message, vscode.DiagnosticSeverity.Error);
      diagnostic.source = 'MQTT Explorer';
      const entry = byFile.get(uri.toString()) ?? { uri, diagnostics: [] };
      entry.diagnostics.push(diagnostic);
      byFile.set(uri.toString(), entry);
    };
    const problems = this.problems(set, result);
    const all: string[] = [];
    const unplaced: string[] = [];
    for (const { file, error } of problems.files) {
      all.push(error);
      const uri = set.files.uris.get(file);
      if (uri) place(uri, locateSchemaError(file, error, set.files.texts[file]));
      else unplaced.push(error);
    }
    const quiet = new Set(problems.quiet ?? []);
    for (const error of [...problems.setting, ...quiet]) {
      all.push(error);
      const located = set.settingsFile && error.startsWith(setting) ? locateBindingError(set.settingsFile.text, error, { workspaceFile: set.settingsFile.workspaceFile, setting }) : undefined;
      if (located && set.settingsFile) place(set.settingsFile.uri, located);
      else if (!quiet.has(error)) unplaced.push(error);
    }
    this.diagnostics.clear();
    for (const { uri, diagnostics } of byFile.values()) this.diagnostics.set(uri, diagnostics);

    const summary = this.summary(set, result, all.length);
    const loggedKey = JSON.stringify([summary, all]);
    if (loggedKey !== this.loggedKey) {
      this.loggedKey = loggedKey;
      this.log.info(summary);
      for (const error of all) this.log.warn(`${label}: ${error}`);
    }
    const notifiedKey = JSON.stringify(unplaced);
    if (notifiedKey !== this.notifiedKey) {
      this.notifiedKey = notifiedKey;
      if (unplaced.length) {
        const openSettings = vscode.l10n.t('Open Settings');
        const showLog = vscode.l10n.t('Show Log');
        const message = unplaced.length > 1 ? vscode.l10n.t('{0}: {1} (and {2} more in the log)', notice, unplaced[0], unplaced.length - 1) : `${notice}: ${unplaced[0]}`;
        void vscode.window.showWarningMessage(message, openSettings, showLog).then((choice) => {
          if (choice === openSettings) void vscode.commands.executeCommand('workbench.action.openSettings', setting);
          else if (choice === showLog) this.log.show();
        });
      }
    }
  }
}

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** "2 bindings", "1 binding". */
export const plural = (count: number, what: string): string => `${count} ${what}${count === 1 ? '' : 's'}`;

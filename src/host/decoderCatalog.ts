import { BoundedFileError, readBoundedFile } from '../worker/boundedFile';
import { isDeepStrictEqual } from 'node:util';
import * as vscode from 'vscode';
import { readDecoderBindings, type DecoderBinding } from '../shared/decoderBindings';
import {
  bindingReferenceErrors,
  DECODERS_SETTING,
  locateBindingError,
  locateSchemaError,
  MAX_SCHEMA_FILE_BYTES,
  MAX_SCHEMA_FILES,
  MAX_SCHEMA_TOTAL_BYTES,
  withBindingFirst,
  type LocatedProblem,
} from '../shared/decoderFiles';
import { Disposable, Emitter } from '../shared/dispose';
import type { DecodersSet } from '../shared/engineProtocol';
import { formatBytes } from '../shared/format';
import { SETTINGS_SECTION } from '../shared/settings';
import type { EngineClient } from './engine/engineClient';
import { workspaceSettingsFile } from './workspaceTrust';

/** Where "Decode As…" writes a binding: the folder's settings (shared with the team) or the user's. */
export type BindingTarget = 'workspace' | 'user';

export interface DecoderCatalogOptions {
  /** Quiet time after a change of the setting or of a schema file before the set is sent again. */
  debounceMs?: number;
}

const SCHEMA_GLOB = '**/*.{proto,avsc}';
const SCHEMA_EXCLUDE = '**/{node_modules,.git}/**';
const DEFAULT_DEBOUNCE_MS = 300;
/** A settings file larger than this is not read to place the setting's problems (they go to a notification). */
const MAX_SETTINGS_FILE_BYTES = 4 * 1024 * 1024;
/** How long addBinding waits for VS Code to hand the written value back. */
const SETTING_ARRIVES_MS = 5000;
const KEY = DECODERS_SETTING.slice(SETTINGS_SECTION.length + 1);

/** The workspace's schema files as read for one set. */
interface SchemaFiles {
  /** Texts by workspace-relative path: what the engine gets. */
  texts: Record<string, string>;
  /** Every file found, by the path it is named with, to put its problems on. */
  uris: Map<string, vscode.Uri>;
  /** Files not read (too big, not a regular file, unreadable), one sentence each. */
  problems: { file: string; error: string }[];
  /** Problems of the files as a whole (too many, too big together). */
  errors: string[];
  /** False in Restricted Mode: the folder's files were not looked at. */
  read: boolean;
}

/** One set as sent to the engine. */
interface SentSet {
  value: unknown;
  bindings: DecoderBinding[];
  files: SchemaFiles;
  /** The settings file that holds the value, when the folder's settings do (to place its problems). */
  settingsFile?: { uri: vscode.Uri; text: string; workspaceFile: boolean };
}

const NO_FILES = (read: boolean): SchemaFiles => ({ texts: {}, uris: new Map(), problems: [], errors: [], read });
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The decoders' host side: the `mqttExplorer.decoders` setting and the workspace's `.proto` and
 * `.avsc` files, sent to the engine (`setDecoders`) whenever either changes (debounced) and again
 * after an engine restart; the engine's answer shown where a user looks: a schema file's problems on
 * that file, a binding's problems on the settings file that holds it (else a notification), all of
 * them in the log. Problems clear when fixed.
 *
 * Restricted Mode: the folder's schema files are not read (not even found), and only the user's
 * own value of the setting counts (VS Code withholds the folder's, as for every restricted
 * setting); trusting the folder loads them.
 *
 * Multi-root workspaces: every folder's files are read, each named with its folder's name first
 * ("backend/proto/sensors.proto", as VS Code's asRelativePath names them), so a binding's `schema`
 * names the folder too; with one folder the path is relative to it.
 */
export class DecoderCatalog extends Disposable {
  private readonly changeEmitter = this.register(new Emitter<void>());
  /** The engine answered a new set: `bindings`, `messageTypes` and `lastSet` may have changed. */
  readonly onDidChange = this.changeEmitter.event;
  private readonly diagnostics = this.register(vscode.languages.createDiagnosticCollection('mqttExplorer.decoders'));
  private readonly debounceMs: number;
  private watcher: vscode.FileSystemWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Reloads, sends and a pending timer: ready() waits until none is left. */
  private busy = 0;
  private waiters: (() => void)[] = [];
  /** Increases with each reload: an older one that is still reading gives up. */
  private generation = 0;
  private sent: SentSet | undefined;
  /** Counts sends: only the answer to the last one is shown. */
  private sends = 0;
  private answered: { set: SentSet; result: DecodersSet } | undefined;
  /** The problems last logged, and those last shown in a notification, to say each distinct set once. */
  private loggedKey = '';
  private notifiedKey = '';
  private writing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly engine: EngineClient,
    private readonly log: vscode.LogOutputChannel,
    options: DecoderCatalogOptions = {},
  ) {
    super();
    this.debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    // A fresh worker knows no decoders: the newest set again, at once (the caller registers this
    // before the connection registry's own listener, so it is there before anything reconnects).
    this.register(
      engine.onDidRestart(() => {
        if (this.sent) this.track(this.send(this.sent));
      }),
    );
    this.register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration(DECODERS_SETTING)) this.schedule();
      }),
    );
    this.register(vscode.workspace.onDidChangeWorkspaceFolders(() => this.schedule()));
    // Saving the settings file can move the setting's lines without changing its value.
    this.register(
      vscode.workspace.onDidSaveTextDocument((document) => {
        if (this.sent?.settingsFile && document.uri.toString() === this.sent.settingsFile.uri.toString()) this.schedule();
      }),
    );
    this.register(
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.watch();
        this.schedule();
      }),
    );
    this.register({
      dispose: () => {
        clearTimeout(this.timer);
        this.watcher?.dispose();
        // Nobody waits forever on a catalog that is gone.
        for (const resolve of this.waiters.splice(0)) resolve();
      },
    });
    this.watch();
    this.track(this.reload());
  }

  /** The bindings of the set sent last (readDecoderBindings of the setting: the valid entries, in order). */
  get bindings(): readonly DecoderBinding[] {
    return this.sent?.bindings ?? [];
  }

  /** Full names of the Protobuf message types the engine loaded, in name order (for a "Decode As…" picker). */
  get messageTypes(): readonly string[] {
    return this.answered?.result.messageTypes ?? [];
  }

  /** The schema files sent with that set (workspace-relative paths, in name order): the .avsc files an Avro binding can name. */
  get schemaFiles(): readonly string[] {
    return Object.keys(this.answered?.set.files.texts ?? {});
  }

  /** The engine's answer to the newest set it answered. */
  get lastSet(): DecodersSet | undefined {
    return this.answered?.result;
  }

  /** Whether addBinding can write to the folder's settings: a folder is open and trusted. */
  get canWriteWorkspace(): boolean {
    return (vscode.workspace.workspaceFolders?.length ?? 0) > 0 && vscode.workspace.isTrusted;
  }

  /** Resolves once the newest setting and files have been sent and answered (at once when nothing is pending). */
  ready(): Promise<void> {
    return this.busy === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Writes `binding` to the front of the setting's list at `target` (the first binding that matches a
   * topic wins), replacing an entry for the same topic filter there, and resolves once the engine has
   * the new set. Throws (a sentence for the user) when the binding is not valid, when `target` is
   * 'workspace' with no trusted folder open, when the list there is not a list, or when it would
   * hold more than MAX_DECODER_BINDINGS. `effective` is false for a user binding while the folder's
   * settings set the list: VS Code then uses the folder's list, which replaces the user's.
   */
  addBinding(binding: DecoderBinding, target: BindingTarget): Promise<{ effective: boolean }> {
    const write = this.writing.then(() => this.write(binding, target));
    this.writing = write.catch(() => undefined);
    return write;
  }

  private async write(binding: DecoderBinding, target: BindingTarget): Promise<{ effective: boolean }> {
    if (target === 'workspace' && !this.canWriteWorkspace) {
      throw new Error(vscode.workspace.workspaceFolders?.length ? 'The folder is not trusted: its settings cannot take a decoder binding. Add it to your user settings, or trust the folder.' : 'No folder is open: add the decoder binding to your user settings.');
    }
    const configuration = () => vscode.workspace.getConfiguration(SETTINGS_SECTION);
    const valueAt = () => {
      const inspected = configuration().inspect<unknown>(KEY);
      return target === 'workspace' ? inspected?.workspaceValue : inspected?.globalValue;
    };
    const next = withBindingFirst(valueAt(), binding);
    const arrived = this.settingArrives(() => isDeepStrictEqual(valueAt(), next));
    await configuration().update(KEY, next, target === 'workspace' ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);
    await arrived;
    this.schedule(0);
    await this.ready();
    return { effective: target === 'workspace' || !vscode.workspace.isTrusted || configuration().inspect<unknown>(KEY)?.workspaceValue === undefined };
  }

  /** Resolves when `holds` is true: at once, at a configuration change, or after SETTING_ARRIVES_MS whatever it says. */
  private settingArrives(holds: () => boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        listener.dispose();
        resolve();
      };
      const timer = setTimeout(done, SETTING_ARRIVES_MS);
      const listener = vscode.workspace.onDidChangeConfiguration(() => {
        if (holds()) done();
      });
      if (holds()) done();
    });
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
  private schedule(delayMs = this.debounceMs): void {
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

  /** Watches the folders' schema files, once trusted (an untrusted folder's files are not read). */
  private watch(): void {
    if (this.watcher || !vscode.workspace.isTrusted || this.isDisposed) return;
    this.watcher = vscode.workspace.createFileSystemWatcher(SCHEMA_GLOB);
    const changed = (uri: vscode.Uri) => {
      if (!/\/(?:node_modules|\.git)\//.test(uri.path)) this.schedule();
    };
    this.watcher.onDidCreate(changed);
    this.watcher.onDidChange(changed);
    this.watcher.onDidDelete(changed);
  }

  private async reload(): Promise<void> {
    const generation = ++this.generation;
    try {
      const trusted = vscode.workspace.isTrusted;
      const inspected = vscode.workspace.getConfiguration(SETTINGS_SECTION).inspect<unknown>(KEY);
      // Restricted Mode: the user's own value only, whatever VS Code's filters make of the folder's.
      const value = trusted ? vscode.workspace.getConfiguration(SETTINGS_SECTION).get<unknown>(KEY) : inspected?.globalValue;
      const files = trusted ? await this.readSchemaFiles(() => generation !== this.generation) : NO_FILES(false);
      const location = trusted && inspected?.workspaceValue !== undefined ? workspaceSettingsFile() : undefined;
      const settingsText = location ? await readText(location.uri, MAX_SETTINGS_FILE_BYTES).catch(() => undefined) : undefined;
      if (generation !== this.generation || this.isDisposed) return;
      const set: SentSet = { value, bindings: readDecoderBindings(value).bindings, files };
      if (location && settingsText !== undefined) set.settingsFile = { uri: location.uri, text: settingsText, workspaceFile: location.workspaceFile };
      await this.send(set);
    } catch (error) {
      this.log.error(`Decoders: the setting and schema files could not be loaded: ${messageOf(error)}`);
    }
  }

  private async send(set: SentSet): Promise<void> {
    this.sent = set;
    const sending = ++this.sends;
    let result: DecodersSet;
    try {
      result = await this.engine.request('setDecoders', { bindings: set.value, files: set.files.texts });
    } catch (error) {
      // A worker that died meanwhile got the set again at its restart (a later send).
      if (sending === this.sends && !this.isDisposed) this.log.warn(`Decoders: not sent to the engine: ${messageOf(error)}`);
      return;
    }
    if (sending !== this.sends || this.isDisposed) return;
    this.answered = { set, result };
    this.show(set, result);
    this.changeEmitter.fire();
  }

  /** Finds and reads the workspace's schema files within the engine's caps; `stale`: a newer reload started. */
  private async readSchemaFiles(stale: () => boolean): Promise<SchemaFiles> {
    const files = NO_FILES(true);
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (!folders.length) return files;
    const found = await vscode.workspace.findFiles(SCHEMA_GLOB, SCHEMA_EXCLUDE, MAX_SCHEMA_FILES + 1);
    if (found.length > MAX_SCHEMA_FILES) {
      files.errors.push(`schema files: more than ${MAX_SCHEMA_FILES} .proto and .avsc files in the workspace (outside node_modules and .git), the most that are read: none loaded`);
      return files;
    }
    const named = found
      .map((uri) => ({ uri, path: vscode.workspace.asRelativePath(uri, folders.length > 1).replace(/\\/g, '/') }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    let total = 0;
    for (const { uri, path } of named) {
      if (stale()) return files;
      if (files.uris.has(path)) {
        // Two folders of the same name in one workspace.
        files.problems.push({ file: path, error: `${path}: another file of the workspace has the same name: not loaded` });
        continue;
      }
      let stat: vscode.FileStat;
      try {
        stat = await vscode.workspace.fs.stat(uri);
      } catch {
        continue; // Deleted since it was found: the watcher brings another reload.
      }
      files.uris.set(path, uri);
      if (!(stat.type & vscode.FileType.File)) {
        files.problems.push({ file: path, error: `${path}: not a regular file: not loaded` });
        continue;
      }
      if (stat.size > MAX_SCHEMA_FILE_BYTES) {
        files.problems.push({ file: path, error: `${path}: ${formatBytes(stat.size)}, more than the ${formatBytes(MAX_SCHEMA_FILE_BYTES)} a schema file may have: not loaded` });
        continue;
      }
      let text: string;
      try {
        text = await readText(uri, MAX_SCHEMA_FILE_BYTES);
      } catch (error) {
        files.problems.push({ file: path, error: `${path}: ${messageOf(error)}: not loaded` });
        continue;
      }
      total += Buffer.byteLength(text, 'utf8');
      if (total > MAX_SCHEMA_TOTAL_BYTES) {
        files.errors.push(`schema files: more than ${formatBytes(MAX_SCHEMA_TOTAL_BYTES)} of .proto and .avsc files together, the most that are read: none loaded`);
        files.texts = {};
        return files;
      }
      files.texts[path] = text;
    }
    return files;
  }

  /** The engine's answer where a user looks: diagnostics on the files, a notification for the rest, all in the log. */
  private show(set: SentSet, result: DecodersSet): void {
    const byFile = new Map<string, vscode.Diagnostic[]>();
    const uris = new Map<string, vscode.Uri>();
    const place = (uri: vscode.Uri, problem: LocatedProblem) => {
      const key = uri.toString();
      uris.set(key, uri);
      const diagnostic = new vscode.Diagnostic(
        new vscode.Range(problem.start.line, problem.start.character, problem.end.line, problem.end.character),
        problem.message,
        vscode.DiagnosticSeverity.Error,
      );
      diagnostic.source = 'MQTT Explorer';
      byFile.set(key, [...(byFile.get(key) ?? []), diagnostic]);
    };
    const unplaced: string[] = [];
    const all: string[] = [];
    for (const { file, error } of [...set.files.problems, ...result.schemaErrors]) {
      all.push(error);
      const uri = set.files.uris.get(file);
      if (uri) place(uri, locateSchemaError(file, error, set.files.texts[file]));
      else unplaced.push(error);
    }
    // The files' caps explain a missing type better than one error per binding.
    const references = set.files.errors.length
      ? []
      : bindingReferenceErrors(set.value, { files: new Set(set.files.uris.keys()), messageTypes: new Set(result.messageTypes), filesRead: set.files.read });
    for (const error of [...set.files.errors, ...result.errors, ...references]) {
      all.push(error);
      const located = set.settingsFile && error.startsWith(DECODERS_SETTING) ? locateBindingError(set.settingsFile.text, error, { workspaceFile: set.settingsFile.workspaceFile }) : undefined;
      if (located && set.settingsFile) place(set.settingsFile.uri, located);
      else unplaced.push(error);
    }
    this.diagnostics.clear();
    for (const [key, diagnostics] of byFile) this.diagnostics.set(uris.get(key) as vscode.Uri, diagnostics);

    const files = Object.keys(set.files.texts).length;
    const plural = (count: number, what: string) => `${count} ${what}${count === 1 ? '' : 's'}`;
    const summary = `Decoders: ${plural(set.bindings.length, 'binding')}, ${plural(files, 'schema file')}${set.files.read ? '' : " (Restricted Mode: the folder's files are not read)"}, ${plural(result.messageTypes.length, 'Protobuf message type')}; ${plural(all.length, 'problem')}.`;
    const loggedKey = JSON.stringify([summary, all]);
    if (loggedKey !== this.loggedKey) {
      this.loggedKey = loggedKey;
      this.log.info(summary);
      for (const error of all) this.log.warn(`Decoders: ${error}`);
    }
    const notifiedKey = JSON.stringify(unplaced);
    if (notifiedKey !== this.notifiedKey) {
      this.notifiedKey = notifiedKey;
      if (unplaced.length) {
        const more = unplaced.length > 1 ? ` (and ${unplaced.length - 1} more in the log)` : '';
        void vscode.window.showWarningMessage(`MQTT decoders: ${unplaced[0]}${more}`, 'Open Settings', 'Show Log').then((choice) => {
          if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', DECODERS_SETTING);
          else if (choice === 'Show Log') this.log.show();
        });
      }
    }
  }
}

/**
 * A file's text, never reading more than `maxBytes` (plus one, to tell a file that grew): on this
 * machine's disk through the one bounded reader (src/worker/boundedFile.ts: a named pipe does not wait),
 * elsewhere (a virtual workspace) through VS Code's file system after the caller's stat.
 */
export async function readText(uri: vscode.Uri, maxBytes: number): Promise<string> {
  const tooBig = (size: number) => new Error(`${formatBytes(size)}, more than the ${formatBytes(maxBytes)} read`);
  if (uri.scheme !== 'file') {
    const bytes = await vscode.workspace.fs.readFile(uri);
    if (bytes.length > maxBytes) throw tooBig(bytes.length);
    return new TextDecoder().decode(bytes);
  }
  try {
    return new TextDecoder().decode(await readBoundedFile(uri.fsPath, maxBytes));
  } catch (error) {
    if (!(error instanceof BoundedFileError)) throw error;
    // Callers write "path: reason": "not a regular file (a named pipe)".
    throw error.size !== undefined ? tooBig(error.size) : new Error(error.reason.replace(/^is /, ''));
  }
}

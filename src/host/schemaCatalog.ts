import * as vscode from 'vscode';
import { locateBindingError, locateSchemaError, type LocatedProblem } from '../shared/decoderFiles';
import { Disposable, Emitter } from '../shared/dispose';
import type { SchemasSet } from '../shared/engineProtocol';
import { formatBytes } from '../shared/format';
import { MAX_SCHEMA_BINDINGS, MAX_JSON_SCHEMA_FILE_BYTES, MAX_JSON_SCHEMA_TOTAL_BYTES, readSchemaBindings, schemaBindingFor, SCHEMAS_SETTING, type SchemaBinding } from '../shared/schemaBindings';
import { SETTINGS_SECTION } from '../shared/settings';
import { readText } from './decoderCatalog';
import type { EngineClient } from './engine/engineClient';
import { workspaceSettingsFile } from './workspaceTrust';

const DEFAULT_DEBOUNCE_MS = 300;
/** A settings file larger than this is not read to place the setting's problems (they go to a notification). */
const MAX_SETTINGS_FILE_BYTES = 4 * 1024 * 1024;
const KEY = SCHEMAS_SETTING.slice(SETTINGS_SECTION.length + 1);

/** The bound schema files as read for one set. */
interface SchemaFiles {
  texts: Record<string, string>;
  /** The files found, by the path the setting names them with, to put their problems on. */
  uris: Map<string, vscode.Uri>;
  /** Problems of the bindings' files (missing, too big, unreadable), by the binding's index: they go on the setting's entry. */
  errors: string[];
  /** False in Restricted Mode: the folder's files were not looked at. */
  read: boolean;
  /** Every bound file's place, found or not: a file created later loads when it appears. */
  watch: vscode.Uri[];
}

interface SentSet {
  value: unknown;
  bindings: SchemaBinding[];
  files: SchemaFiles;
  settingsFile?: { uri: vscode.Uri; text: string; workspaceFile: boolean };
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The JSON Schemas' host side: the `mqttExplorer.schemas` setting and the schema files it names,
 * sent to the engine (`setSchemas`) when either changes (debounced: a save of a bound file, the
 * setting) and again after an engine restart; the engine's answer shown where a user looks: a
 * schema's problem on its file, a binding's on the settings file that holds it (else a
 * notification), all of them in the log. Modelled on DecoderCatalog; only the bound files are read
 * (no search of the workspace), at most one per binding.
 *
 * Restricted Mode: the setting is restricted (only the user's value counts) and no file of the
 * folder is read until the folder is trusted.
 */
export class SchemaCatalog extends Disposable {
  private readonly changeEmitter = this.register(new Emitter<void>());
  /** The engine has a new set (the marks and counts started over). */
  readonly onDidChange = this.changeEmitter.event;
  private readonly diagnostics = this.register(vscode.languages.createDiagnosticCollection('mqttExplorer.schemas'));
  private readonly debounceMs: number;
  private watchers: vscode.FileSystemWatcher[] = [];
  private watched = '';
  private timer: NodeJS.Timeout | undefined;
  private busy = 0;
  private waiters: (() => void)[] = [];
  private generation = 0;
  private sent: SentSet | undefined;
  private sends = 0;
  private answered: { set: SentSet; result: SchemasSet } | undefined;
  private loggedKey = '';
  private notifiedKey = '';

  constructor(
    private readonly engine: EngineClient,
    private readonly log: vscode.LogOutputChannel,
    options: { debounceMs?: number } = {},
  ) {
    super();
    this.debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    this.register(
      engine.onDidRestart(() => {
        if (this.sent) this.track(this.send(this.sent));
      }),
    );
    this.register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration(SCHEMAS_SETTING)) this.schedule();
      }),
    );
    this.register(vscode.workspace.onDidChangeWorkspaceFolders(() => this.schedule()));
    this.register(
      vscode.workspace.onDidSaveTextDocument((document) => {
        const uri = document.uri.toString();
        if (this.sent?.settingsFile?.uri.toString() === uri || [...(this.sent?.files.uris.values() ?? [])].some((file) => file.toString() === uri)) this.schedule();
      }),
    );
    this.register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.schedule()));
    this.register({
      dispose: () => {
        clearTimeout(this.timer);
        for (const watcher of this.watchers) watcher.dispose();
        for (const resolve of this.waiters.splice(0)) resolve();
      },
    });
    this.track(this.reload());
  }

  /** The bindings of the set sent last. */
  get bindings(): readonly SchemaBinding[] {
    return this.sent?.bindings ?? [];
  }

  /** The binding that checks `topic` (the first whose filter matches), if any. */
  bindingFor(topic: string): SchemaBinding | undefined {
    return schemaBindingFor(topic, this.bindings);
  }

  /** The engine's answer to the newest set it answered. */
  get lastSet(): SchemasSet | undefined {
    return this.answered?.result;
  }

  /** Resolves once the newest setting and files have been sent and answered. */
  ready(): Promise<void> {
    return this.busy === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }

  private track(work: Promise<void>): void {
    this.busy++;
    void work.finally(() => {
      this.busy--;
      if (this.busy === 0) for (const resolve of this.waiters.splice(0)) resolve();
    });
  }

  private schedule(delayMs = this.debounceMs): void {
    if (this.isDisposed) return;
    if (this.timer) clearTimeout(this.timer);
    else this.busy++;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.track(this.reload());
      this.busy--;
    }, delayMs);
  }

  /** Watches the bound files (created, changed, deleted): a change outside the editor reloads too. */
  private watch(files: SchemaFiles): void {
    const key = files.watch.map((uri) => uri.toString()).join('\n');
    if (key === this.watched) return;
    this.watched = key;
    for (const watcher of this.watchers) watcher.dispose();
    this.watchers = files.watch.map((uri) => {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.joinPath(uri, '..'), uri.path.slice(uri.path.lastIndexOf('/') + 1)));
      const changed = () => this.schedule();
      watcher.onDidCreate(changed);
      watcher.onDidChange(changed);
      watcher.onDidDelete(changed);
      return watcher;
    });
  }

  private async reload(): Promise<void> {
    const generation = ++this.generation;
    try {
      const trusted = vscode.workspace.isTrusted;
      const configuration = vscode.workspace.getConfiguration(SETTINGS_SECTION);
      const inspected = configuration.inspect<unknown>(KEY);
      // Restricted Mode: the user's own value only, whatever VS Code's filters make of the folder's.
      const value = trusted ? configuration.get<unknown>(KEY) : inspected?.globalValue;
      const bindings = readSchemaBindings(value).bindings;
      const files = trusted ? await this.readFiles(value) : { texts: {}, uris: new Map<string, vscode.Uri>(), errors: [], read: false, watch: [] };
      const location = trusted && inspected?.workspaceValue !== undefined ? workspaceSettingsFile() : undefined;
      const settingsText = location ? await readText(location.uri, MAX_SETTINGS_FILE_BYTES).catch(() => undefined) : undefined;
      if (generation !== this.generation || this.isDisposed) return;
      const set: SentSet = { value, bindings, files };
      if (location && settingsText !== undefined) set.settingsFile = { uri: location.uri, text: settingsText, workspaceFile: location.workspaceFile };
      if (trusted) this.watch(files);
      await this.send(set);
    } catch (error) {
      this.log.error(`JSON Schemas: the setting and schema files could not be loaded: ${messageOf(error)}`);
    }
  }

  /** Where a binding's path leads: below the only folder, or (several folders) below the folder its first segment names. */
  private resolve(path: string): vscode.Uri | string {
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (!folders.length) return 'no folder is open to read it from';
    if (folders.length === 1) return vscode.Uri.joinPath(folders[0].uri, ...path.split('/'));
    const [first, ...rest] = path.split('/');
    const folder = folders.find((candidate) => candidate.name === first);
    return folder && rest.length ? vscode.Uri.joinPath(folder.uri, ...rest) : `in a workspace of several folders, the path starts with a folder's name (${folders.map((candidate) => candidate.name).join(', ')})`;
  }

  /** Reads the files the bindings name, within the caps; a problem is reported on the first binding that names the file. */
  private async readFiles(value: unknown): Promise<SchemaFiles> {
    const files: SchemaFiles = { texts: {}, uris: new Map(), errors: [], read: true, watch: [] };
    if (!Array.isArray(value)) return files;
    let total = 0;
    const seen = new Set<string>();
    for (let index = 0; index < Math.min(value.length, MAX_SCHEMA_BINDINGS); index++) {
      // Each entry alone: an entry with a problem is reported by the engine, and names no file to read.
      const binding = readSchemaBindings([value[index]]).bindings[0];
      if (!binding || seen.has(binding.schema)) continue;
      seen.add(binding.schema);
      const at = `${SCHEMAS_SETTING}[${index}].schema`;
      const uri = this.resolve(binding.schema);
      if (typeof uri === 'string') {
        files.errors.push(`${at}: ${binding.schema}: ${uri}`);
        continue;
      }
      files.watch.push(uri);
      let stat: vscode.FileStat;
      try {
        stat = await vscode.workspace.fs.stat(uri);
      } catch {
        files.errors.push(`${at}: ${binding.schema} was not found in the workspace`);
        continue;
      }
      files.uris.set(binding.schema, uri);
      if (!(stat.type & vscode.FileType.File)) {
        files.errors.push(`${at}: ${binding.schema} is not a regular file`);
        continue;
      }
      if (stat.size > MAX_JSON_SCHEMA_FILE_BYTES) {
        files.errors.push(`${at}: ${binding.schema} has ${formatBytes(stat.size)}, more than the ${formatBytes(MAX_JSON_SCHEMA_FILE_BYTES)} a schema file may have: not loaded`);
        continue;
      }
      let text: string;
      try {
        text = await readText(uri, MAX_JSON_SCHEMA_FILE_BYTES);
      } catch (error) {
        files.errors.push(`${at}: ${binding.schema}: ${messageOf(error)}: not loaded`);
        continue;
      }
      total += Buffer.byteLength(text, 'utf8');
      if (total > MAX_JSON_SCHEMA_TOTAL_BYTES) {
        files.errors.push(`${SCHEMAS_SETTING}: the schema files have more than ${formatBytes(MAX_JSON_SCHEMA_TOTAL_BYTES)} together, the most that are read: none loaded`);
        files.texts = {};
        return files;
      }
      files.texts[binding.schema] = text;
    }
    return files;
  }

  private async send(set: SentSet): Promise<void> {
    this.sent = set;
    const sending = ++this.sends;
    let result: SchemasSet;
    try {
      result = await this.engine.request('setSchemas', { bindings: set.value, files: set.files.texts });
    } catch (error) {
      if (sending === this.sends && !this.isDisposed) this.log.warn(`JSON Schemas: not sent to the engine: ${messageOf(error)}`);
      return;
    }
    if (sending !== this.sends || this.isDisposed) return;
    this.answered = { set, result };
    this.show(set, result);
    this.changeEmitter.fire();
  }

  /** The engine's answer where a user looks: diagnostics on the files, a notification for the rest, all in the log. */
  private show(set: SentSet, result: SchemasSet): void {
    const byFile = new Map<string, { uri: vscode.Uri; diagnostics: vscode.Diagnostic[] }>();
    const place = (uri: vscode.Uri, problem: LocatedProblem) => {
      const diagnostic = new vscode.Diagnostic(new vscode.Range(problem.start.line, problem.start.character, problem.end.line, problem.end.character), problem.message, vscode.DiagnosticSeverity.Error);
      diagnostic.source = 'MQTT Explorer';
      const entry = byFile.get(uri.toString()) ?? { uri, diagnostics: [] };
      entry.diagnostics.push(diagnostic);
      byFile.set(uri.toString(), entry);
    };
    const all: string[] = [];
    const unplaced: string[] = [];
    for (const { file, error } of result.schemaErrors) {
      all.push(error);
      const uri = set.files.uris.get(file);
      if (uri) place(uri, locateSchemaError(file, error, set.files.texts[file]));
      else unplaced.push(error);
    }
    const restricted = !set.files.read && set.bindings.length ? [`${SCHEMAS_SETTING}: Restricted Mode: the folder's schema files are not read until you trust it`] : [];
    for (const error of [...result.errors, ...set.files.errors, ...restricted]) {
      all.push(error);
      const located = set.settingsFile && error.startsWith(SCHEMAS_SETTING) ? locateBindingError(set.settingsFile.text, error, { workspaceFile: set.settingsFile.workspaceFile, setting: SCHEMAS_SETTING }) : undefined;
      if (located && set.settingsFile) place(set.settingsFile.uri, located);
      else if (!restricted.includes(error)) unplaced.push(error);
    }
    this.diagnostics.clear();
    for (const { uri, diagnostics } of byFile.values()) this.diagnostics.set(uri, diagnostics);

    const plural = (count: number, what: string) => `${count} ${what}${count === 1 ? '' : 's'}`;
    const summary = `JSON Schemas: ${plural(set.bindings.length, 'binding')}, ${plural(result.loaded.length, 'schema')} loaded (${result.loaded.map((one) => `${one.file}, ${one.draft}`).join('; ') || 'none'}); ${plural(all.length, 'problem')}.`;
    const loggedKey = JSON.stringify([summary, all]);
    if (loggedKey !== this.loggedKey) {
      this.loggedKey = loggedKey;
      this.log.info(summary);
      for (const error of all) this.log.warn(`JSON Schemas: ${error}`);
    }
    const notifiedKey = JSON.stringify(unplaced);
    if (notifiedKey !== this.notifiedKey) {
      this.notifiedKey = notifiedKey;
      if (unplaced.length) {
        const more = unplaced.length > 1 ? ` (and ${unplaced.length - 1} more in the log)` : '';
        void vscode.window.showWarningMessage(`MQTT JSON Schemas: ${unplaced[0]}${more}`, 'Open Settings', 'Show Log').then((choice) => {
          if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', SCHEMAS_SETTING);
          else if (choice === 'Show Log') this.log.show();
        });
      }
    }
  }
}

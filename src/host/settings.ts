import * as vscode from 'vscode';
import { Emitter } from '../shared/dispose';
import { settingsSchema, SettingsReader, SettingWarnings, SETTINGS_SECTION, type SettingKey, type SettingValue, type SettingWarning } from '../shared/settings';

/**
 * The extension's settings, checked against the schema in the manifest VS Code loaded (so the
 * Settings editor and the code apply the same bounds). A value that is not used as configured gets
 * one warning per setting and distinct value: in the log, and as a notification that opens the
 * setting, as the engine's restarts are reported.
 */
export class Settings implements vscode.Disposable {
  private readonly warned = new Emitter<SettingWarning>();
  /** Each warning as it is shown (the extension-host tests count them). */
  readonly onDidWarn = this.warned.event;
  readonly warnings: SettingWarnings;
  private readonly reader: SettingsReader;

  constructor(manifest: unknown, log: vscode.LogOutputChannel) {
    this.warnings = new SettingWarnings((warning) => {
      log.warn(warning.message);
      void vscode.window.showWarningMessage(`MQTT: ${warning.message}`, 'Open Settings').then((choice) => {
        if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', warning.setting);
      });
      this.warned.fire(warning);
    });
    this.reader = new SettingsReader(settingsSchema(manifest), (key) => vscode.workspace.getConfiguration(SETTINGS_SECTION).get<unknown>(key), this.warnings);
  }

  get<K extends SettingKey>(key: K): SettingValue<K> {
    return this.reader.get(key);
  }

  dispose(): void {
    this.warned.dispose();
  }
}

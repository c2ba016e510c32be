import * as vscode from 'vscode';
import { Emitter } from '../shared/dispose';
import { restrictedSettings } from '../shared/restrictedMode';
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
    const restricted = restrictedSettings(manifest);
    this.reader = new SettingsReader(
      settingsSchema(manifest),
      (key) => {
        const configuration = vscode.workspace.getConfiguration(SETTINGS_SECTION);
        // Restricted Mode: VS Code leaves the folder's value of a restricted setting out, but only
        // when the folder writes it with its full id; a nested object ("mqttExplorer.localBroker":
        // { "autoStart": true }) is not filtered. So the user's own value is read, nothing else.
        if (!vscode.workspace.isTrusted && restricted.has(`${SETTINGS_SECTION}.${key}`)) return configuration.inspect<unknown>(key)?.globalValue;
        return configuration.get<unknown>(key);
      },
      this.warnings,
    );
  }

  get<K extends SettingKey>(key: K): SettingValue<K> {
    return this.reader.get(key);
  }

  dispose(): void {
    this.warned.dispose();
  }
}

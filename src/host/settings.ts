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
      const openSettings = vscode.l10n.t('Open Settings');
      void vscode.window.showWarningMessage(vscode.l10n.t('MQTT: {0}', warning.message), openSettings).then((choice) => {
        if (choice === openSettings) void vscode.commands.executeCommand('workbench.action.openSettings', warning.setting);
      });
      this.warned.fire(warning);
    });
    const schema = settingsSchema(manifest);
    const restricted = restrictedSettings(manifest);
    this.reader = new SettingsReader(
      schema,
      (key) => {
        const configuration = vscode.workspace.getConfiguration(SETTINGS_SECTION);
        // Where the folder must not decide (machine scope always, restricted ones while untrusted),
        // only the user's own value counts, whatever VS Code's filters make of a folder's value in
        // another shape ("mqttExplorer.localBroker": { "autoStart": true }; 1.139 filters it too).
        const userOnly = schema.get(key)?.machineScoped === true || (!vscode.workspace.isTrusted && restricted.has(`${SETTINGS_SECTION}.${key}`));
        return userOnly ? configuration.inspect<unknown>(key)?.globalValue : configuration.get<unknown>(key);
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

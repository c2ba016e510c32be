import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A folder for VS Code to open, with workspace settings (the extension's, for one run). */
export function createWorkspace(settings: Record<string, unknown>, root = tmpdir()): string {
  mkdirSync(root, { recursive: true });
  const folder = mkdtempSync(join(root, 'mqtt-workspace-'));
  mkdirSync(join(folder, '.vscode'));
  writeFileSync(join(folder, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2));
  writeFileSync(join(folder, 'README.md'), '# MQTT Explorer playground\n\nOpen the MQTT view in the activity bar.\n');
  return folder;
}

import * as vscode from 'vscode';

/**
 * The questions commands ask through VS Code's quick pick. One object, so that the extension-host
 * tests (through testInternals(), ExtensionMode.Test only) can answer them: a test cannot click a
 * quick pick, and VS Code refuses modal dialogs while it runs extension tests.
 */
export interface Prompts {
  quickPick: <T extends vscode.QuickPickItem>(items: readonly T[], options: vscode.QuickPickOptions) => Thenable<T | undefined>;
}

export function windowPrompts(): Prompts {
  return { quickPick: (items, options) => vscode.window.showQuickPick(items, options) };
}

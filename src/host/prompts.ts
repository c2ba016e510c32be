import * as vscode from 'vscode';

/**
 * The questions commands ask through VS Code's quick pick and modal dialogs. One object, so that
 * the extension-host tests (through testInternals(), ExtensionMode.Test only) can answer them: a
 * test cannot click a quick pick, and VS Code refuses modal dialogs while it runs extension tests.
 */
export interface Prompts {
  quickPick: <T extends vscode.QuickPickItem>(items: readonly T[], options: vscode.QuickPickOptions) => Thenable<T | undefined>;
  /** A modal warning; the chosen button's title, or undefined for Cancel (which VS Code always adds). */
  confirm: (message: string, detail: string, ...buttons: string[]) => Thenable<string | undefined>;
}

export function windowPrompts(): Prompts {
  return {
    quickPick: (items, options) => vscode.window.showQuickPick(items, options),
    confirm: (message, detail, ...buttons) => vscode.window.showWarningMessage(message, { modal: true, detail }, ...buttons),
  };
}

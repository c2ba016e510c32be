/**
 * The only module that touches @vscode/webview-ui-toolkit. Microsoft deprecated the toolkit on
 * 2025-01-01; its community successor is @vscode-elements/elements. Moving over is a change of this
 * file: the rest of the webview creates components through these functions only.
 */
import { provideVSCodeDesignSystem, vsCodeBadge, vsCodeButton, vsCodeDivider, vsCodeTag } from '@vscode/webview-ui-toolkit';

let registered = false;

export function registerToolkit(): void {
  if (registered) return;
  provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeBadge(), vsCodeDivider(), vsCodeTag());
  registered = true;
}

export function button(label: string, onClick: () => void, appearance: 'primary' | 'secondary' = 'secondary'): HTMLElement {
  const element = document.createElement('vscode-button');
  element.setAttribute('appearance', appearance);
  element.textContent = label;
  element.addEventListener('click', onClick);
  return element;
}

export function badge(text: string): HTMLElement {
  const element = document.createElement('vscode-badge');
  element.textContent = text;
  return element;
}

export function tag(text: string): HTMLElement {
  const element = document.createElement('vscode-tag');
  element.textContent = text;
  return element;
}

export function divider(): HTMLElement {
  return document.createElement('vscode-divider');
}

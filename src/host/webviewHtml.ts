import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

/** Scripts and styles load from dist/ and media/ only. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')] };
}

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The page of every webview of the extension: a CSP from `default-src 'none'`, scripts by nonce
 * (dist/shared.js, the toolkit and uPlot that every page uses, then the page's own, which reads
 * them from it: webview/shared.ts), styles from the extension only. The initial state travels as
 * JSON in a data attribute (attribute-escaped, never parsed as markup), and so does the translation
 * bundle (webview/localize.ts).
 */
export function renderWebviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, page: { script: string; title: string; state: unknown }): string {
  const nonce = randomBytes(16).toString('base64');
  const shared = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'shared.js'));
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', page.script));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'panel.css'));
  return `<!DOCTYPE html>
<html lang="${escapeAttribute(vscode.env.language)}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${webview.cspSource}; font-src ${webview.cspSource}; img-src ${webview.cspSource} data:; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>${escapeAttribute(page.title)}</title>
</head>
<body data-state="${escapeAttribute(JSON.stringify(page.state))}" data-l10n="${escapeAttribute(JSON.stringify(vscode.l10n.bundle ?? {}))}">
<div id="app"></div>
<script nonce="${nonce}" src="${shared}"></script>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}

import * as l10n from '@vscode/l10n';

// Imported first by every webview entry: the host writes its translation bundle (vscode.l10n.bundle's
// contents, {} in English) into the page, and l10n.t reads it from here on. Call l10n.t inside
// functions, never at a module's top level, so no string is looked up before this ran.
const contents: unknown = JSON.parse(document.body.dataset.l10n ?? '{}');
l10n.config({ contents: typeof contents === 'object' && contents !== null ? (contents as l10n.l10nJsonFormat) : {} });

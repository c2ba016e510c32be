/**
 * dist/shared.js: what every webview page loads once, before its own script: the toolkit's
 * components (webview/toolkit.ts), uPlot, and @vscode/l10n, so that a page has one translation
 * state: the one its webview/localize.ts configures, which l10n.t in toolkit.ts then reads too.
 * The pages' bundles read them from this global instead of carrying a copy each (esbuild.mjs,
 * `useSharedModules`); the keys are the names it maps imports to.
 */
import * as l10n from '@vscode/l10n';
import uPlot from 'uplot';
import * as toolkit from './toolkit';

/** The global's name, from esbuild.mjs (the pages' bundles read the same one). */
declare const SHARED_GLOBAL: string;

(globalThis as unknown as Record<string, unknown>)[SHARED_GLOBAL] = { toolkit, uplot: uPlot, l10n };

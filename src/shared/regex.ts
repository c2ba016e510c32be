/**
 * Regular expressions typed by a person (the Topics filter). They run on re2js, an RE2 engine in
 * plain JavaScript: matching takes time linear in the text, so no pattern can hang the worker the
 * way `(a+)+$` hangs a backtracking engine. The price is RE2's syntax: no backreferences, no
 * lookaround. Shared by the host (checks the input box) and the worker (runs the filter).
 */
import * as l10n from '@vscode/l10n';
import { RE2JS, RE2JSException, RE2JSSyntaxException } from 're2js';

/** What the input box and the README say about the syntax (a function: translated once l10n is configured). */
export const REGEX_SYNTAX = (): string => l10n.t('RE2 syntax: no backreferences or lookaround');

/** A compiled, case-insensitive pattern that finds a match anywhere in a text; throws a readable error for a bad pattern. */
export function compileRegex(pattern: string): (text: string) => boolean {
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern, RE2JS.CASE_INSENSITIVE);
  } catch (error) {
    throw new Error(describe(pattern, error));
  }
  // test() finds a match anywhere, on the engine's DFA when it can (no capture groups asked for).
  return (text) => compiled.test(text);
}

/** Why `pattern` is not a valid regular expression, or undefined when it is. */
export function checkPattern(pattern: string): string | undefined {
  try {
    RE2JS.compile(pattern, RE2JS.CASE_INSENSITIVE);
    return undefined;
  } catch (error) {
    return describe(pattern, error);
  }
}

function describe(pattern: string, error: unknown): string {
  if (!(error instanceof RE2JSException)) throw error;
  let reason: string;
  // RE2 names these by the error it runs into ("invalid named capture" for a lookbehind): say what is missing instead.
  if (/\(\?<?[=!]/.test(pattern)) reason = l10n.t('lookaround ({0}) is not supported', '(?=, (?!, (?<=, (?<!');
  else if (/\\[1-9]/.test(pattern)) reason = l10n.t('backreferences ({0} and so on) are not supported', '\\1');
  else if (error instanceof RE2JSSyntaxException) {
    // The engine reports the fragment with the (?i) it added for case-insensitivity.
    const at = error.getPattern()?.replace(/^\(\?i\)/, pattern.startsWith('(?i)') ? '(?i)' : '');
    reason = at ? `${error.getDescription()}: ${at}` : error.getDescription();
  } else reason = error.message;
  return l10n.t('Not a valid regular expression ({0}): {1}', REGEX_SYNTAX(), reason);
}

import * as l10n from '@vscode/l10n';
import type { SchemaIssue } from '../../src/shared/jsonSchemaCheck';
import type { DraftSchemaCheck, SchemaView } from '../../src/shared/webviewProtocol';
import { host } from './channel';
import { el } from './dom';

/** Checks kept in the page, as many as the raw messages (main.ts KEPT_MESSAGES). */
const KEPT_CHECKS = 64;

/**
 * The engine's JSON Schema checks of the messages the panel shows, asked once per shown message
 * (never per received one) and kept for going back and forth. Cleared when the schemas change or
 * the panel shows another topic.
 */
export class SchemaChecks {
  private readonly kept = new Map<number, Promise<SchemaView | undefined>>();

  get(seq: number): Promise<SchemaView | undefined> {
    let answer = this.kept.get(seq);
    if (!answer) {
      answer = host.request('schemaCheck', { seq });
      const asked = answer;
      // A failed request (the panel moved on) is asked again next time.
      asked.catch(() => this.kept.get(seq) === asked && this.kept.delete(seq));
      this.kept.set(seq, answer);
      while (this.kept.size > KEPT_CHECKS) this.kept.delete(this.kept.keys().next().value as number);
    }
    return answer;
  }

  clear(): void {
    this.kept.clear();
  }
}

/** A list of errors, each with its JSON path (the value's root as "(root)"), as text only. */
export function issueList(errors: SchemaIssue[], more: number, className = 'schema-errors'): HTMLElement {
  const list = el('ul', className);
  for (const issue of errors) {
    const item = el('li', 'schema-error');
    item.append(el('code', 'schema-path', issue.path || '(root)'), el('span', 'schema-message', issue.message));
    list.append(item);
  }
  if (more) list.append(el('li', 'schema-more', l10n.t('and {0} more', more.toLocaleString('en-US'))));
  return list;
}

/** What the payload tab says above a message of a bound topic: valid, or not with each error, or why it was not checked. */
export function schemaBar(view: SchemaView): HTMLElement {
  const state = view.valid === true ? 'schema-valid' : view.valid === false ? 'schema-invalid' : 'schema-unchecked';
  const bar = el('div', `schema-bar ${state}`);
  const head = el('div', 'schema-head');
  const errors = view.errors.length + view.more;
  const verdict =
    view.valid === true
      ? l10n.t('✓ Valid against {0}', view.schema)
      : view.valid === false
        ? errors === 1
          ? l10n.t('✗ Not valid against {0}: 1 error', view.schema)
          : l10n.t('✗ Not valid against {0}: {1} errors', view.schema, errors.toLocaleString('en-US'))
        : l10n.t('Not checked against {0}: {1}', view.schema, view.unchecked ?? '');
  head.append(el('span', 'schema-verdict', verdict), el('span', 'schema-binding', l10n.t('binding {0}', view.filter)));
  bar.append(head);
  if (view.valid === false) bar.append(issueList(view.errors, view.more));
  return bar;
}

/** What the publish form says under the payload about the schema bound to the topic. */
export function draftCheckElement(check: DraftSchemaCheck): HTMLElement[] {
  if (!check.schema) return [];
  if (check.valid === true) return [el('div', 'schema-draft schema-valid', l10n.t('✓ Valid against {0}', check.schema))];
  if (check.valid === false) {
    const head = el('div', 'schema-draft schema-invalid', l10n.t('Not valid against {0} (Publish still sends it):', check.schema));
    return [head, issueList(check.errors ?? [], check.more ?? 0, 'schema-errors schema-draft-errors')];
  }
  return [el('div', 'schema-draft schema-unchecked', l10n.t('Not checked against {0}: {1}', check.schema, check.unchecked ?? ''))];
}

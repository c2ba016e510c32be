/**
 * The engine's JSON Schema checks: the bindings and schema files the host last sent (`setSchemas`),
 * compiled once per load (src/shared/jsonSchemaCheck.ts), and each connection's counts per topic.
 *
 * Unlike decoding (lazy), a bound topic's messages are checked as they arrive, so that what is
 * invalid is counted, not only what someone looks at. Bounded per message and in total: only topics
 * whose filter matches pay anything beyond a look at the bindings; a payload over
 * MAX_ARRIVAL_CHECK_BYTES is not checked on arrival; the checks of all connections together get at
 * most CHECK_BUDGET_MS of each second (more: counted as not checked); a schema whose check of one
 * message takes more than SLOW_CHECK_MS is suspended until the schemas load again, with its reason;
 * a connection keeps counts for at most MAX_TRACKED_TOPICS topics (more: the oldest are forgotten,
 * and counted). Per topic only counts and the last message's first error are kept.
 */
import * as l10n from '@vscode/l10n';
import { checkJsonText, compileJsonSchema, describeIssue, type CompiledSchema, type SchemaVerdict } from '../shared/jsonSchemaCheck';
import { isRecord } from '../shared/guards';
import { MAX_JSON_SCHEMA_FILE_BYTES, MAX_JSON_SCHEMA_TOTAL_BYTES, MAX_SCHEMA_BINDINGS, readSchemaBindings, schemaBindingFor, schemaPathProblem, type SchemaBinding } from '../shared/schemaBindings';
import type { EngineRequests, SchemaCheckResult, SchemaRowStatus, SchemasSet, SchemaStats } from '../shared/engineProtocol';
import type { StoredMessage, TopicNode } from './topicTree';

/** Payload bytes checked as a message arrives; a bigger payload is checked when a panel shows it. */
export const MAX_ARRIVAL_CHECK_BYTES = 64 * 1024;
/** Payload (or draft) bytes checked on request: the panel's shown message, a publish draft. */
export const MAX_REQUEST_CHECK_BYTES = 1024 * 1024;
/** Milliseconds of each second the arrival checks of all connections may take together. */
export const CHECK_BUDGET_MS = 200;
/** A schema whose check of one message takes longer is suspended until the next load. */
export const SLOW_CHECK_MS = 250;
/** Topics per connection with counts kept. */
export const MAX_TRACKED_TOPICS = 10_000;
/** Topics whose mark changed, waiting for the next change report: more are dropped (and counted). */
export const MAX_PENDING_MARKS = 10_000;
/** Marks a change report carries at most; the rest wait for the next one. */
export const MARKS_PER_REPORT = 1000;
/** Longest topic whose mark is reported (the Topics view decorates rows by a URI of the topic). */
export const MAX_MARKED_TOPIC = 1024;
/** Characters of a first error or a reason kept per topic. */
const MAX_KEPT_CHARS = 300;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const count = (value: number) => value.toLocaleString('en-US');
const cut = (text: string) => (text.length > MAX_KEPT_CHARS ? `${text.slice(0, MAX_KEPT_CHARS - 1)}…` : text);

type Loaded = { ok: true; schema: CompiledSchema } | { ok: false; error: string };

export class SchemaState {
  private bindings: readonly SchemaBinding[] = [];
  private readonly schemas = new Map<string, Loaded>();
  /** Bumped at each load: every connection's counts start over. */
  generation = 0;
  private budgetWindow = 0;
  private budgetSpent = 0;

  constructor(
    private readonly log: (line: string) => void = () => undefined,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get active(): boolean {
    return this.bindings.length > 0;
  }

  /** Replaces the bindings and files; compiles every bound file that was sent. */
  set(params: EngineRequests['setSchemas']['params']): SchemasSet {
    const read = readSchemaBindings(params.bindings);
    const errors = [...read.errors];
    const schemaErrors: SchemasSet['schemaErrors'] = [];
    const loaded: SchemasSet['loaded'] = [];
    const files: unknown = params.files;
    if (files !== undefined && !isRecord(files)) errors.push('schema files: a map of file path to text expected');
    const entries = isRecord(files) ? Object.entries(files) : [];
    const texts = new Map<string, string>();
    if (entries.length > MAX_SCHEMA_BINDINGS) errors.push(l10n.t('schema files: {0} files, more than the {1} read: none loaded', count(entries.length), MAX_SCHEMA_BINDINGS));
    else {
      let total = 0;
      for (const [file, text] of entries) {
        const problem = schemaPathProblem(file);
        if (problem) schemaErrors.push({ file: file.slice(0, 200), error: l10n.t('{0}: the path {1}: not loaded', file.slice(0, 200), problem) });
        else if (typeof text !== 'string') schemaErrors.push({ file, error: `${file}: its text expected, got ${typeof text}` });
        else {
          const bytes = Buffer.byteLength(text, 'utf8');
          if (bytes > MAX_JSON_SCHEMA_FILE_BYTES) schemaErrors.push({ file, error: l10n.t('{0}: {1} bytes, more than the {2} a schema file may have: not loaded', file, count(bytes), count(MAX_JSON_SCHEMA_FILE_BYTES)) });
          else {
            total += bytes;
            texts.set(file, text);
          }
        }
      }
      if (total > MAX_JSON_SCHEMA_TOTAL_BYTES) {
        errors.push(l10n.t('schema files: {0} bytes together, more than the {1} read: none loaded', count(total), count(MAX_JSON_SCHEMA_TOTAL_BYTES)));
        texts.clear();
      }
    }
    this.schemas.clear();
    for (const [file, text] of texts) {
      // Only bound files are compiled: a file no binding names costs nothing.
      if (!read.bindings.some((binding) => binding.schema === file)) continue;
      const compiled = compileJsonSchema(text, file, this.now);
      if (compiled.ok) {
        this.schemas.set(file, { ok: true, schema: compiled.schema });
        loaded.push({ file, draft: compiled.schema.draft });
      } else {
        this.schemas.set(file, compiled);
        schemaErrors.push({ file, error: compiled.error });
      }
    }
    this.bindings = read.bindings;
    this.generation++;
    return { errors, schemaErrors, loaded };
  }

  bindingFor(topic: string): SchemaBinding | undefined {
    return this.bindings.length ? schemaBindingFor(topic, this.bindings) : undefined;
  }

  /** Why `binding`'s schema cannot check anything now, or its compiled schema. */
  private schemaOf(binding: SchemaBinding): Loaded {
    return this.schemas.get(binding.schema) ?? { ok: false, error: l10n.t('{0}: not loaded (the file was not found or not read)', binding.schema) };
  }

  /**
   * Checks a payload's text against `binding`'s schema, timed: a check slower than SLOW_CHECK_MS
   * suspends the schema. `budget`: an arrival check, which the per-second budget may refuse.
   */
  check(binding: SchemaBinding, payload: Uint8Array, maxBytes: number, budget: boolean): SchemaVerdict & { overBudget?: boolean } {
    const loaded = this.schemaOf(binding);
    if (!loaded.ok) return { unchecked: l10n.t('the schema cannot be used: {0}', loaded.error) };
    if (payload.length > maxBytes) {
      return {
        unchecked: budget
          ? l10n.t('a payload of {0} bytes, more than the {1} checked as messages arrive (the panel checks the message it shows)', count(payload.length), count(maxBytes))
          : l10n.t('a payload of {0} bytes, more than the {1} checked', count(payload.length), count(maxBytes)),
      };
    }
    let text: string;
    try {
      text = utf8.decode(payload);
    } catch {
      return { valid: false, errors: [{ path: '', message: l10n.t('is not JSON: the payload is not UTF-8 text') }], more: 0 };
    }
    const started = this.now();
    if (budget) {
      if (started - this.budgetWindow >= 1000) {
        this.budgetWindow = started;
        this.budgetSpent = 0;
      }
      if (this.budgetSpent >= CHECK_BUDGET_MS) return { unchecked: l10n.t("the engine's checking budget ({0} ms a second) was spent", CHECK_BUDGET_MS), overBudget: true };
    }
    const verdict = checkJsonText(loaded.schema, text);
    const took = this.now() - started;
    if (budget) this.budgetSpent += took;
    if (took > SLOW_CHECK_MS) {
      const reason = `${binding.schema}: suspended: checking one message took ${Math.round(took)} ms, more than the ${SLOW_CHECK_MS} ms allowed; it is used again when the schemas load again (save the file or change the setting)`;
      this.schemas.set(binding.schema, { ok: false, error: reason });
      this.log(`JSON Schemas: ${reason}`);
    }
    return verdict;
  }

  /** Checks a publish draft's JSON text against the schema bound to `topic`. */
  checkDraft(topic: string, json: string): SchemaCheckResult {
    const binding = this.bindingFor(topic);
    if (!binding) return {};
    return { binding, verdict: this.check(binding, new TextEncoder().encode(json), MAX_REQUEST_CHECK_BYTES, false) };
  }
}

/** A topic's counts, by its node's key (never reused). */
interface TopicCounts {
  generation: number;
  /** The topic, when short enough to be marked (MAX_MARKED_TOPIC): its mark goes when the counts are forgotten. */
  topic?: string;
  binding: SchemaBinding;
  checked: number;
  invalid: number;
  unchecked: number;
  last: SchemaRowStatus['last'];
  firstError?: string;
  errorCount?: number;
  reason?: string;
}

/** One connection's counts per bound topic, and its totals. */
export class TopicSchemas {
  private readonly counts = new Map<number, TopicCounts>();
  private generation = -1;
  private readonly totals: SchemaStats = { checked: 0, invalid: 0, unchecked: 0, overBudget: 0, forgottenTopics: 0, marksDropped: 0 };
  /** Topics whose last message became not valid (true) or stopped being so (false) since the last report. */
  private readonly marks = new Map<string, boolean>();
  /** A new load: every mark goes (the report says so before the new marks). */
  private marksReset = false;

  constructor(private readonly state: SchemaState) {}

  /** The counts of this load; a new load starts them over. */
  private fresh(): void {
    if (this.generation === this.state.generation) return;
    this.generation = this.state.generation;
    this.counts.clear();
    Object.assign(this.totals, { checked: 0, invalid: 0, unchecked: 0, overBudget: 0, forgottenTopics: 0, marksDropped: 0 });
    this.marks.clear();
    this.marksReset = true;
  }

  /** A topic's mark changed: kept for the next change report (the Topics view's decoration of it and its ancestors). */
  private mark(topic: string | undefined, invalid: boolean): void {
    if (topic === undefined) return;
    if (this.marks.size >= MAX_PENDING_MARKS && !this.marks.has(topic)) {
      this.totals.marksDropped++;
      return;
    }
    this.marks.set(topic, invalid);
  }

  get marksPending(): boolean {
    return this.marks.size > 0;
  }

  /** The marks changed since the last call (at most MARKS_PER_REPORT; the rest wait), and whether all marks went first. */
  takeMarks(): { reset: boolean; marks: [string, boolean][] } | undefined {
    this.fresh();
    if (!this.marksReset && !this.marks.size) return undefined;
    const taken: [string, boolean][] = [];
    for (const entry of this.marks) {
      if (taken.length >= MARKS_PER_REPORT) break;
      taken.push(entry);
      this.marks.delete(entry[0]);
    }
    const reset = this.marksReset;
    this.marksReset = false;
    return { reset, marks: taken };
  }

  get stats(): SchemaStats | undefined {
    this.fresh();
    return this.state.active ? { ...this.totals } : undefined;
  }

  /** Every message as it arrives, after the tree kept it. Topics no filter matches return after the bindings' look. */
  received(topic: string, payload: Uint8Array, node: TopicNode): void {
    if (!this.state.active) return;
    const binding = this.state.bindingFor(topic);
    if (!binding) return;
    this.fresh();
    this.record(node, binding, payload, undefined, topic);
  }

  /** Checks a payload (or takes `verdict` when it cannot be checked) and counts it for the node. */
  private record(node: TopicNode, binding: SchemaBinding, payload: Uint8Array, verdict: SchemaVerdict | undefined, topic: string): TopicCounts {
    let counts = this.counts.get(node.key);
    if (!counts || counts.binding !== binding) {
      counts = { generation: this.generation, binding, checked: 0, invalid: 0, unchecked: 0, last: 'unchecked' };
      if (topic.length <= MAX_MARKED_TOPIC) counts.topic = topic;
      this.counts.set(node.key, counts);
      if (this.counts.size > MAX_TRACKED_TOPICS) {
        const [oldestKey, oldest] = this.counts.entries().next().value as [number, TopicCounts];
        this.counts.delete(oldestKey);
        this.totals.forgottenTopics++;
        if (oldest.last === 'invalid') this.mark(oldest.topic, false);
      }
    }
    const wasInvalid = counts.last === 'invalid';
    // An empty payload deletes a retained message: nothing to check.
    verdict ??= payload.length === 0 ? { unchecked: l10n.t('an empty payload (a retained message deleted)') } : this.state.check(binding, payload, MAX_ARRIVAL_CHECK_BYTES, true);
    apply(counts, verdict, this.totals);
    if ((counts.last === 'invalid') !== wasInvalid) this.mark(counts.topic, !wasInvalid);
    return counts;
  }

  /**
   * The row's status. A bound topic with no count in this load (its messages came before the
   * schemas loaded, or its counts were forgotten) gets its last kept message checked now: snapshots
   * are taken for shown rows only, so this is bounded by what the view shows.
   */
  rowStatus(node: TopicNode, topic: string): SchemaRowStatus | undefined {
    if (!this.state.active) return undefined;
    this.fresh();
    let counts = this.counts.get(node.key);
    const binding = this.state.bindingFor(topic);
    if (!binding) return undefined;
    if (!counts || counts.binding !== binding) {
      const last = node.hasMessages ? node.lastMessage(MAX_ARRIVAL_CHECK_BYTES) : undefined;
      if (!last) return undefined;
      const verdict: SchemaVerdict | undefined = last.truncated
        ? { unchecked: l10n.t('the payload was cut by the limits (mqttExplorer.limits.maxPayloadKib)') }
        : last.keptBytes > MAX_ARRIVAL_CHECK_BYTES
          ? { unchecked: l10n.t('a payload of {0} bytes, more than the {1} checked as messages arrive (the panel checks the message it shows)', count(last.keptBytes), count(MAX_ARRIVAL_CHECK_BYTES)) }
          : undefined;
      counts = this.record(node, binding, last.payload, verdict, topic);
    }
    const status: SchemaRowStatus = { schema: binding.schema, filter: binding.filter, checked: counts.checked, invalid: counts.invalid, unchecked: counts.unchecked, last: counts.last };
    if (counts.firstError !== undefined) status.firstError = counts.firstError;
    if (counts.errorCount !== undefined) status.errorCount = counts.errorCount;
    if (counts.reason !== undefined) status.reason = counts.reason;
    return status;
  }

  /** One kept message checked on request (the panel's shown message), with the topic's counts. Counts nothing. */
  checkMessage(node: TopicNode | undefined, topic: string, message: StoredMessage | undefined, seq: number): SchemaCheckResult {
    const binding = this.state.bindingFor(topic);
    if (!binding) return {};
    const result: SchemaCheckResult = { binding, seq };
    if (!message) result.verdict = { unchecked: l10n.t('message {0} is no longer kept', seq) };
    else if (message.truncated) result.verdict = { unchecked: l10n.t('the payload was cut to {0} bytes by the limits (mqttExplorer.limits.maxPayloadKib)', count(message.keptBytes)) };
    else if (message.payload.length === 0) result.verdict = { unchecked: l10n.t('an empty payload (a retained message deleted)') };
    else result.verdict = this.state.check(binding, message.payload, MAX_REQUEST_CHECK_BYTES, false);
    const status = node ? this.rowStatus(node, topic) : undefined;
    if (status) result.status = status;
    return result;
  }
}

function apply(counts: TopicCounts, verdict: SchemaVerdict & { overBudget?: boolean }, totals: SchemaStats): void {
  counts.firstError = undefined;
  counts.errorCount = undefined;
  counts.reason = undefined;
  if (verdict.valid === true) {
    counts.checked++;
    totals.checked++;
    counts.last = 'valid';
  } else if (verdict.valid === false) {
    counts.checked++;
    counts.invalid++;
    totals.checked++;
    totals.invalid++;
    counts.last = 'invalid';
    counts.errorCount = verdict.errors.length + verdict.more;
    if (verdict.errors[0]) counts.firstError = cut(describeIssue(verdict.errors[0]));
  } else {
    counts.unchecked++;
    totals.unchecked++;
    if (verdict.overBudget) totals.overBudget++;
    counts.last = 'unchecked';
    counts.reason = cut(verdict.unchecked);
  }
}

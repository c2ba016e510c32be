import '../localize';
import * as l10n from '@vscode/l10n';
import { TIMELINE_PROTOCOL_VERSION, type TimelineHostApi, type TimelineRecording, type TimelineWebviewApi } from '../../src/shared/timelineProtocol';
import { formatRange, formatRecordingTime } from '../../src/shared/recordingTime';
import { connectToHost } from '../host';
import { button, registerToolkit } from '../toolkit';

// The "Recording timeline" view (issue 15): per open recording a range slider over its time range.
// Moving it (mouse, or keys: arrows a thousandth of the range, Page Up/Down a twentieth, Home/End)
// shows the recording's tree as it was at that time. Rows are updated in place, never rebuilt, so
// the slider keeps focus while the host reports where the engine stands.

registerToolkit();

/** Seeks sent at most this often while the slider moves; the engine stops a seek that a newer one overtakes. */
const SEEK_INTERVAL_MS = 120;

const host = connectToHost<TimelineWebviewApi, TimelineHostApi>({}, { deadlines: { seek: Infinity, open: Infinity } });
const app = document.getElementById('app') as HTMLElement;
// The view's one landmark: every recording's row goes in here.
const main = document.createElement('main');
main.className = 'timeline-view';
main.append(el('h1', 'visually-hidden', l10n.t('Recording Timeline')));
app.append(main);

function el<K extends keyof HTMLElementTagNameMap>(name: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const element = document.createElement(name);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

interface Row {
  recording: TimelineRecording;
  section: HTMLElement;
  title: HTMLElement;
  range: HTMLElement;
  slider: HTMLInputElement;
  at: HTMLElement;
  error: HTMLElement;
  /** The time asked for and not yet answered: host reports do not move the slider meanwhile. */
  wanted?: number;
  timer?: ReturnType<typeof setTimeout>;
  sentAt: number;
}

const rows = new Map<string, Row>();
let empty: HTMLElement | undefined;
let headingIds = 0;

/** The slider's step: a thousandth of the range (1 ms at least). */
function stepOf(recording: TimelineRecording): number {
  return recording.from === undefined || recording.to === undefined ? 1 : Math.max(1, Math.round((recording.to - recording.from) / 1000));
}

function createRow(recording: TimelineRecording): Row {
  const section = el('section', 'timeline');
  section.dataset.connectionId = recording.connectionId;
  const title = el('h2', 'timeline-name');
  const range = el('div', 'timeline-range');
  const slider = el('input', 'timeline-slider');
  slider.type = 'range';
  const at = el('div', 'timeline-at');
  at.setAttribute('aria-live', 'polite');
  const error = el('div', 'timeline-error error');
  error.setAttribute('role', 'alert');
  // The section is named by its heading; the slider's name says which recording it moves.
  title.id = `timeline-${++headingIds}`;
  section.setAttribute('aria-labelledby', title.id);
  const row: Row = { recording, section, title, range, slider, at, error, sentAt: 0 };
  const toStart = button(l10n.t('Start'), () => seek(row, row.recording.from));
  const toEnd = button(l10n.t('End'), () => seek(row, row.recording.to));
  const close = button(l10n.t('Close'), () => void host.request('close', { connectionId: row.recording.connectionId }).catch((failure: unknown) => (row.error.textContent = String((failure as Error).message ?? failure))));
  // The titles are also the buttons' accessible descriptions: "Start" alone does not say of what.
  toStart.title = l10n.t('Show the tree at the recording’s first message');
  toEnd.title = l10n.t('Show the tree at the recording’s last message');
  close.title = l10n.t('Close the recording (its topics leave the Topics view)');
  const actions = el('div', 'actions');
  actions.setAttribute('role', 'group');
  actions.setAttribute('aria-labelledby', title.id);
  actions.append(toStart, toEnd, close);
  slider.addEventListener('input', () => seek(row, Number(slider.value)));
  slider.addEventListener('keydown', (event) => {
    const { from, to } = row.recording;
    if (from === undefined || to === undefined) return;
    const step = stepOf(row.recording);
    const now = row.wanted ?? row.recording.at ?? to;
    const moves: Record<string, number> = {
      ArrowLeft: now - step,
      ArrowDown: now - step,
      ArrowRight: now + step,
      ArrowUp: now + step,
      PageDown: now - Math.max(step, (to - from) / 20),
      PageUp: now + Math.max(step, (to - from) / 20),
      Home: from,
      End: to,
    };
    if (!(event.key in moves)) return;
    event.preventDefault();
    seek(row, Math.min(to, Math.max(from, Math.round(moves[event.key]))));
  });
  section.append(title, range, slider, at, actions, error);
  return row;
}

/** Asks the host to show `time`: at once, or at the end of the current interval while the slider moves. */
function seek(row: Row, time: number | undefined): void {
  if (time === undefined) return;
  row.wanted = time;
  showAt(row, time);
  if (row.timer) return;
  const wait = Math.max(0, row.sentAt + SEEK_INTERVAL_MS - Date.now());
  row.timer = setTimeout(() => {
    row.timer = undefined;
    const target = row.wanted;
    if (target === undefined) return;
    row.sentAt = Date.now();
    row.error.textContent = '';
    host.request('seek', { connectionId: row.recording.connectionId, time: target }).then(
      (result) => {
        // Answered, and nothing newer asked meanwhile: the host's reports move the slider again.
        if (row.wanted === target && !result.superseded) row.wanted = undefined;
      },
      (failure: unknown) => {
        row.wanted = undefined;
        row.error.textContent = String((failure as Error).message ?? failure);
      },
    );
  }, wait);
}

/** The slider and the line below it, at `time`. */
function showAt(row: Row, time: number): void {
  const { recording } = row;
  row.slider.value = String(time);
  const text = formatRecordingTime(time);
  row.slider.setAttribute('aria-valuetext', text);
  const applied = count(recording.applied);
  row.at.textContent =
    row.wanted !== undefined && row.wanted !== recording.at
      ? l10n.t('Going to {0}…', text)
      : recording.messages !== undefined
        ? l10n.t('Showing {0} · {1} of {2} messages', text, applied, count(recording.messages))
        : l10n.t('Showing {0} · {1} messages', text, applied);
}

/** A count in the display language's digit grouping. */
function count(value: number): string {
  return value.toLocaleString(document.documentElement.lang || 'en');
}

function update(row: Row, recording: TimelineRecording): void {
  row.recording = recording;
  row.title.textContent = recording.name;
  row.title.title = recording.path;
  const { from, to, loading } = recording;
  const ready = from !== undefined && to !== undefined && loading?.what !== 'opening';
  row.slider.disabled = !ready;
  row.slider.setAttribute('aria-label', l10n.t('Time shown of {0}', recording.name));
  if (from !== undefined && to !== undefined) {
    row.range.textContent = formatRange(from, to);
    row.slider.min = String(from);
    row.slider.max = String(to);
    row.slider.step = String(stepOf(recording));
  } else {
    row.range.textContent = loading ? '' : l10n.t('No messages in this recording.');
  }
  if (loading) {
    const messages = count(loading.messages);
    row.at.textContent =
      loading.percent !== undefined
        ? loading.what === 'opening'
          ? l10n.t('Opening… {0}% ({1} messages)', loading.percent, messages)
          : l10n.t('Reading… {0}% ({1} messages)', loading.percent, messages)
        : loading.what === 'opening'
          ? l10n.t('Opening… ({0} messages)', messages)
          : l10n.t('Reading… ({0} messages)', messages);
    if (loading.what === 'seeking') return;
  }
  if (!loading && ready) showAt(row, row.wanted ?? recording.at ?? (to as number));
}

function render(recordings: TimelineRecording[]): void {
  const ids = new Set(recordings.map((recording) => recording.connectionId));
  for (const [id, row] of rows) {
    if (ids.has(id)) continue;
    clearTimeout(row.timer);
    row.section.remove();
    rows.delete(id);
  }
  for (const recording of recordings) {
    let row = rows.get(recording.connectionId);
    if (!row) {
      row = createRow(recording);
      rows.set(recording.connectionId, row);
      main.append(row.section);
    }
    update(row, recording);
  }
  if (recordings.length === 0 && !empty) {
    empty = el('div', 'timeline-empty');
    empty.append(el('p', 'note', l10n.t('No recording is open. Open a .mqtt-recording.jsonl file to browse its topics as they were at any time.')), button(l10n.t('Open Recording…'), () => void host.request('open', {}), 'primary'));
    main.append(empty);
  } else if (recordings.length > 0 && empty) {
    empty.remove();
    empty = undefined;
  }
}

host.on('recordings', ({ recordings }) => render(recordings));
host.emit('ready', { protocolVersion: TIMELINE_PROTOCOL_VERSION });

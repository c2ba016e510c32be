import '../localize';
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
  const row: Row = { recording, section, title, range, slider, at, error, sentAt: 0 };
  const toStart = button('Start', () => seek(row, row.recording.from));
  const toEnd = button('End', () => seek(row, row.recording.to));
  const close = button('Close', () => void host.request('close', { connectionId: row.recording.connectionId }).catch((failure: unknown) => (row.error.textContent = String((failure as Error).message ?? failure))));
  toStart.title = 'Show the tree at the recording\'s first message';
  toEnd.title = 'Show the tree at the recording\'s last message';
  close.title = 'Close the recording (its topics leave the Topics view)';
  const actions = el('div', 'actions');
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
  const of = recording.messages !== undefined ? ` of ${recording.messages.toLocaleString('en-US')}` : '';
  row.at.textContent = row.wanted !== undefined && row.wanted !== recording.at ? `Going to ${text}…` : `Showing ${text} · ${recording.applied.toLocaleString('en-US')}${of} messages`;
}

function update(row: Row, recording: TimelineRecording): void {
  row.recording = recording;
  row.title.textContent = recording.name;
  row.title.title = recording.path;
  const { from, to, loading } = recording;
  const ready = from !== undefined && to !== undefined && loading?.what !== 'opening';
  row.slider.disabled = !ready;
  row.slider.setAttribute('aria-label', `Time shown of ${recording.name}`);
  if (from !== undefined && to !== undefined) {
    row.range.textContent = formatRange(from, to);
    row.slider.min = String(from);
    row.slider.max = String(to);
    row.slider.step = String(stepOf(recording));
  } else {
    row.range.textContent = loading ? '' : 'No messages in this recording.';
  }
  if (loading) {
    const percent = loading.percent !== undefined ? ` ${loading.percent}%` : '';
    row.at.textContent = `${loading.what === 'opening' ? 'Opening' : 'Reading'}…${percent} (${loading.messages.toLocaleString('en-US')} messages)`;
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
      app.append(row.section);
    }
    update(row, recording);
  }
  if (recordings.length === 0 && !empty) {
    empty = el('div', 'timeline-empty');
    empty.append(el('p', 'note', 'No recording is open. Open a .mqtt-recording.jsonl file to browse its topics as they were at any time.'), button('Open Recording…', () => void host.request('open', {}), 'primary'));
    app.append(empty);
  } else if (recordings.length > 0 && empty) {
    empty.remove();
    empty = undefined;
  }
}

host.on('recordings', ({ recordings }) => render(recordings));
host.emit('ready', { protocolVersion: TIMELINE_PROTOCOL_VERSION });

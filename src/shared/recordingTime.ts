/**
 * Times of an opened recording as a person reads and types them (issue 15): shown in local time to
 * the millisecond; typed as a time of day, a date and time, an offset from the start or a share of
 * the range. Shared by the extension host and the timeline webview; no VS Code.
 */
import * as l10n from '@vscode/l10n';

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** `2025-12-05 12:00:03.120` in local time; `time` only (`12:00:03.120`) when `withDate` is false. */
export function formatRecordingTime(time: number, withDate = true): string {
  const date = new Date(time);
  const clock = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
  return withDate ? `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${clock}` : clock;
}

/** A duration as `1 h 02 min`, `3 min 05 s`, `4.2 s` or `120 ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${pad(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${pad(Math.floor((seconds % 3600) / 60))} min`;
}

/** A recording's range in one short line: `2025-12-05 12:00:00.000 – 12:30:00.000 (30 min 00 s)`. */
export function formatRange(from: number, to: number): string {
  const sameDay = new Date(from).toDateString() === new Date(to).toDateString();
  return `${formatRecordingTime(from)} – ${formatRecordingTime(to, !sameDay)} (${formatDuration(to - from)})`;
}

const OFFSET = /^\+\s*(?:(\d+(?:\.\d+)?)\s*(ms|s|min|m|h)?|(\d+):(\d{1,2})(?::(\d{1,2}))?(?:\.(\d{1,3}))?)$/;
const PERCENT = /^(\d+(?:\.\d+)?)\s*%$/;
const CLOCK = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;

const millis = (digits: string | undefined): number => (digits ? Number(digits.padEnd(3, '0')) : 0);

/**
 * A time typed for "Show Recording At Time…", within [from, to]: `+90s`, `+2.5 min`, `+1:30` (minutes
 * and seconds from the start), `+1:02:03`, `50%`, `12:03:05.250` (a time of day on the recording's
 * first day, or the next day when that is still in range), `2025-12-05 12:03:05`, or epoch
 * milliseconds. Returns the time, or why not (a sentence).
 */
export function parseRecordingTime(text: string, from: number, to: number): { time: number } | { error: string } {
  const input = text.trim();
  const inRange = (time: number): { time: number } | { error: string } =>
    Number.isFinite(time) && time >= from && time <= to ? { time } : { error: l10n.t('{0} is outside the recording ({1}).', formatRecordingTime(time), formatRange(from, to)) };
  let match = OFFSET.exec(input);
  if (match) {
    if (match[1] !== undefined) {
      const unit = { ms: 1, s: 1000, min: 60_000, m: 60_000, h: 3_600_000 }[match[2] ?? 's'] ?? 1000;
      return inRange(from + Number(match[1]) * unit);
    }
    // +M:SS or +H:MM:SS
    const parts = [match[3], match[4], match[5]].filter((part): part is string => part !== undefined).map(Number);
    const seconds = parts.length === 3 ? parts[0] * 3600 + parts[1] * 60 + parts[2] : parts[0] * 60 + parts[1];
    return inRange(from + seconds * 1000 + millis(match[6]));
  }
  match = PERCENT.exec(input);
  if (match) {
    const share = Number(match[1]);
    if (share > 100) return { error: l10n.t('{0}% is past the end: give 0% to 100%.', share) };
    return { time: Math.round(from + ((to - from) * share) / 100) };
  }
  match = CLOCK.exec(input);
  if (match) {
    const day = new Date(from);
    const at = (offsetDays: number) =>
      new Date(day.getFullYear(), day.getMonth(), day.getDate() + offsetDays, Number(match?.[1]), Number(match?.[2]), Number(match?.[3] ?? 0), millis(match?.[4])).getTime();
    const first = at(0);
    return inRange(first < from && at(1) <= to ? at(1) : first);
  }
  match = DATE_TIME.exec(input);
  if (match) {
    const [, year, month, date, hours, minutes, seconds, ms] = match;
    return inRange(new Date(Number(year), Number(month) - 1, Number(date), Number(hours), Number(minutes), Number(seconds ?? 0), millis(ms)).getTime());
  }
  if (/^\d{10,}$/.test(input)) return inRange(Number(input));
  return { error: l10n.t('Give a time of day (12:03:05), a date and time (2025-12-05 12:03:05), an offset from the start (+90s, +1:30) or a share of the range (50%).') };
}

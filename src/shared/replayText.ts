/**
 * What the extension says about a replay: the progress line, the summary at the end, durations.
 * Plain text from a ReplayProgress; no VS Code, so it is unit-tested.
 */
import * as l10n from '@vscode/l10n';
import type { ReplayProgress, ReplayTiming } from '../worker/recording/replay';
import { formatBytes } from './format';

const number = (value: number): string => value.toLocaleString('en-US');

/** `1 h 02 min`, `3 min 05 s`, `12.3 s`, `250 ms`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const totalSeconds = Math.round(seconds);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const rest = totalSeconds % 60;
  if (hours > 0) return `${hours} h ${String(minutes).padStart(2, '0')} min`;
  return `${minutes} min ${String(rest).padStart(2, '0')} s`;
}

export function describeTiming(timing: ReplayTiming): string {
  if (timing.kind === 'asap') return l10n.t('as fast as possible');
  if (timing.kind === 'original') return l10n.t('original timing');
  return l10n.t('{0}× speed', timing.factor);
}

/** How long playing `durationMs` of recording takes with this timing (undefined: as fast as the broker acknowledges). */
export function playingTime(durationMs: number, timing: ReplayTiming): number | undefined {
  if (timing.kind === 'asap') return undefined;
  return timing.kind === 'speed' ? durationMs / timing.factor : durationMs;
}

/** The progress notification's line: `120 of 1,234 messages · 0:45 of 12 min 03 s · 2 refused`. */
export function progressLine(progress: ReplayProgress, total?: { messages: number; firstTime?: number; lastTime?: number }): string {
  const parts = [total ? l10n.t('{0} of {1} messages', number(progress.sent), number(total.messages)) : l10n.t('{0} messages', number(progress.sent)), formatBytes(progress.bytes)];
  const start = total?.firstTime ?? progress.firstTime;
  if (progress.position !== undefined && start !== undefined) {
    const at = formatDuration(progress.position - start);
    parts.push(total?.lastTime !== undefined ? l10n.t('{0} of {1} played', at, formatDuration(total.lastTime - start)) : l10n.t('{0} into the recording', at));
  }
  if (progress.passes > 0) parts.push(l10n.t('pass {0}', progress.passes + 1));
  if (progress.refused) parts.push(l10n.t('{0} refused', number(progress.refused)));
  if (progress.skipped) parts.push(l10n.t('{0} lines skipped', number(progress.skipped)));
  if (progress.state === 'paused') parts.push(l10n.t('paused'));
  return parts.join(' · ');
}

/** The summary at the end: what was sent, and everything that was not, with the reasons. */
export function replaySummary(progress: ReplayProgress, target: string): string {
  const head =
    progress.state === 'done'
      ? l10n.t('Replay to {0} finished', target)
      : progress.state === 'cancelled'
        ? l10n.t('Replay to {0} cancelled', target)
        : progress.state === 'failed'
          ? l10n.t('Replay to {0} failed: {1}', target, progress.reason ?? l10n.t('unknown error'))
          : `Replay to ${target} ${progress.state}`;
  const parts = [progress.sent === 1 ? l10n.t('1 message sent ({0})', formatBytes(progress.bytes)) : l10n.t('{0} messages sent ({1})', number(progress.sent), formatBytes(progress.bytes))];
  if (progress.passes > 1) parts.push(l10n.t('{0} passes', number(progress.passes)));
  if (progress.refused) parts.push(l10n.t('{0} refused (last: {1})', number(progress.refused), progress.lastRefusal ?? '?'));
  if (progress.skipped) {
    const first = progress.skippedLines[0];
    const skipped = progress.skipped === 1 ? l10n.t('1 line skipped') : l10n.t('{0} lines skipped', number(progress.skipped));
    parts.push(first ? l10n.t('{0} (line {1}: {2})', skipped, first.line, first.reason) : skipped);
  }
  if (progress.unacknowledged) parts.push(l10n.t('{0} handed to the connection but not acknowledged when cancelled (it may still arrive)', number(progress.unacknowledged)));
  if (progress.systemTopics) parts.push(l10n.t('{0} on $ topics not published (the broker\'s own)', number(progress.systemTopics)));
  if (progress.propertiesDropped) parts.push(l10n.t('{0} without their MQTT 5 properties (the connection is MQTT 3.1.1)', number(progress.propertiesDropped)));
  return `${head}. ${parts.join('; ')}.`;
}

/** `90`, `1:30`, `1:02:03.5` as seconds; undefined when it is none of these. */
function parseClock(text: string): number | undefined {
  if (!/^\d+(?::\d{1,2}){0,2}(?:\.\d+)?$/.test(text)) return undefined;
  const parts = text.split(':').map(Number);
  let seconds = 0;
  for (const part of parts) seconds = seconds * 60 + part;
  return seconds;
}

/**
 * A time range typed as offsets from the recording's start: `60-300`, `1:00-5:00`, `-2:30` (up to),
 * `10:00-` (from). Returns epoch milliseconds (`from` ≤ time < `to`), or why not as a sentence.
 */
export function parseTimeRange(text: string, startedAt: number): { from?: number; to?: number } | string {
  const match = /^\s*([^-\s]*)\s*-\s*([^-\s]*)\s*$/.exec(text);
  if (!match || (match[1] === '' && match[2] === '')) return l10n.t('A range such as 60-300 or 1:00-5:00 (seconds, or minutes:seconds, from the start); one side may be empty.');
  const range: { from?: number; to?: number } = {};
  for (const [index, side] of [match[1], match[2]].entries()) {
    if (side === '') continue;
    const seconds = parseClock(side);
    if (seconds === undefined) return l10n.t('"{0}" is no time: seconds (90), minutes:seconds (1:30) or hours:minutes:seconds.', side);
    const at = startedAt + Math.round(seconds * 1000);
    if (index === 0) range.from = at;
    else range.to = at;
  }
  if (range.from !== undefined && range.to !== undefined && range.from >= range.to) return l10n.t('The start of the range must come before its end.');
  return range;
}

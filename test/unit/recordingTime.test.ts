import * as assert from 'node:assert/strict';
import { formatDuration, formatRecordingTime, parseRecordingTime } from '../../src/shared/recordingTime';
import { parseTimelineMessage } from '../../src/shared/timelineProtocol';

describe('Recording times as typed and shown (Show Recording At Time…, the timeline)', () => {
  // A range of one hour starting at 12:00:00.000 local time, on 5 December 2025.
  const from = new Date(2025, 11, 5, 12, 0, 0, 0).getTime();
  const to = from + 3_600_000;
  const at = (text: string) => {
    const parsed = parseRecordingTime(text, from, to);
    if ('error' in parsed) throw new Error(parsed.error);
    return parsed.time - from;
  };

  it('reads offsets, shares, times of day, dates and epoch milliseconds', () => {
    assert.equal(at('+90s'), 90_000);
    assert.equal(at('+90'), 90_000);
    assert.equal(at('+2.5 min'), 150_000);
    assert.equal(at('+250ms'), 250);
    assert.equal(at('+1:30'), 90_000);
    assert.equal(at('+0:10:00.5'), 600_500);
    assert.equal(at('50%'), 1_800_000);
    assert.equal(at('12:03:05.250'), 185_250);
    assert.equal(at('12:30'), 1_800_000);
    assert.equal(at('2025-12-05 12:00:01'), 1000);
    assert.equal(at(String(from + 42)), 42);
  });

  it('says why a time is refused', () => {
    assert.match((parseRecordingTime('+2h', from, to) as { error: string }).error, /outside the recording/);
    assert.match((parseRecordingTime('11:00', from, to) as { error: string }).error, /outside the recording/);
    assert.match((parseRecordingTime('150%', from, to) as { error: string }).error, /past the end/);
    assert.match((parseRecordingTime('soon', from, to) as { error: string }).error, /Give a time of day/);
  });

  it('shows local time to the millisecond, and durations briefly', () => {
    assert.equal(formatRecordingTime(from + 3_723_045), '2025-12-05 13:02:03.045');
    assert.equal(formatRecordingTime(from + 5, false), '12:00:00.005');
    assert.equal(formatDuration(120), '120 ms');
    assert.equal(formatDuration(4200), '4.2 s');
    assert.equal(formatDuration(185_000), '3 min 05 s');
    assert.equal(formatDuration(3_720_000), '1 h 02 min');
  });

  it('the timeline page\'s messages are checked before the host acts on them', () => {
    assert.deepEqual(parseTimelineMessage({ type: 'request', id: 1, name: 'seek', params: { connectionId: 'recording-1', time: 5, extra: 'dropped' } }), {
      type: 'request',
      id: 1,
      name: 'seek',
      params: { connectionId: 'recording-1', time: 5 },
    });
    assert.equal(parseTimelineMessage({ type: 'request', id: 1, name: 'seek', params: { connectionId: 'recording-1', time: Infinity } }), undefined);
    assert.equal(parseTimelineMessage({ type: 'request', id: 2, name: 'seek', params: { connectionId: 3, time: 5 } }), undefined);
    assert.equal(parseTimelineMessage({ type: 'request', id: 3, name: 'publish', params: {} }), undefined);
    assert.equal(parseTimelineMessage({ type: 'request', id: 4, name: 'close', params: {} }), undefined);
    assert.deepEqual(parseTimelineMessage({ type: 'event', name: 'ready', data: { protocolVersion: 1 } }), { type: 'event', name: 'ready', data: { protocolVersion: 1 } });
  });
});

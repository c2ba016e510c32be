/**
 * The "Recording timeline" webview view's protocol (issue 15): the host tells the page which
 * recordings are open and where each stands; the page asks to show one at a time, or to close it.
 * Everything the page posts is checked here (parseTimelineMessage) before the host acts on it.
 */
import { parseMessage, type Incoming, type RequestMessage } from './rpc';
import { isRecord } from './guards';
import type { ReadyEvents } from './webviewProtocol';

export const TIMELINE_PROTOCOL_VERSION = 1;

/** One open recording as the timeline shows it. */
export interface TimelineRecording {
  connectionId: string;
  name: string;
  path: string;
  /** The first and last message times (epoch ms); absent while opening or without messages. */
  from?: number;
  to?: number;
  /** The time the tree shows. */
  at?: number;
  /** Messages in the tree now. */
  applied: number;
  /** Messages in the whole recording (once opened). */
  messages?: number;
  /** While the file is read: what, and how far (0 to 100, absent when unknown). */
  loading?: { what: 'opening' | 'seeking'; percent?: number; messages: number };
}

export interface TimelineRequests {
  /** Shows the recording's tree as it was at `time` (epoch ms); answers the time shown (a newer seek may have taken over). */
  seek: { params: { connectionId: string; time: number }; result: { at: number; superseded: boolean } };
  /** Closes the recording (its offline connection goes). */
  close: { params: { connectionId: string }; result: Record<string, never> };
  /** Runs "MQTT: Open Recording…" (the view's button when nothing is open). */
  open: { params: Record<string, never>; result: Record<string, never> };
}

/** The host's side: answers the page's requests. */
export interface TimelineHostApi {
  requests: TimelineRequests;
  events: ReadyEvents;
}

/** The page's side: told what is open, whenever that changes. */
export interface TimelineWebviewApi {
  requests: Record<never, never>;
  events: { recordings: { recordings: TimelineRecording[] } };
}

const TIMELINE_REQUESTS: Record<keyof TimelineRequests, true> = { seek: true, close: true, open: true };

/** What the page posted, rebuilt from the fields the protocol knows; anything else is dropped (undefined). */
export function parseTimelineMessage(value: unknown): Incoming<TimelineHostApi> | undefined {
  const message = parseMessage(value);
  if (message?.type === 'event') {
    if (message.name !== 'ready' || !isRecord(message.data) || typeof message.data.protocolVersion !== 'number') return undefined;
    return { type: 'event', name: 'ready', data: { protocolVersion: message.data.protocolVersion } };
  }
  if (message?.type !== 'request' || !Object.hasOwn(TIMELINE_REQUESTS, message.name)) return undefined;
  const params = isRecord(message.params) ? message.params : {};
  let parsed: Record<string, unknown>;
  switch (message.name as keyof TimelineRequests) {
    case 'seek':
      if (typeof params.connectionId !== 'string' || typeof params.time !== 'number' || !Number.isFinite(params.time)) return undefined;
      parsed = { connectionId: params.connectionId, time: params.time };
      break;
    case 'close':
      if (typeof params.connectionId !== 'string') return undefined;
      parsed = { connectionId: params.connectionId };
      break;
    case 'open':
      parsed = {};
      break;
  }
  const request: RequestMessage = { type: 'request', id: message.id, name: message.name, params: parsed };
  return request as Incoming<TimelineHostApi>;
}

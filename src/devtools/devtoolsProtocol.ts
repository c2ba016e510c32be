/**
 * Messages between the extension host and the devtools worker thread, where the local broker and
 * the device simulator run. Structured-clone data only. Same shape as the engine's protocol
 * (engineProtocol.ts): requests with ids, one reply each, errors as replies.
 */
import type { FleetPlan, SimulatorOptions } from './simulator';

export interface SimulatorSummary {
  plan: FleetPlan;
  /** Telemetry messages per second of the whole fleet. */
  messagesPerSecond: number;
}

export interface DevtoolsStatus {
  broker: { running: boolean; port: number; clients: number };
  simulator: { running: boolean; messagesSent: number };
}

export interface DevtoolsRequests {
  /** `port` 0 picks a free one; the result is the port bound. A taken port is a `portInUse` error. */
  startBroker: { params: { port: number }; result: { port: number } };
  /** Stops the simulator too: it has nowhere to publish without the broker. */
  stopBroker: { params: Record<string, never>; result: void };
  startSimulator: { params: SimulatorOptions; result: SimulatorSummary };
  stopSimulator: { params: Record<string, never>; result: void };
  status: { params: Record<string, never>; result: DevtoolsStatus };
}

export type DevtoolsRequestName = keyof DevtoolsRequests;

export type DevtoolsRequest = {
  [K in DevtoolsRequestName]: { kind: 'request'; id: number; name: K; params: DevtoolsRequests[K]['params'] };
}[DevtoolsRequestName];

/** `portInUse` carries the port asked for, so the host can say which one and offer another. */
export interface DevtoolsError {
  message: string;
  portInUse?: number;
}

export type DevtoolsReply = { kind: 'reply'; id: number; ok: true; result: unknown } | { kind: 'reply'; id: number; ok: false; error: DevtoolsError };

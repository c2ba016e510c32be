/**
 * Messages between the extension host and the devtools worker thread, where the local broker and
 * the device simulator run, over the rpc endpoint (src/shared/rpc.ts). Structured-clone data only.
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

/** On the wire a taken port is an answer, not an error (an error reply carries a message only); the client turns it into PortInUseError. */
export type DevtoolsWireRequests = Omit<DevtoolsRequests, 'startBroker'> & {
  startBroker: { params: { port: number }; result: { port: number } | { portInUse: number } };
};

/** What the devtools worker handles (rpc.ts `Api`). */
export interface DevtoolsWorkerApi {
  requests: DevtoolsWireRequests;
  events: Record<never, never>;
}

/** The host handles nothing the devtools worker could send: it only asks. */
export interface DevtoolsHostApi {
  requests: Record<never, never>;
  events: Record<never, never>;
}

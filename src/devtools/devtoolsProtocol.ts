/**
 * Messages between the extension host and the devtools worker thread, where the local broker and
 * the device simulator run, over the rpc endpoint (src/shared/rpc.ts). Structured-clone data only.
 */
import type { FleetPlan, SimulatorOptions } from './simulator';

/** The one user name the local broker accepts when it requires authentication. */
export const LOCAL_BROKER_USERNAME = 'mqtt-explorer';

/** The user name and password a client of the local broker must send; never logged. */
export interface BrokerCredentials {
  username: string;
  password: string;
}

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
  /**
   * `port` 0 picks a free one; the result is the port bound. A taken port is a `portInUse` error.
   * With `credentials` the broker refuses every client that does not send them (the password comes
   * from SecretStorage; the worker never logs it).
   */
  startBroker: { params: { port: number; credentials?: BrokerCredentials }; result: { port: number } };
  /** Stops the simulator too: it has nowhere to publish without the broker. */
  stopBroker: { params: Record<string, never>; result: void };
  /** The simulator connects with the running broker's credentials, which the worker already has. */
  startSimulator: { params: Omit<SimulatorOptions, 'credentials'>; result: SimulatorSummary };
  stopSimulator: { params: Record<string, never>; result: void };
  status: { params: Record<string, never>; result: DevtoolsStatus };
}

export type DevtoolsRequestName = keyof DevtoolsRequests;

/** On the wire a taken port is an answer, not an error (an error reply carries a message only); the client turns it into PortInUseError. */
export type DevtoolsWireRequests = Omit<DevtoolsRequests, 'startBroker'> & {
  startBroker: { params: DevtoolsRequests['startBroker']['params']; result: { port: number } | { portInUse: number } };
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

import mqtt from 'mqtt';
import { telemetryEncoder } from './telemetryProto';

// A separate process that floods the broker, so that publishing does not load the thread whose
// event loop the benchmark measures. Loopback only: the broker URL comes from the benchmark.

export interface Job {
  url: string;
  prefix: string;
  messages: number;
  topics: number;
  retain: boolean;
  /** How topics are named: see topicOf and lineTopicOf. */
  layout?: 'fleet' | 'lines';
  /** Messages per second; as fast as the socket takes them when absent. */
  rate?: number;
  /** Every `hotEvery`-th message goes to topic 0, so that one topic floods (the one a panel shows). */
  hotEvery?: number;
  /** The telemetry as JSON text (the default) or Protobuf (bench/telemetryProto.ts, about 30 bytes). */
  payload?: 'json' | 'protobuf';
}

/** What the publisher reports when the broker has acknowledged its last message. */
export interface Sent {
  sent: number;
  seconds: number;
}

/** Device telemetry, varying a little per message. */
export function telemetryFields(seq: number): Record<string, number> {
  return { ts: 1764100000000 + seq, seq, temperature: 20 + (seq % 700) / 100, humidity: 40 + (seq % 200) / 10, battery: 100 - (seq % 60), rssi: -40 - (seq % 50) };
}

/** About 100 bytes of device telemetry as JSON. */
export function telemetry(seq: number): string {
  return JSON.stringify(telemetryFields(seq));
}

export function topicOf(prefix: string, index: number): string {
  return `${prefix}/site-${index % 50}/device-${index}/telemetry`;
}

/** Ten lines of nodes: with 10,000 topics each `line-N` level has 1,000 children. */
export const LINES = 10;

export function lineTopicOf(prefix: string, index: number): string {
  return `${prefix}/line-${index % LINES}/node-${Math.floor(index / LINES)}`;
}

/** How often the paced publisher tops up to its schedule: small enough for an even flow. */
const TICK_MS = 5;

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]) as Job;
  if (!/^mqtt:\/\/(127\.\d+\.\d+\.\d+|localhost):\d+$/.test(job.url)) throw new Error(`refusing to flood a non-loopback broker: ${job.url}`);
  const name = job.layout === 'lines' ? lineTopicOf : topicOf;
  const encode = job.payload === 'protobuf' ? telemetryEncoder() : undefined;
  const payloadOf = (seq: number): string | Buffer => (encode ? Buffer.from(encode(telemetryFields(seq))) : telemetry(seq));
  const client = await mqtt.connectAsync(job.url, { clientId: `bench-publisher-${process.pid}` });
  const stream = client.stream as NodeJS.WritableStream & { writableNeedDrain?: boolean };
  const startedAt = performance.now();
  // The other messages go round every topic in turn, the hot one included.
  let next = 0;
  for (let seq = 0; seq < job.messages; seq++) {
    const index = job.hotEvery && seq % job.hotEvery === 0 ? 0 : next++ % job.topics;
    client.publish(name(job.prefix, index), payloadOf(seq), { qos: 0, retain: job.retain });
    // Bounded memory in this process: wait for the socket when its buffer is full.
    if (stream.writableNeedDrain) await new Promise((resolve) => stream.once('drain', resolve));
    // Paced: ahead of the schedule, wait for the next tick (the loop still ends after `messages`).
    if (job.rate && seq + 1 >= ((performance.now() - startedAt) / 1000) * job.rate) await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  // A QoS 1 marker: once acknowledged, the broker has handled everything sent before it.
  await client.publishAsync('bench-control/done', String(job.messages), { qos: 1 });
  const seconds = (performance.now() - startedAt) / 1000;
  await client.endAsync();
  const sent: Sent = { sent: job.messages, seconds };
  process.send?.(sent);
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

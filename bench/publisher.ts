import mqtt from 'mqtt';

// A separate process that floods the broker, so that publishing does not load the thread whose
// event loop the benchmark measures. Loopback only: the broker URL comes from the benchmark.

interface Job {
  url: string;
  prefix: string;
  messages: number;
  topics: number;
  retain: boolean;
}

/** About 100 bytes of device telemetry, varying a little per message. */
export function telemetry(seq: number): string {
  return JSON.stringify({ ts: 1764100000000 + seq, seq, temperature: 20 + (seq % 700) / 100, humidity: 40 + (seq % 200) / 10, battery: 100 - (seq % 60), rssi: -40 - (seq % 50) });
}

export function topicOf(prefix: string, index: number): string {
  return `${prefix}/site-${index % 50}/device-${index}/telemetry`;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]) as Job;
  if (!/^mqtt:\/\/(127\.\d+\.\d+\.\d+|localhost):\d+$/.test(job.url)) throw new Error(`refusing to flood a non-loopback broker: ${job.url}`);
  const client = await mqtt.connectAsync(job.url, { clientId: `bench-publisher-${process.pid}` });
  const stream = client.stream as NodeJS.WritableStream & { writableNeedDrain?: boolean };
  for (let seq = 0; seq < job.messages; seq++) {
    client.publish(topicOf(job.prefix, seq % job.topics), telemetry(seq), { qos: 0, retain: job.retain });
    // Bounded memory in this process: wait for the socket when its buffer is full.
    if (stream.writableNeedDrain) await new Promise((resolve) => stream.once('drain', resolve));
  }
  // A QoS 1 marker: once acknowledged, the broker has handled everything sent before it.
  await client.publishAsync('bench-control/done', String(job.messages), { qos: 1 });
  await client.endAsync();
  process.send?.({ sent: job.messages });
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

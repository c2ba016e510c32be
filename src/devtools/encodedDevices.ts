import { encode as encodeCbor } from 'cbor2';
import * as protobuf from 'protobufjs';
import type { DecoderBinding } from '../shared/decoderBindings';

/**
 * Two simulated devices with binary payloads, for the decoders bound by `mqttExplorer.decoders`:
 * a Protobuf sensor (its schema below, the one copy: the simulator encodes with it and `npm start`
 * writes it into the playground as the .proto file its binding names) and a CBOR sensor.
 */

export const PROTOBUF_SENSOR_TOPIC = 'fleet/lab/protobuf-sensor/telemetry';
export const CBOR_SENSOR_TOPIC = 'fleet/lab/cbor-sensor/telemetry';

/** Where the playground keeps the schema, relative to its folder (the binding's `schema`). */
export const SIMULATOR_PROTO_PATH = 'protos/simulator.proto';
export const SIMULATOR_PROTO_TYPE = 'simulator.Reading';

export const SIMULATOR_PROTO = `// The Protobuf sensor of the MQTT Explorer device simulator (${PROTOBUF_SENSOR_TOPIC}).
syntax = "proto3";

package simulator;

message Reading {
  enum Status {
    STATUS_UNSPECIFIED = 0;
    STATUS_OK = 1;
    STATUS_WARNING = 2;
    STATUS_FAULT = 3;
  }

  message Location {
    string site = 1;
    double latitude = 2;
    double longitude = 3;
    int32 floor = 4;
  }

  string sensor_id = 1;
  // Milliseconds since 1970 (UTC).
  int64 timestamp_ms = 2;
  uint32 seq = 3;
  double temperature = 4;
  float humidity = 5;
  Status status = 6;
  Location location = 7;
  // The last three vibration samples, in mm/s.
  repeated double vibration = 8;
  bool door_open = 9;
}
`;

/** The bindings that decode these devices' topics, as the playground's settings hold them. */
export function simulatorDecoderBindings(): DecoderBinding[] {
  return [
    { topic: PROTOBUF_SENSOR_TOPIC, format: 'protobuf', type: SIMULATOR_PROTO_TYPE, schema: SIMULATOR_PROTO_PATH },
    { topic: CBOR_SENSOR_TOPIC, format: 'cbor' },
  ];
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

/** The Protobuf sensor's reading number `seq` (one a second), drifting smoothly; field names as in the .proto. */
export function protobufReading(seq: number, now: number): Record<string, unknown> {
  const wave = Math.sin(seq / 15);
  const temperature = round(22 + 3 * wave, 3);
  return {
    sensor_id: 'protobuf-sensor-01',
    timestamp_ms: now,
    seq,
    temperature,
    humidity: round(45 + 10 * Math.cos(seq / 25), 1),
    status: temperature > 24.5 ? 'STATUS_WARNING' : 'STATUS_OK',
    location: { site: 'lab', latitude: 52.5163, longitude: 13.3777, floor: 2 },
    vibration: [0, 1, 2].map((offset) => round(1.2 + 0.8 * Math.abs(Math.sin((seq + offset) / 4)), 3)),
    door_open: seq % 40 < 5,
  };
}

let readingType: protobuf.Type | undefined;

/** The Reading message type, parsed once from SIMULATOR_PROTO (field names as written, like the engine's decoder). */
export function simulatorReadingType(): protobuf.Type {
  readingType ??= protobuf.parse(SIMULATOR_PROTO, { keepCase: true }).root.lookupType(SIMULATOR_PROTO_TYPE);
  return readingType;
}

export function encodeProtobufReading(seq: number, now: number): Buffer {
  const type = simulatorReadingType();
  const bytes = type.encode(type.fromObject(protobufReading(seq, now))).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The CBOR sensor's reading number `seq`: text, integers (one negative), floats, a boolean, null,
 * an array, a nested map, a byte string and a date (tag 1).
 */
export function cborReading(seq: number, now: number): Record<string, unknown> {
  const wave = Math.sin(seq / 20);
  return {
    id: 'cbor-sensor-01',
    time: new Date(now),
    seq,
    co2: Math.round(650 + 200 * wave),
    temperature: round(19.5 + 1.5 * Math.cos(seq / 30), 2),
    rssi: -60 - (seq % 12),
    battery: { volts: round(3.6 - 0.2 * Math.abs(wave), 3), charging: seq % 120 < 30 },
    samples: [0, 1, 2, 3].map((offset) => Math.round(500 + 100 * Math.sin((seq + offset) / 3))),
    firmware: new Uint8Array([2, 4, seq & 0xff]),
    error: null,
  };
}

export function encodeCborReading(seq: number, now: number): Buffer {
  const bytes = encodeCbor(cborReading(seq, now));
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

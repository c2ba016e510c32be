import * as protobuf from 'protobufjs';

/**
 * The bench's telemetry as Protobuf (`npm run bench -- --protobuf`): the fields of the JSON telemetry,
 * encoded by the publisher and decoded by the engine through a decoder binding, as a workspace's
 * .proto file would make it.
 */
export const TELEMETRY_PROTO_FILE = 'bench/telemetry.proto';
export const TELEMETRY_TYPE = 'bench.Telemetry';
export const TELEMETRY_PROTO = `syntax = "proto3";
package bench;

message Telemetry {
  uint64 ts = 1;
  uint32 seq = 2;
  double temperature = 3;
  double humidity = 4;
  uint32 battery = 5;
  sint32 rssi = 6;
}
`;

/** The encoder for the publisher (parsed once per process). */
export function telemetryEncoder(): (fields: Record<string, number>) => Uint8Array {
  const type = protobuf.parse(TELEMETRY_PROTO).root.lookupType(TELEMETRY_TYPE);
  return (fields) => type.encode(type.fromObject(fields)).finish();
}

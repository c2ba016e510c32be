/**
 * Sparkplug B in the engine worker: topics, the stateless payload decoder, the encoder and the
 * Rebirth request, and the per-connection state tracker. Plain Node, no VS Code.
 */
export { decodeSparkplugPayload, DECODED_BY, SPARKPLUG_LIMITS, type MetricDefinition } from './decode';
export { encodeSparkplugPayload, MAX_ENCODE_NESTING, REBIRTH_METRIC, rebirthRequest, type EncodeOptions, type SparkplugEncodeResult } from './encode';
export { DataType, dataTypeName, dataTypeOf } from './schema';
export {
  FLAGS_KEPT,
  SPARKPLUG_CAPS,
  SparkplugState,
  type DeviceStatus,
  type EdgeNodeStatus,
  type SparkplugCaps,
  type SparkplugChange,
  type SparkplugFlag,
  type SparkplugStats,
  type SparkplugStatus,
} from './state';
export { DEVICE_TYPES, inSparkplugNamespace, NAMESPACE, NODE_TYPES, parseSparkplugTopic, sparkplugTopic, type SparkplugMessageType, type SparkplugTopic, type TopicReading } from './topic';

import { Root, type Type } from 'protobufjs/light';

/**
 * The Sparkplug B payload (`org.eclipse.tahu.protobuf.Payload`) as a protobufjs reflection
 * descriptor, written from the field numbers and types of the Sparkplug 3.0 specification's payload
 * definition (section 6.4 and its Appendix A). proto2: every singular field tracks presence (a
 * decoded message has it as an own property only when it was on the wire), and repeated numbers are
 * written unpacked, as the specification's `.proto` (proto2, no `packed` option) would have them.
 * A decoder accepts both packed and unpacked forms.
 *
 * The `extensions N to max` ranges are kept so that a third party's extension fields are skipped as
 * unknown fields, not refused.
 */

const MAX_FIELD = 536870911;

/** Field descriptors in protobufjs's JSON form. */
type Fields = Record<string, { type: string; id: number; rule?: 'repeated' }>;

/** The value oneof that Metric, PropertyValue, Template.Parameter and DataSet.DataSetValue share (from `first` on). */
function scalarValues(first: number): Fields {
  return {
    intValue: { type: 'uint32', id: first },
    longValue: { type: 'uint64', id: first + 1 },
    floatValue: { type: 'float', id: first + 2 },
    doubleValue: { type: 'double', id: first + 3 },
    booleanValue: { type: 'bool', id: first + 4 },
    stringValue: { type: 'string', id: first + 5 },
  };
}

/** An extension message with nothing but its extension range (the `*ValueExtension` messages). */
const extensionOnly = { edition: 'proto2', fields: {}, extensions: [[1, MAX_FIELD]] };

const DESCRIPTOR = {
  nested: {
    org: {
      nested: {
        eclipse: {
          nested: {
            tahu: {
              nested: {
                protobuf: {
                  nested: {
                    Payload: {
                      edition: 'proto2',
                      fields: {
                        timestamp: { type: 'uint64', id: 1 },
                        metrics: { rule: 'repeated', type: 'Metric', id: 2 },
                        seq: { type: 'uint64', id: 3 },
                        uuid: { type: 'string', id: 4 },
                        body: { type: 'bytes', id: 5 },
                      },
                      extensions: [[6, MAX_FIELD]],
                      nested: {
                        Template: {
                          edition: 'proto2',
                          fields: {
                            version: { type: 'string', id: 1 },
                            metrics: { rule: 'repeated', type: 'Metric', id: 2 },
                            parameters: { rule: 'repeated', type: 'Parameter', id: 3 },
                            templateRef: { type: 'string', id: 4 },
                            isDefinition: { type: 'bool', id: 5 },
                          },
                          extensions: [[6, MAX_FIELD]],
                          nested: {
                            Parameter: {
                              edition: 'proto2',
                              oneofs: { value: { oneof: ['intValue', 'longValue', 'floatValue', 'doubleValue', 'booleanValue', 'stringValue', 'extensionValue'] } },
                              fields: {
                                name: { type: 'string', id: 1 },
                                type: { type: 'uint32', id: 2 },
                                ...scalarValues(3),
                                extensionValue: { type: 'ParameterValueExtension', id: 9 },
                              },
                              nested: { ParameterValueExtension: extensionOnly },
                            },
                          },
                        },
                        DataSet: {
                          edition: 'proto2',
                          fields: {
                            numOfColumns: { type: 'uint64', id: 1 },
                            columns: { rule: 'repeated', type: 'string', id: 2 },
                            types: { rule: 'repeated', type: 'uint32', id: 3 },
                            rows: { rule: 'repeated', type: 'Row', id: 4 },
                          },
                          extensions: [[5, MAX_FIELD]],
                          nested: {
                            DataSetValue: {
                              edition: 'proto2',
                              oneofs: { value: { oneof: ['intValue', 'longValue', 'floatValue', 'doubleValue', 'booleanValue', 'stringValue', 'extensionValue'] } },
                              fields: { ...scalarValues(1), extensionValue: { type: 'DataSetValueExtension', id: 7 } },
                              nested: { DataSetValueExtension: extensionOnly },
                            },
                            Row: {
                              edition: 'proto2',
                              fields: { elements: { rule: 'repeated', type: 'DataSetValue', id: 1 } },
                              extensions: [[2, MAX_FIELD]],
                            },
                          },
                        },
                        PropertyValue: {
                          edition: 'proto2',
                          oneofs: {
                            value: {
                              oneof: ['intValue', 'longValue', 'floatValue', 'doubleValue', 'booleanValue', 'stringValue', 'propertysetValue', 'propertysetsValue', 'extensionValue'],
                            },
                          },
                          fields: {
                            type: { type: 'uint32', id: 1 },
                            isNull: { type: 'bool', id: 2 },
                            ...scalarValues(3),
                            propertysetValue: { type: 'PropertySet', id: 9 },
                            propertysetsValue: { type: 'PropertySetList', id: 10 },
                            extensionValue: { type: 'PropertyValueExtension', id: 11 },
                          },
                          nested: { PropertyValueExtension: extensionOnly },
                        },
                        PropertySet: {
                          edition: 'proto2',
                          fields: {
                            keys: { rule: 'repeated', type: 'string', id: 1 },
                            values: { rule: 'repeated', type: 'PropertyValue', id: 2 },
                          },
                          extensions: [[3, MAX_FIELD]],
                        },
                        PropertySetList: {
                          edition: 'proto2',
                          fields: { propertyset: { rule: 'repeated', type: 'PropertySet', id: 1 } },
                          extensions: [[2, MAX_FIELD]],
                        },
                        MetaData: {
                          edition: 'proto2',
                          fields: {
                            isMultiPart: { type: 'bool', id: 1 },
                            contentType: { type: 'string', id: 2 },
                            size: { type: 'uint64', id: 3 },
                            seq: { type: 'uint64', id: 4 },
                            fileName: { type: 'string', id: 5 },
                            fileType: { type: 'string', id: 6 },
                            md5: { type: 'string', id: 7 },
                            description: { type: 'string', id: 8 },
                          },
                          extensions: [[9, MAX_FIELD]],
                        },
                        Metric: {
                          edition: 'proto2',
                          oneofs: {
                            value: {
                              oneof: [
                                'intValue',
                                'longValue',
                                'floatValue',
                                'doubleValue',
                                'booleanValue',
                                'stringValue',
                                'bytesValue',
                                'datasetValue',
                                'templateValue',
                                'extensionValue',
                              ],
                            },
                          },
                          fields: {
                            name: { type: 'string', id: 1 },
                            alias: { type: 'uint64', id: 2 },
                            timestamp: { type: 'uint64', id: 3 },
                            datatype: { type: 'uint32', id: 4 },
                            isHistorical: { type: 'bool', id: 5 },
                            isTransient: { type: 'bool', id: 6 },
                            isNull: { type: 'bool', id: 7 },
                            metadata: { type: 'MetaData', id: 8 },
                            properties: { type: 'PropertySet', id: 9 },
                            ...scalarValues(10),
                            bytesValue: { type: 'bytes', id: 16 },
                            datasetValue: { type: 'DataSet', id: 17 },
                            templateValue: { type: 'Template', id: 18 },
                            extensionValue: { type: 'MetricValueExtension', id: 19 },
                          },
                          nested: { MetricValueExtension: extensionOnly },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

const root = Root.fromJSON(DESCRIPTOR);
root.resolveAll();

const PACKAGE = 'org.eclipse.tahu.protobuf.';
/** The reflected message types, resolved once. */
export const PayloadType: Type = root.lookupType(`${PACKAGE}Payload`);

/**
 * The Sparkplug B data types (the specification's DataType enum, 3.0). Metrics, property values,
 * template parameters and data set columns name their type by this number.
 */
export enum DataType {
  Unknown = 0,
  Int8 = 1,
  Int16 = 2,
  Int32 = 3,
  Int64 = 4,
  UInt8 = 5,
  UInt16 = 6,
  UInt32 = 7,
  UInt64 = 8,
  Float = 9,
  Double = 10,
  Boolean = 11,
  String = 12,
  DateTime = 13,
  Text = 14,
  UUID = 15,
  DataSet = 16,
  Bytes = 17,
  File = 18,
  Template = 19,
  PropertySet = 20,
  PropertySetList = 21,
  Int8Array = 22,
  Int16Array = 23,
  Int32Array = 24,
  Int64Array = 25,
  UInt8Array = 26,
  UInt16Array = 27,
  UInt32Array = 28,
  UInt64Array = 29,
  FloatArray = 30,
  DoubleArray = 31,
  BooleanArray = 32,
  StringArray = 33,
  DateTimeArray = 34,
}

/** The names of the data types, indexed by their number. */
export const DATA_TYPE_NAMES: readonly string[] = [
  'Unknown',
  'Int8',
  'Int16',
  'Int32',
  'Int64',
  'UInt8',
  'UInt16',
  'UInt32',
  'UInt64',
  'Float',
  'Double',
  'Boolean',
  'String',
  'DateTime',
  'Text',
  'UUID',
  'DataSet',
  'Bytes',
  'File',
  'Template',
  'PropertySet',
  'PropertySetList',
  'Int8Array',
  'Int16Array',
  'Int32Array',
  'Int64Array',
  'UInt8Array',
  'UInt16Array',
  'UInt32Array',
  'UInt64Array',
  'FloatArray',
  'DoubleArray',
  'BooleanArray',
  'StringArray',
  'DateTimeArray',
];

/** The name of a data type: "Int32", or "DataType 99" for a number the specification does not define. */
export function dataTypeName(type: number): string {
  return DATA_TYPE_NAMES[type] ?? `DataType ${type}`;
}

const BY_NAME = new Map(DATA_TYPE_NAMES.map((name, index) => [name.toLowerCase(), index]));

/** A data type by name (any case: "double", "UInt64") or by its number; undefined when it is neither. */
export function dataTypeOf(nameOrNumber: string | number): number | undefined {
  if (typeof nameOrNumber === 'number') return Number.isInteger(nameOrNumber) && nameOrNumber > 0 && nameOrNumber < DATA_TYPE_NAMES.length ? nameOrNumber : undefined;
  const type = BY_NAME.get(nameOrNumber.toLowerCase());
  return type === undefined || type === DataType.Unknown ? undefined : type;
}

/** The decoded messages as protobufjs hands them over: a field is an own property only when it was on the wire. */
export interface LongLike {
  low: number;
  high: number;
  unsigned: boolean;
}
export type Uint64 = number | LongLike;

export interface ScalarHolder {
  intValue?: number;
  longValue?: Uint64;
  floatValue?: number;
  doubleValue?: number;
  booleanValue?: boolean;
  stringValue?: string;
  extensionValue?: object;
}
export interface PbPropertyValue extends ScalarHolder {
  type?: number;
  isNull?: boolean;
  propertysetValue?: PbPropertySet;
  propertysetsValue?: PbPropertySetList;
}
export interface PbPropertySet {
  keys: string[];
  values: PbPropertyValue[];
}
export interface PbPropertySetList {
  propertyset: PbPropertySet[];
}
export interface PbMetaData {
  isMultiPart?: boolean;
  contentType?: string;
  size?: Uint64;
  seq?: Uint64;
  fileName?: string;
  fileType?: string;
  md5?: string;
  description?: string;
}
export interface PbDataSet {
  numOfColumns?: Uint64;
  columns: string[];
  types: number[];
  rows: { elements: ScalarHolder[] }[];
}
export interface PbParameter extends ScalarHolder {
  name?: string;
  type?: number;
}
export interface PbTemplate {
  version?: string;
  metrics: PbMetric[];
  parameters: PbParameter[];
  templateRef?: string;
  isDefinition?: boolean;
}
export interface PbMetric extends ScalarHolder {
  name?: string;
  alias?: Uint64;
  timestamp?: Uint64;
  datatype?: number;
  isHistorical?: boolean;
  isTransient?: boolean;
  isNull?: boolean;
  metadata?: PbMetaData;
  properties?: PbPropertySet;
  bytesValue?: Uint8Array;
  datasetValue?: PbDataSet;
  templateValue?: PbTemplate;
}
export interface PbPayload {
  timestamp?: Uint64;
  metrics: PbMetric[];
  seq?: Uint64;
  uuid?: string;
  body?: Uint8Array;
}

import protobuf from 'protobufjs';

/**
 * Writes small ONNX graphs for tests and benchmarks, from the subset of onnx.proto they need
 * (field numbers as in onnx/onnx.proto3), so no binary model has to be checked in.
 */
const schema = protobuf.parse(`
syntax = "proto3";
package onnx;
message ModelProto { int64 ir_version = 1; string producer_name = 2; GraphProto graph = 7; repeated OperatorSetIdProto opset_import = 8; }
message OperatorSetIdProto { string domain = 1; int64 version = 2; }
message GraphProto { repeated NodeProto node = 1; string name = 2; repeated TensorProto initializer = 5; repeated ValueInfoProto input = 11; repeated ValueInfoProto output = 12; }
message NodeProto { repeated string input = 1; repeated string output = 2; string name = 3; string op_type = 4; repeated AttributeProto attribute = 5; }
message AttributeProto { string name = 1; float f = 2; int64 i = 3; repeated int64 ints = 8; int32 type = 20; }
message TensorProto { repeated int64 dims = 1; int32 data_type = 2; repeated float float_data = 4; string name = 8; }
message ValueInfoProto { string name = 1; TypeProto type = 2; }
message TypeProto { TensorTypeProto tensor_type = 1; }
message TensorTypeProto { int32 elem_type = 1; TensorShapeProto shape = 2; }
message TensorShapeProto { repeated Dimension dim = 1; }
message Dimension { int64 dim_value = 1; string dim_param = 2; }
`, { keepCase: true }).root;

const FLOAT = 1;
const ATTRIBUTE_INT = 2;
const ATTRIBUTE_INTS = 7;

export interface LinearModelSpec {
  inputName?: string;
  outputName?: string;
  layout?: 'NCHW' | 'NHWC';
  channels: number;
  height: number;
  width: number;
  /** weights[c][k]: the mean of input channel c times weights[c][k], plus bias[k], gives output k. */
  weights: number[][];
  bias: number[];
  /** A fixed batch of 1 instead of a dynamic batch axis. */
  fixedBatch?: boolean;
  /** Also output the channel means [N, C] under this name: the "features" a scope check measures. */
  featuresOutput?: string;
}

/**
 * out[n][k] = bias[k] + Σ_c weights[c][k] · mean over pixels of input[n][c].
 * Simple enough that a test can compute the expected output by hand.
 */
export function linearMeanModel(spec: LinearModelSpec): Uint8Array {
  const layout = spec.layout ?? 'NCHW';
  const k = spec.bias.length;
  const batch = spec.fixedBatch ? { dim_value: 1 } : { dim_param: 'batch' };
  const dims =
    layout === 'NCHW'
      ? [batch, { dim_value: spec.channels }, { dim_value: spec.height }, { dim_value: spec.width }]
      : [batch, { dim_value: spec.height }, { dim_value: spec.width }, { dim_value: spec.channels }];
  const spatialAxes = layout === 'NCHW' ? [2, 3] : [1, 2];
  const inputName = spec.inputName ?? 'image';
  const outputName = spec.outputName ?? 'logit';
  const ModelProto = schema.lookupType('onnx.ModelProto');
  const model = ModelProto.create({
    ir_version: 8,
    producer_name: 'metascope-tests',
    opset_import: [{ domain: '', version: 13 }],
    graph: {
      name: 'linear_mean',
      node: [
        {
          op_type: 'ReduceMean',
          input: [inputName],
          output: ['channel_means'],
          attribute: [
            { name: 'axes', ints: spatialAxes, type: ATTRIBUTE_INTS },
            { name: 'keepdims', i: 0, type: ATTRIBUTE_INT },
          ],
        },
        { op_type: 'MatMul', input: ['channel_means', 'weights'], output: ['weighted'] },
        { op_type: 'Add', input: ['weighted', 'bias'], output: [outputName] },
        ...(spec.featuresOutput ? [{ op_type: 'Identity', input: ['channel_means'], output: [spec.featuresOutput] }] : []),
      ],
      initializer: [
        { name: 'weights', dims: [spec.channels, k], data_type: FLOAT, float_data: spec.weights.flat() },
        { name: 'bias', dims: [k], data_type: FLOAT, float_data: spec.bias },
      ],
      input: [{ name: inputName, type: { tensor_type: { elem_type: FLOAT, shape: { dim: dims } } } }],
      output: [
        {
          name: outputName,
          type: { tensor_type: { elem_type: FLOAT, shape: { dim: [batch, { dim_value: k }] } } },
        },
        ...(spec.featuresOutput
          ? [
              {
                name: spec.featuresOutput,
                type: { tensor_type: { elem_type: FLOAT, shape: { dim: [batch, { dim_value: spec.channels }] } } },
              },
            ]
          : []),
      ],
    },
  });
  return ModelProto.encode(model).finish();
}

export interface ThresholdDetectorSpec {
  inputName?: string;
  outputName?: string;
  /** foreground logit = gain · input + offset; the boundary logit is a constant -10 (no boundaries). */
  gain: number;
  offset: number;
}

/**
 * A stand-in cell detector of any field size: [N,1,H,W] → [N,2,H,W], channel 0 a foreground logit
 * that rises with brightness, channel 1 a boundary logit that is always low. Bright discs on a dark
 * background come out as one cell each.
 */
export function thresholdDetectorModel(spec: ThresholdDetectorSpec): Uint8Array {
  const inputName = spec.inputName ?? 'image';
  const outputName = spec.outputName ?? 'maps';
  const dynamic = [{ dim_param: 'batch' }, { dim_value: 1 }, { dim_param: 'height' }, { dim_param: 'width' }];
  const scalar = (name: string, value: number) => ({ name, dims: [], data_type: FLOAT, float_data: [value] });
  const ModelProto = schema.lookupType('onnx.ModelProto');
  const model = ModelProto.create({
    ir_version: 8,
    producer_name: 'metascope-tests',
    opset_import: [{ domain: '', version: 13 }],
    graph: {
      name: 'threshold_detector',
      node: [
        { op_type: 'Mul', input: [inputName, 'gain'], output: ['scaled'] },
        { op_type: 'Add', input: ['scaled', 'offset'], output: ['foreground'] },
        { op_type: 'Mul', input: [inputName, 'zero'], output: ['nothing'] },
        { op_type: 'Add', input: ['nothing', 'low'], output: ['boundary'] },
        {
          op_type: 'Concat',
          input: ['foreground', 'boundary'],
          output: [outputName],
          attribute: [{ name: 'axis', i: 1, type: ATTRIBUTE_INT }],
        },
      ],
      initializer: [scalar('gain', spec.gain), scalar('offset', spec.offset), scalar('zero', 0), scalar('low', -10)],
      input: [{ name: inputName, type: { tensor_type: { elem_type: FLOAT, shape: { dim: dynamic } } } }],
      output: [
        {
          name: outputName,
          type: {
            tensor_type: {
              elem_type: FLOAT,
              shape: { dim: [{ dim_param: 'batch' }, { dim_value: 2 }, { dim_param: 'height' }, { dim_param: 'width' }] },
            },
          },
        },
      ],
    },
  });
  return ModelProto.encode(model).finish();
}

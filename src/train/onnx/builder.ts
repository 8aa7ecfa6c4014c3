/**
 * The graph-building half of the ONNX surface: what a model definition needs to describe itself. It loads
 * no ONNX Runtime, so the spec's validation can ask a model for its default sizes and its own size checks
 * without starting the native runtime in the `tune` process.
 */
export { Graph, GraphError, isFloat, type DType, type FloatDType, type Shape, type Value, type OpType, type TensorData } from './graph.js';
export * from './ops.js';
export * from './nn.js';

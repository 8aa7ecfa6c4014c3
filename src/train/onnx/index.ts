/** The public surface of the ONNX graph builder, its autodiff and its runner. */
export { Graph, GraphError, isFloat, type DType, type FloatDType, type Shape, type Value, type OpType, type TensorData } from './graph.js';
export * from './ops.js';
export * from './nn.js';
export { gradients } from './autodiff.js';
export { gradRules, type Rule } from './grad-rules.js';
export { toModel, toBytes, OPSET, IR_VERSION } from './emit.js';
export { compile, type Runner, type Feed, type CompileOptions } from './runner.js';

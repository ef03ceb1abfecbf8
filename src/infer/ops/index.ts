// The one table from ONNX op type to its GPU implementation.
import type { OpDef } from './types.js';
import { unaryOps } from './unary.js';
import { binaryOps } from './binary.js';
import { Where } from './where.js';
import { Conv } from './conv.js';
import { ConvTranspose } from './conv-transpose.js';
import { BatchNormalization } from './batch-norm.js';
import { InstanceNormalization } from './instance-norm.js';
import { LayerNormalization } from './layer-norm.js';
import { AveragePool, MaxPool } from './pool.js';
import { GlobalAveragePool, GlobalMaxPool, reduceOps } from './reduce.js';
import { Gemm } from './gemm.js';
import { MatMul } from './matmul.js';
import { LogSoftmax, Softmax } from './softmax.js';
import { Dropout, Flatten, Identity, Reshape, Squeeze, Unsqueeze } from './views.js';
import { Transpose } from './transpose.js';
import { Concat } from './concat.js';
import { Split } from './split.js';
import { Slice } from './slice.js';
import { Gather } from './gather.js';
import { Expand } from './expand.js';
import { Tile } from './tile.js';
import { Pad } from './pad.js';
import { Trilu } from './trilu.js';
import { Cast } from './cast.js';
import { ConstantOfShape } from './constant-of-shape.js';

export const gpuOps: Record<string, OpDef> = {
  ...unaryOps,
  ...binaryOps,
  ...reduceOps,
  Where, Conv, ConvTranspose, BatchNormalization, InstanceNormalization, LayerNormalization,
  MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, Gemm, MatMul, Softmax, LogSoftmax,
  Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout,
  Transpose, Concat, Split, Slice, Gather, Expand, Tile, Pad, Trilu, Cast, ConstantOfShape,
};

export type { OpDef, Meta, Tensor } from './types.js';

"""The output args of TensorFlow's ops: op type -> ((name, number_attr, type_list_attr), ...), as
TensorFlow 2.21's op registry defines them. Written by tests/data/make_tf_op_outputs.py; do not edit.
A FunctionDef refers to output ``k`` of list arg ``name`` of node ``n`` as ``n:name:k``."""

OUTPUT_ARGS = {
    'Abs': (('y', '', ''),), 'Add': (('z', '', ''),), 'AddN': (('sum', '', ''),), 'AddV2': (('z', '', ''),), 'All':
    (('output', '', ''),), 'Any': (('output', '', ''),), 'ApplyAdam': (('out', '', ''),), 'ArgMax': (('output', '',
    ''),), 'ArgMin': (('output', '', ''),), 'AsString': (('output', '', ''),), 'Assert': (), 'Assign': (('output_ref',
    '', ''),), 'AssignAdd': (('output_ref', '', ''),), 'AssignSub': (('output_ref', '', ''),), 'AvgPool': (('output',
    '', ''),), 'AvgPoolGrad': (('output', '', ''),), 'BatchMatMul': (('output', '', ''),), 'BatchMatMulV2':
    (('output', '', ''),), 'BiasAdd': (('output', '', ''),), 'BiasAddGrad': (('output', '', ''),),
    'BroadcastGradientArgs': (('r0', '', ''), ('r1', '', '')), 'BroadcastTo': (('output', '', ''),), 'Cast': (('y',
    '', ''),), 'Ceil': (('y', '', ''),), 'CheckNumerics': (('output', '', ''),), 'Cholesky': (('output', '', ''),),
    'Concat': (('output', '', ''),), 'ConcatV2': (('output', '', ''),), 'Const': (('output', '', ''),), 'Conv2D':
    (('output', '', ''),), 'Conv2DBackpropFilter': (('output', '', ''),), 'Conv2DBackpropInput': (('output', '',
    ''),), 'Cos': (('y', '', ''),), 'Cumprod': (('out', '', ''),), 'Cumsum': (('out', '', ''),), 'DecodeCSV':
    (('output', '', 'OUT_TYPE'),), 'DecodeImage': (('image', '', ''),), 'DecodeJpeg': (('image', '', ''),),
    'DecodePng': (('image', '', ''),), 'DecodeRaw': (('output', '', ''),), 'DepthwiseConv2dNative': (('output', '',
    ''),), 'DepthwiseConv2dNativeBackpropFilter': (('output', '', ''),), 'DepthwiseConv2dNativeBackpropInput':
    (('output', '', ''),), 'Diag': (('output', '', ''),), 'DiagPart': (('diagonal', '', ''),), 'Einsum': (('output',
    '', ''),), 'Elu': (('activations', '', ''),), 'EncodeJpeg': (('contents', '', ''),), 'EncodePng': (('contents',
    '', ''),), 'Enter': (('output', '', ''),), 'Equal': (('z', '', ''),), 'Exit': (('output', '', ''),), 'Exp': (('y',
    '', ''),), 'ExpandDims': (('output', '', ''),), 'Expm1': (('y', '', ''),), 'FIFOQueueV2': (('handle', '', ''),),
    'Fill': (('output', '', ''),), 'Floor': (('y', '', ''),), 'FloorDiv': (('z', '', ''),), 'FloorMod': (('z', '',
    ''),), 'FusedBatchNorm': (('y', '', ''), ('batch_mean', '', ''), ('batch_variance', '', ''), ('reserve_space_1',
    '', ''), ('reserve_space_2', '', '')), 'FusedBatchNormV2': (('y', '', ''), ('batch_mean', '', ''),
    ('batch_variance', '', ''), ('reserve_space_1', '', ''), ('reserve_space_2', '', '')), 'FusedBatchNormV3': (('y',
    '', ''), ('batch_mean', '', ''), ('batch_variance', '', ''), ('reserve_space_1', '', ''), ('reserve_space_2', '',
    ''), ('reserve_space_3', '', '')), 'GatherNd': (('output', '', ''),), 'GatherV2': (('output', '', ''),),
    'Greater': (('z', '', ''),), 'GreaterEqual': (('z', '', ''),), 'HistogramSummary': (('summary', '', ''),),
    'Identity': (('output', '', ''),), 'IdentityN': (('output', '', 'T'),), 'If': (('output', '', 'Tout'),),
    'ImageSummary': (('summary', '', ''),), 'InTopKV2': (('precision', '', ''),), 'IsFinite': (('y', '', ''),),
    'IsInf': (('y', '', ''),), 'IsNan': (('y', '', ''),), 'LeakyRelu': (('activations', '', ''),), 'Less': (('z', '',
    ''),), 'LessEqual': (('z', '', ''),), 'ListDiff': (('out', '', ''), ('idx', '', '')), 'Log': (('y', '', ''),),
    'Log1p': (('y', '', ''),), 'LogSoftmax': (('logsoftmax', '', ''),), 'LogicalAnd': (('z', '', ''),), 'LogicalNot':
    (('y', '', ''),), 'LogicalOr': (('z', '', ''),), 'LoopCond': (('output', '', ''),), 'MatMul': (('product', '',
    ''),), 'MatrixBandPart': (('band', '', ''),), 'MatrixInverse': (('output', '', ''),), 'Max': (('output', '',
    ''),), 'MaxPool': (('output', '', ''),), 'MaxPoolGrad': (('output', '', ''),), 'MaxPoolGradGrad': (('output', '',
    ''),), 'Maximum': (('z', '', ''),), 'Mean': (('output', '', ''),), 'Merge': (('output', '', ''), ('value_index',
    '', '')), 'MergeSummary': (('summary', '', ''),), 'Min': (('output', '', ''),), 'Minimum': (('z', '', ''),),
    'MirrorPad': (('output', '', ''),), 'MirrorPadGrad': (('output', '', ''),), 'Mul': (('z', '', ''),), 'Neg': (('y',
    '', ''),), 'NextIteration': (('output', '', ''),), 'NoOp': (), 'NotEqual': (('z', '', ''),), 'OneHot': (('output',
    '', ''),), 'OnesLike': (('y', '', ''),), 'Pack': (('output', '', ''),), 'Pad': (('output', '', ''),), 'PadV2':
    (('output', '', ''),), 'ParseExample': (('sparse_indices', 'Nsparse', ''), ('sparse_values', '', 'sparse_types'),
    ('sparse_shapes', 'Nsparse', ''), ('dense_values', '', 'Tdense')), 'ParseExampleV2': (('sparse_indices',
    'num_sparse', ''), ('sparse_values', '', 'sparse_types'), ('sparse_shapes', 'num_sparse', ''), ('dense_values',
    '', 'Tdense'), ('ragged_values', '', 'ragged_value_types'), ('ragged_row_splits', '', 'ragged_split_types')),
    'ParseSingleExample': (('sparse_indices', 'num_sparse', ''), ('sparse_values', '', 'sparse_types'),
    ('sparse_shapes', 'num_sparse', ''), ('dense_values', '', 'Tdense')), 'Placeholder': (('output', '', ''),),
    'PlaceholderWithDefault': (('output', '', ''),), 'Pow': (('z', '', ''),), 'PreventGradient': (('output', '',
    ''),), 'Print': (('output', '', ''),), 'Prod': (('output', '', ''),), 'QueueCloseV2': (), 'QueueDequeueManyV2':
    (('components', '', 'component_types'),), 'QueueDequeueUpToV2': (('components', '', 'component_types'),),
    'QueueDequeueV2': (('components', '', 'component_types'),), 'QueueEnqueueManyV2': (), 'QueueEnqueueV2': (),
    'QueueSizeV2': (('size', '', ''),), 'RandomShuffleQueueV2': (('handle', '', ''),), 'RandomStandardNormal':
    (('output', '', ''),), 'RandomUniform': (('output', '', ''),), 'RandomUniformInt': (('output', '', ''),), 'Range':
    (('output', '', ''),), 'Rank': (('output', '', ''),), 'ReadFile': (('contents', '', ''),), 'RealDiv': (('z', '',
    ''),), 'Reciprocal': (('y', '', ''),), 'RefEnter': (('output', '', ''),), 'RefExit': (('output', '', ''),),
    'RefMerge': (('output', '', ''), ('value_index', '', '')), 'RefNextIteration': (('output', '', ''),), 'RefSwitch':
    (('output_false', '', ''), ('output_true', '', '')), 'RegexReplace': (('output', '', ''),), 'Relu':
    (('activations', '', ''),), 'Relu6': (('activations', '', ''),), 'Reshape': (('output', '', ''),),
    'ResizeBicubic': (('resized_images', '', ''),), 'ResizeBicubicGrad': (('output', '', ''),), 'ResizeBilinear':
    (('resized_images', '', ''),), 'ResizeBilinearGrad': (('output', '', ''),), 'ResizeNearestNeighbor':
    (('resized_images', '', ''),), 'ResizeNearestNeighborGrad': (('output', '', ''),), 'ReverseSequence': (('output',
    '', ''),), 'ReverseV2': (('output', '', ''),), 'Round': (('y', '', ''),), 'Rsqrt': (('y', '', ''),),
    'ScalarSummary': (('summary', '', ''),), 'ScatterNd': (('output', '', ''),), 'SegmentMax': (('output', '', ''),),
    'SegmentMean': (('output', '', ''),), 'SegmentMin': (('output', '', ''),), 'SegmentProd': (('output', '', ''),),
    'SegmentSum': (('output', '', ''),), 'Select': (('output', '', ''),), 'SelectV2': (('output', '', ''),), 'Selu':
    (('activations', '', ''),), 'Shape': (('output', '', ''),), 'Sigmoid': (('y', '', ''),), 'Sign': (('y', '', ''),),
    'Sin': (('y', '', ''),), 'Size': (('output', '', ''),), 'Slice': (('output', '', ''),), 'Snapshot': (('output',
    '', ''),), 'Softmax': (('softmax', '', ''),), 'Softplus': (('activations', '', ''),), 'Softsign': (('activations',
    '', ''),), 'SparseAdd': (('sum_indices', '', ''), ('sum_values', '', ''), ('sum_shape', '', '')),
    'SparseReduceSum': (('output', '', ''),), 'SparseReorder': (('output_indices', '', ''), ('output_values', '',
    '')), 'SparseTensorDenseAdd': (('output', '', ''),), 'SparseTensorDenseMatMul': (('product', '', ''),),
    'SparseToDense': (('dense', '', ''),), 'Split': (('output', 'num_split', ''),), 'SplitV': (('output', 'num_split',
    ''),), 'Sqrt': (('y', '', ''),), 'Square': (('y', '', ''),), 'SquaredDifference': (('z', '', ''),), 'Squeeze':
    (('output', '', ''),), 'StatelessIf': (('output', '', 'Tout'),), 'StatelessWhile': (('output', '', 'T'),),
    'StopGradient': (('output', '', ''),), 'StridedSlice': (('output', '', ''),), 'StridedSliceGrad': (('output', '',
    ''),), 'StringJoin': (('output', '', ''),), 'StringLength': (('output', '', ''),), 'StringLower': (('output', '',
    ''),), 'StringSplit': (('indices', '', ''), ('values', '', ''), ('shape', '', '')), 'StringSplitV2': (('indices',
    '', ''), ('values', '', ''), ('shape', '', '')), 'StringStrip': (('output', '', ''),), 'StringToNumber':
    (('output', '', ''),), 'StringUpper': (('output', '', ''),), 'Sub': (('z', '', ''),), 'Substr': (('output', '',
    ''),), 'Sum': (('output', '', ''),), 'Svd': (('s', '', ''), ('u', '', ''), ('v', '', '')), 'Switch':
    (('output_false', '', ''), ('output_true', '', '')), 'Tanh': (('y', '', ''),), 'TensorArray': (('handle', '',
    ''),), 'TensorArrayCloseV3': (), 'TensorArrayConcatV3': (('value', '', ''), ('lengths', '', '')),
    'TensorArrayGather': (('value', '', ''),), 'TensorArrayGatherV3': (('value', '', ''),), 'TensorArrayReadV3':
    (('value', '', ''),), 'TensorArrayScatter': (('flow_out', '', ''),), 'TensorArrayScatterV3': (('flow_out', '',
    ''),), 'TensorArraySizeV3': (('size', '', ''),), 'TensorArraySplitV3': (('flow_out', '', ''),), 'TensorArrayV3':
    (('handle', '', ''), ('flow', '', '')), 'TensorArrayWriteV3': (('flow_out', '', ''),), 'TensorListFromTensor':
    (('output_handle', '', ''),), 'TensorListGather': (('values', '', ''),), 'TensorListGetItem': (('item', '', ''),),
    'TensorListLength': (('length', '', ''),), 'TensorListReserve': (('handle', '', ''),), 'TensorListSetItem':
    (('output_handle', '', ''),), 'TensorListStack': (('tensor', '', ''),), 'TensorScatterAdd': (('output', '', ''),),
    'TensorScatterSub': (('output', '', ''),), 'TensorScatterUpdate': (('output', '', ''),), 'Tile': (('output', '',
    ''),), 'TopKV2': (('values', '', ''), ('indices', '', '')), 'Transpose': (('y', '', ''),), 'TruncatedNormal':
    (('output', '', ''),), 'Unique': (('y', '', ''), ('idx', '', '')), 'Unpack': (('output', 'num', ''),),
    'UnsortedSegmentMax': (('output', '', ''),), 'UnsortedSegmentMin': (('output', '', ''),), 'UnsortedSegmentProd':
    (('output', '', ''),), 'UnsortedSegmentSum': (('output', '', ''),), 'Variable': (('ref', '', ''),), 'VariableV2':
    (('ref', '', ''),), 'Where': (('index', '', ''),), 'While': (('output', '', 'T'),), 'ZerosLike': (('y', '', ''),)
}

"""``tf.layers`` (TF1's layers): the classes (``Dense``, ``Conv2D``, ``BatchNormalization``, ...) and
their functional forms (``dense``, ``conv2d``, ``batch_normalization``, ...).

Each layer opens ``tf.variable_scope(name, default_name=<layer>, reuse=reuse)``, so its
variables are ``dense/kernel:0``, ``dense/bias:0``, then ``dense_1/...`` for the next layer, and
``reuse=True`` with the same ``name`` shares them. Kernels default to glorot uniform (the
default of ``tf.get_variable``), biases to zeros, as TF1.
"""
from graphc.layers.base import Layer
from graphc.layers.convolutional import (
    Conv1D, Conv2D, Conv2DTranspose, SeparableConv2D, conv1d, conv2d, conv2d_transpose, separable_conv2d)
from graphc.layers.core import Dense, Dropout, Flatten, dense, dropout, flatten
from graphc.layers.normalization import BatchNormalization, batch_normalization
from graphc.layers.pooling import (
    AveragePooling1D, AveragePooling2D, MaxPooling1D, MaxPooling2D, average_pooling1d, average_pooling2d,
    max_pooling1d, max_pooling2d)

Convolution1D, Convolution2D, Convolution2DTranspose = Conv1D, Conv2D, Conv2DTranspose
SeparableConvolution2D, MaxPool1D, MaxPool2D, AveragePool1D, AveragePool2D = (
    SeparableConv2D, MaxPooling1D, MaxPooling2D, AveragePooling1D, AveragePooling2D)

__all__ = ["Layer", "Dense", "Dropout", "Flatten", "Conv1D", "Conv2D", "Conv2DTranspose", "SeparableConv2D",
           "MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D", "BatchNormalization",
           "dense", "dropout", "flatten", "conv1d", "conv2d", "conv2d_transpose", "separable_conv2d",
           "max_pooling1d", "max_pooling2d", "average_pooling1d", "average_pooling2d", "batch_normalization",
           "Convolution1D", "Convolution2D", "Convolution2DTranspose", "SeparableConvolution2D", "MaxPool1D",
           "MaxPool2D", "AveragePool1D", "AveragePool2D"]

"""TensorShape and Dimension, and static shapes of tensors (expected values recorded from TF1)."""
import numpy as np
import pytest

import graphc as tf

S = tf.TensorShape
D = tf.Dimension


def test_as_list_ndims_len_and_indexing():
    s = S([2, None, 3])
    assert s.as_list() == [2, None, 3]
    assert s.ndims == 3 and s.rank == 3
    assert len(s) == 3
    assert isinstance(s[0], D)
    assert s[0].value == 2 and s[1].value is None and s[-1].value == 3
    assert repr(s[0]) == "Dimension(2)"
    assert str(s[1]) == "?"
    assert isinstance(s[1:], S) and s[1:].as_list() == [None, 3]
    assert [d.value for d in s] == [2, None, 3]
    assert [d.value for d in s.dims] == [2, None, 3]
    assert (D(None) == D(None)) is None  # unknown dims never compare equal (TF1)


def test_str_and_repr():
    assert str(S([2, None, 3])) == "(2, ?, 3)"
    assert str(S([4])) == "(4,)"
    assert str(S([])) == "()"
    assert str(S(None)) == "<unknown>"
    assert str(S([None])) == "(?,)"
    assert repr(S([2, None])) == "TensorShape([Dimension(2), Dimension(None)])"
    assert repr(S(None)) == "TensorShape(None)"
    assert repr(S([])) == "TensorShape([])"


def test_fully_defined_and_num_elements():
    assert not S([2, None]).is_fully_defined()
    assert S([1, 2]).is_fully_defined()
    assert not S(None).is_fully_defined()
    assert S([]).is_fully_defined()
    assert S([2, 3]).num_elements() == 6
    assert S([2, None]).num_elements() is None
    assert S([]).num_elements() == 1
    S([1, 2]).assert_is_fully_defined()
    with pytest.raises(ValueError, match=r"Shape \(2, \?, 3\) is not fully defined"):
        S([2, None, 3]).assert_is_fully_defined()


def test_compatibility_and_merge():
    s = S([2, None, 3])
    assert s.is_compatible_with([2, 5, 3])
    assert not s.is_compatible_with([2, 5])
    assert s.is_compatible_with(S(None))
    assert not s.is_compatible_with([3, 1, 3])
    assert S(None).is_compatible_with([1])
    assert s.merge_with([None, 4, None]).as_list() == [2, 4, 3]
    assert S(None).merge_with([1, 2]).as_list() == [1, 2]
    assert s.merge_with(S(None)) == s
    with pytest.raises(ValueError, match=r"Shapes \(2, \?, 3\) and \(3, 4, 3\) are not compatible"):
        s.merge_with([3, 4, 3])
    with pytest.raises(ValueError, match="not compatible"):
        s.merge_with([3, 4])
    with pytest.raises(ValueError, match="incompatible"):
        S([1, 2]).assert_is_compatible_with([1, 3])
    assert S([None, 3]).most_specific_compatible_shape([4, 3]).as_list() == [None, 3]


def test_equality_with_lists_and_shapes():
    assert S([2, None, 3]) == [2, None, 3]
    assert S([2, 3]) == [2, 3]
    assert S([2, 3]) == (2, 3)
    assert S([2, 3]) != [2, 4]
    assert S([2, 3]) == S([2, 3])
    assert S(None) == S(None)
    assert not (S([2, 3]) == [2, 3, 1])
    assert hash(S([1, 2])) == hash(S([1, 2]))


def test_unknown_rank():
    u = S(None)
    assert u.ndims is None and u.dims is None
    with pytest.raises(ValueError, match="as_list\\(\\) is not defined on an unknown TensorShape"):
        u.as_list()
    with pytest.raises(ValueError, match="Cannot take the length of shape with unknown rank"):
        len(u)
    assert u[0].value is None
    assert not bool(u)
    assert bool(S([]))  # TF1: a known rank is "true", even for a scalar
    assert tf.TensorShape(None).with_rank(2).as_list() == [None, None]


def test_rank_helpers_and_concatenate():
    assert S([1, 2]).concatenate([3]).as_list() == [1, 2, 3]
    assert (S([1, 2]) + [3]).as_list() == [1, 2, 3]
    assert S([2, None, 3]).with_rank(3) == [2, None, 3]
    with pytest.raises(ValueError, match=r"Shape \(1, 2\) must have rank 3"):
        S([1, 2]).with_rank(3)
    with pytest.raises(ValueError, match=r"Shape \(1, 2\) must have rank 3"):
        S([1, 2]).assert_has_rank(3)
    assert S([1, 2]).with_rank_at_least(1) == [1, 2]
    with pytest.raises(ValueError, match="at least 3"):
        S([1, 2]).with_rank_at_least(3)


def test_construction_from_scalars_dimensions_and_arrays():
    assert S(5).as_list() == [5]
    assert S(D(4)).as_list() == [4]
    assert S(np.array([2, 3])).as_list() == [2, 3]
    assert S((None, 2)).as_list() == [None, 2]
    with pytest.raises(ValueError, match="Dimension -1 must be >= 0"):
        S([2, -1])
    with pytest.raises(TypeError, match="integer"):
        S([2.5])


def test_dimension_arithmetic_and_comparisons():
    assert D(3) == 3
    assert (D(None) == 3) is None
    assert (D(3) + 1).value == 4
    assert (D(3) * D(None)).value is None
    assert int(D(3)) == 3
    assert str(D(None)) == "?" and str(D(5)) == "5"
    assert (D(2) < 3) is True
    assert (D(None) < 3) is None
    assert (D(2) // 2).value == 1
    assert (D(4) - 1).value == 3
    assert (2 * D(3)).value == 6
    assert D(3).is_compatible_with(3)
    assert not D(3).is_compatible_with(4)
    assert D(None).is_compatible_with(4)
    assert D(3).merge_with(None).value == 3
    assert D(None).merge_with(3).value == 3
    with pytest.raises(ValueError, match="Dimensions 3 and 4 are not compatible"):
        D(3).merge_with(4)
    with pytest.raises(ValueError, match="Dimension -1 must be >= 0"):
        D(-1)
    with pytest.raises(TypeError, match="unknown Dimension"):
        int(D(None))


def test_tensor_shape_and_set_shape():
    x = tf.placeholder(tf.float32, [None, 3])
    assert x.shape == [None, 3]
    assert x.get_shape().as_list() == [None, 3]
    assert x.shape[1].value == 3
    assert x.get_shape()[0].value is None
    assert x.shape.ndims == 2
    x.set_shape([4, 3])
    assert x.shape.as_list() == [4, 3]
    with pytest.raises(ValueError, match=r"Dimension 0 in both shapes must be equal, but are 4 and 5. "
                                         r"Shapes are \[4,3\] and \[5,3\]"):
        x.set_shape([5, 3])
    with pytest.raises(ValueError, match="Shapes must be equal rank, but are 2 and 1"):
        x.set_shape([4])
    y = tf.placeholder(tf.float32)
    assert str(y.shape) == "<unknown>" and y.shape.ndims is None
    y.set_shape([None, 2])
    assert y.shape.as_list() == [None, 2]
    y.set_shape(tf.TensorShape([7, None]))
    assert y.shape.as_list() == [7, 2]


def test_placeholder_and_constant_shapes():
    assert tf.placeholder(tf.float32, shape=tf.TensorShape([2])).shape == [2]
    assert tf.placeholder(tf.float32, shape=(None,)).shape.as_list() == [None]
    assert tf.placeholder(tf.float32, shape=[]).shape.as_list() == []
    assert tf.constant([[1, 2]]).shape.as_list() == [1, 2]
    assert tf.constant(1.0).shape.as_list() == []
    v = tf.Variable(tf.constant([[1.0, 2.0, 3.0]]))
    assert v.shape == [1, 3] and v.get_shape().as_list() == [1, 3]


def test_static_shape_propagates_through_ops():
    x = tf.placeholder(tf.float32, [None, 3])
    y = x * 2.0 + 1.0
    assert y.shape.as_list() == [None, 3]
    x.set_shape([5, 3])  # refining an input does not rewrite existing consumers' shapes
    assert y.shape.as_list() == [None, 3]

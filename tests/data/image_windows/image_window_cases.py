"""The tf.image crop/pad cases with tensor offsets or sizes (and images of run-time height and width),
and the resize_area sizes: built the same way with TF 2.21 compat.v1 (make_tf1.py, which recorded
tf1.json) and with graphc (tests/ops/test_image_windows.py). ``t`` is the module: tf.compat.v1 or graphc."""
import numpy as np

rs = np.random.RandomState(7)
IMG = rs.uniform(0, 1, (2, 5, 6, 3)).astype(np.float32)
# name: (image placeholder shape, 3-D?, function name, positional args: an int, or ("fed", value))
CASES = {
    "crop_offsets": ([2, 5, 6, 3], False, "crop_to_bounding_box", [("fed", 1), ("fed", 2), 2, 3]),
    "crop_all_fed_3d": ([5, 6, 3], True, "crop_to_bounding_box", [("fed", 2), ("fed", 1), ("fed", 3), ("fed", 4)]),
    "crop_runtime_hw": ([None, None, None, 3], False, "crop_to_bounding_box", [1, 0, 3, 5]),
    "pad_offsets": ([2, 5, 6, 3], False, "pad_to_bounding_box", [("fed", 2), ("fed", 1), 8, 9]),
    "pad_all_fed_3d": ([5, 6, 3], True, "pad_to_bounding_box", [1, 2, ("fed", 7), ("fed", 9)]),
    "pad_runtime_hw": ([None, None, 3], True, "pad_to_bounding_box", [0, 1, 6, 8]),
    "crop_or_pad_fed": ([2, 5, 6, 3], False, "resize_image_with_crop_or_pad", [("fed", 3), ("fed", 8)]),
    "crop_or_pad_fed_3d": ([5, 6, 3], True, "resize_image_with_crop_or_pad", [("fed", 7), 4]),
    "crop_or_pad_runtime_hw": ([None, None, 3], True, "resize_image_with_crop_or_pad", [4, 4]),
    "central_fed": ([2, 5, 6, 3], False, "central_crop", [("fed", 0.5)]),
    "central_fed_3d": ([5, 6, 3], True, "central_crop", [("fed", 0.3)]),
    "central_runtime_hw": ([None, None, 3], True, "central_crop", [0.5]),
}
BAD = {   # fed values that make the window not fit: TF1 fails the run
    "crop_offsets": [4, 2], "pad_offsets": [4, 1], "crop_or_pad_fed": [0, 8],
}
AREA_SIZES = [(3, 4, False), (7, 9, False), (5, 3, False), (2, 2, True), (4, 7, True), (1, 1, False)]


def build(t, name):
    """(placeholder, fed scalar placeholders, output) for case ``name`` with module ``t`` (tf.compat.v1 or graphc)."""
    shape, is_3d, fn, args = CASES[name]
    x = t.placeholder(t.float32, shape)
    fed, built = [], []
    for a in args:
        if isinstance(a, tuple):
            p = t.placeholder(t.float32 if isinstance(a[1], float) else t.int32, [])
            fed.append(p)
            built.append(p)
        else:
            built.append(a)
    return x, fed, getattr(t.image, fn)(x, *built)


def loss_of(t, y):
    """A loss whose gradient differs per output position: sum(y^2 / 2 + sin(y))."""
    return t.reduce_sum(y * y * 0.5 + t.sin(y))


def image_for(name):
    return IMG[0] if CASES[name][1] else IMG



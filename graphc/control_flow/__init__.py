"""Control flow: tf.TensorArray and the functional ops (map_fn, scan, foldl, foldr)."""

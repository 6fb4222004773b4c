"""tf.train (being written)."""

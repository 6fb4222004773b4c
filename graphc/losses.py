"""tf.losses (being written)."""

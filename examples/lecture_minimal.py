import graphc as tf

import argparse  # the lecture's program follows unchanged; it takes no options beyond these

parser = argparse.ArgumentParser(description="The lecture's first program: adds two placeholders and prints "
                                 "Result:  9.0.")
parser.add_argument("--quick", action="store_true", help="accepted like the other examples' flag; "
                    "this program already runs in well under a second, so it changes nothing")
parser.parse_args()

a = tf.placeholder(tf.float32, name="a")
b = tf.placeholder(tf.float32, name="b")
y = a + b
with tf.Session() as sess:
    print("Result: ", sess.run(y, feed_dict={a: 4, b: 5}))

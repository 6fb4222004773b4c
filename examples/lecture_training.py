import graphc as tf

import argparse  # the lecture's program follows unchanged; it takes no options beyond these

parser = argparse.ArgumentParser(description="The lecture's second program: fits w * x + b to one point by "
                                 "gradient descent, printing the prediction of each of 10 epochs.")
parser.add_argument("--quick", action="store_true", help="accepted like the other examples' flag; "
                    "this program already runs in well under a second, so it changes nothing")
parser.parse_args()

x = tf.placeholder(tf.float32, name="x")
y_true = tf.placeholder(tf.float32, name="y_true")
w = tf.Variable(0.2, name="w")
b = tf.Variable(0.7, name="b")
y = w * x + b
loss = tf.square(y - y_true)
train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for epoch in range(10):
        y_val, _ = sess.run([y, train_op], feed_dict={x: 1.0, y_true: 20.0})
        print(y_val)
    print("Result: ", y_val)

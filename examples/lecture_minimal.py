import graphc as tf

a = tf.placeholder(tf.float32, name="a")
b = tf.placeholder(tf.float32, name="b")
y = a + b
with tf.Session() as sess:
    print("Result: ", sess.run(y, feed_dict={a: 4, b: 5}))

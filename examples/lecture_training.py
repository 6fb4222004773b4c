import graphc as tf

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

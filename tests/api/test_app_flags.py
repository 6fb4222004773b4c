"""tf.app.run with tf.app.flags / tf.flags, and tf.logging.

The flag program below is the one run under TensorFlow 2.21.0 (``tf.compat.v1``) with the same
command lines; the expected outputs and exit codes are what it printed there.
"""
import logging
import os
import subprocess
import sys
import textwrap

import pytest

import graphc as tf

PROGRAM = textwrap.dedent("""
    import graphc as tf
    F = tf.app.flags
    F.DEFINE_string("name", "world", "who to greet")
    F.DEFINE_integer("steps", 10, "training steps")
    F.DEFINE_float("lr", 0.01, "learning rate")
    F.DEFINE_boolean("fast", False, "go fast")
    F.DEFINE_bool("verbose", True, "talk")
    F.DEFINE_list("layers", ["a", "b"], "layer names")
    F.DEFINE_enum("mode", "train", ["train", "eval"], "mode")
    tf.flags.DEFINE_string(flag_name="old", default_value="x", docstring="old-style names")
    FLAGS = F.FLAGS
    def main(argv):
        print("MAIN", argv[1:], FLAGS.name, FLAGS.steps, FLAGS.lr, FLAGS.fast, FLAGS.verbose, FLAGS.layers,
              FLAGS.mode, FLAGS.old, type(FLAGS.steps).__name__)
        return 3
    if __name__ == "__main__":
        tf.app.run()
""")


def run_program(tmp_path, source, *args):
    path = tmp_path / "prog.py"
    path.write_text(source)
    env = dict(os.environ, GRAPHC_BACKEND="eager")
    return subprocess.run([sys.executable, path.name, *args], capture_output=True, text=True, env=env,
                          timeout=120, cwd=str(tmp_path))


@pytest.mark.parametrize("args,want", [
    ((), "MAIN [] world 10 0.01 False True ['a', 'b'] train x int"),
    (("--name=bob", "--steps", "5", "--lr=0.5", "--fast", "--noverbose", "--layers=x,y,z", "--mode=eval",
      "--old=y"), "MAIN [] bob 5 0.5 True False ['x', 'y', 'z'] eval y int"),
    (("--unknown=1", "pos"), "MAIN ['--unknown=1', 'pos'] world 10 0.01 False True ['a', 'b'] train x int"),
])
def test_app_run_parses_flags_like_tf(tmp_path, args, want):
    proc = run_program(tmp_path, PROGRAM, *args)
    assert proc.stdout.strip() == want, proc.stderr
    assert proc.returncode == 3          # main's return value is the exit status


@pytest.mark.parametrize("arg,message", [
    ("--steps=abc", "invalid literal for int() with base 10: 'abc'"),
    ("--mode=bad", "value should be one of <train|eval>"),
])
def test_bad_flag_values_fail_like_tf(tmp_path, arg, message):
    proc = run_program(tmp_path, PROGRAM, arg)
    assert proc.returncode == 1 and "MAIN" not in proc.stdout
    assert "IllegalFlagValueError" in proc.stderr and message in proc.stderr


def test_help_lists_the_flags_and_exits(tmp_path):
    proc = run_program(tmp_path, PROGRAM, "--help")
    assert proc.returncode == 1 and "MAIN" not in proc.stdout      # TF 2.21.0 (absl) exits 1 after help
    # lines TF 2.21.0 printed for the same program
    for line in ["USAGE: prog.py [flags]", "--[no]fast: go fast", "--layers: layer names",
                 "(a comma separated list)", "--mode: <train|eval>: mode", "--steps: training steps",
                 "(an integer)", "--old: old-style names"]:
        assert line in proc.stdout, proc.stdout


def test_flags_read_without_app_run_parse_sys_argv(tmp_path):
    source = textwrap.dedent("""
        import graphc as tf
        tf.flags.DEFINE_integer("batch", 32, "batch size")
        print("BATCH", tf.flags.FLAGS.batch)
    """)
    proc = run_program(tmp_path, source, "--batch=7")
    assert proc.stdout.strip() == "BATCH 7", proc.stderr


def test_flag_values_methods_do_not_parse_but_flags_do(tmp_path):
    source = textwrap.dedent("""
        import graphc as tf
        tf.flags.DEFINE_integer("batch", 32, "batch size")
        print("PARSED", tf.flags.FLAGS.is_parsed())
        try:
            print(tf.flags.FLAGS.batch)
        except Exception as e:
            print("ERR", type(e).__name__, e)
    """)
    proc = run_program(tmp_path, source, "--zzz")
    # TF 2.21.0 printed these two lines for the same program and argument
    assert proc.stdout.splitlines() == ["PARSED False", "ERR UnrecognizedFlagError Unknown command line flag 'zzz'"]


def test_tf_flags_is_app_flags_and_fresh_flag_values_work():
    assert tf.flags is tf.app.flags
    fv = tf.flags.FlagValues()
    tf.flags.DEFINE_integer("n", 1, "a number", flag_values=fv)
    tf.flags.DEFINE_list("names", "a,b", "names", flag_values=fv)
    fv(["prog", "--n=4", "--names=c"])
    assert (fv.n, fv.names) == (4, ["c"])
    with pytest.raises(tf.flags.DuplicateFlagError):
        tf.flags.DEFINE_integer("n", 2, "again", flag_values=fv)


# tf.logging ------------------------------------------------------------------------------------
def test_logging_levels_are_tf1s():
    # TF 2.21.0: (10, 20, 30, 40, 50)
    assert (tf.logging.DEBUG, tf.logging.INFO, tf.logging.WARN, tf.logging.ERROR, tf.logging.FATAL) == \
        (10, 20, 30, 40, 50)


@pytest.fixture
def records():
    logger = tf.logging.get_logger()
    old_level = logger.level
    captured = []

    class Keep(logging.Handler):
        def emit(self, record):
            captured.append((record.levelno, record.getMessage(), os.path.basename(record.pathname)))

    handler = Keep()
    logger.addHandler(handler)
    yield captured
    logger.removeHandler(handler)
    logger.setLevel(old_level)


def test_set_verbosity_filters_messages(records):
    tf.logging.set_verbosity(tf.logging.WARN)
    assert tf.logging.get_verbosity() == tf.logging.WARN
    tf.logging.info("hidden %d", 1)
    tf.logging.warning("shown %d", 2)
    tf.logging.set_verbosity(tf.logging.DEBUG)
    tf.logging.debug("debug %s", "x")
    tf.logging.info("info")
    tf.logging.warn("warn")
    tf.logging.error("error")
    tf.logging.fatal("fatal")
    tf.logging.log(tf.logging.INFO, "log %s", "y")
    tf.logging.vlog(tf.logging.ERROR, "vlog")
    tf.logging.log_if(tf.logging.INFO, "if-no", False)
    tf.logging.log_if(tf.logging.INFO, "if-yes", True)
    assert [(lvl, msg) for lvl, msg, _ in records] == [
        (30, "shown 2"), (10, "debug x"), (20, "info"), (30, "warn"), (40, "error"), (50, "fatal"),
        (20, "log y"), (40, "vlog"), (20, "if-yes")]
    assert {where for _, _, where in records} == {"test_app_flags.py"}   # the caller, not tf_logging


def test_log_every_n_and_first_n_count_per_call_site(records):
    tf.logging.set_verbosity(tf.logging.INFO)
    for i in range(7):
        tf.logging.log_every_n(tf.logging.INFO, "every %d", 3, i)
        tf.logging.log_first_n(tf.logging.INFO, "first %d", 2, i)
    assert [msg for _, msg, _ in records] == ["every 0", "first 0", "first 1", "every 3", "every 6"]


def test_tf_logging_writes_tf1_formatted_lines_to_stderr(tmp_path):
    source = textwrap.dedent("""
        import graphc as tf
        tf.logging.set_verbosity(tf.logging.INFO)
        tf.logging.info("step %d", 5)
        tf.logging.debug("not shown")
    """)
    proc = run_program(tmp_path, source)
    assert proc.returncode == 0
    assert proc.stderr.strip() == "INFO:graphc:step 5"

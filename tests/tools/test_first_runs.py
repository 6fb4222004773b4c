"""benchmarks/first_runs.py: the first-run table of benchmarks/README.md, from fresh processes."""
from benchmarks import first_runs


def test_first_runs_measures_each_mode_in_fresh_processes_and_prints_a_row(capsys):
    assert first_runs.main(["-k", "lecture_add", "--size", "small", "--peers", ""]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith("| workload | eager step | eager 1st | cold (sync) | warm disk (sync) | tiered 1st")
    row = out[2].split("|")
    assert row[1].strip() == "lecture_add"
    assert all(cell.strip() not in ("", "-") for cell in row[2:9]), out[2]   # every mode measured, switched


def test_the_table_says_what_failed():
    rows = [{"workload": "w", "eager": {"first_s": 0.5, "step_s": 2e-5}, "cold": {"first_s": 3.0},
             "warm": {"error": "ValueError: no"}, "tiered": {"first_s": 0.01, "slowest_eager_s": 0.2,
                                                              "switch_s": None}}]
    line = first_runs.table(rows, []).splitlines()[2]
    assert line.startswith("| w | 20 us | 500 ms | 3.00 s | - | 10 ms | 200 ms | - |")
    assert "warm: ValueError: no" in line

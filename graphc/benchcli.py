"""``graphc bench``: the same graphs in eager mode and compiled, side by side."""
from __future__ import annotations

import argparse
import json
import platform
import sys


def compiled_backends() -> list:
    """The compiled backends usable here (Numba on the CPU; Triton when a GPU is usable)."""
    from graphc.runtime.session import available_backends

    return [b for b in available_backends() if b not in ("auto", "eager", "interpret")]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--size", choices=("small", "default", "large", "gpu"), default="default",
                   help="problem sizes (default: %(default)s; gpu: gelu 64M, softmax/layer norm 16384x4096, "
                        "MLP batch 4096, Adam 100M)")
    p.add_argument("-k", dest="pattern", default=None, help="only workloads whose name contains PATTERN, or one of its comma-separated parts "
                        "(e.g. lstm,cnn; default: all)")
    p.add_argument("--backend", action="append", dest="backends", default=None, metavar="BACKEND",
                   help="compiled backend(s) to compare with eager (default: all available)")
    p.add_argument("--min-time", type=float, default=0.25, metavar="SECONDS",
                   help="seconds of steady-state timing per case (default: %(default)s)")
    p.add_argument("--json", dest="json_path", default=None, metavar="FILE",
                   help="also write the results as JSON to FILE (default: no JSON)")
    p.add_argument("--compare-peers", action="store_true",
                   help="add numexpr / JAX / torch / torch.compile / TF1 timings when installed "
                        "(each in its own process; default: off)")
    p.add_argument("--plot", dest="plot_path", default=None, metavar="FILE",
                   help="write a speed-up bar chart to FILE (needs matplotlib; default: no chart)")


def _fmt_time(seconds: float, latency: bool) -> str:
    return f"{seconds * 1e6:8.1f} us" if latency else f"{seconds * 1e3:8.2f} ms"


def run(args: argparse.Namespace) -> int:
    from benchmarks import harness, workloads

    backends = args.backends or compiled_backends()
    selected = workloads.select(args.pattern)
    if not selected:
        print(f"no workload matches {args.pattern!r}", file=sys.stderr)
        return 2
    copy_bw = harness.copy_bandwidth()
    harness.progress(f"graphc bench: {len(selected)} workloads x eager + {', '.join(backends) or 'no compiled backend'}"
                     f" (size {args.size}); memory copy bandwidth {copy_bw / 1e9:.1f} GB/s")
    bandwidth = {b: copy_bw for b in backends}
    for b in backends:
        device = _device_of(b)
        if device is not None:
            bandwidth[b] = harness.device_copy_bandwidth(device, 1 << (30 if args.size == "gpu" else 26))
            harness.progress(f"  {b}: arrays on {device.name}, copy bandwidth {bandwidth[b] / 1e9:.1f} GB/s")
    rows, failures, refs = [], 0, {}
    for w in selected:
        harness.progress(f"  {w.name}: eager ...")
        ref, ref_values = harness.run_workload(w, args.size, "eager", None, args.min_time)
        refs[w.name] = ref_values
        rows.append(ref)
        for b in backends:
            harness.progress(f"  {w.name}: {b} ...")
            res, _ = harness.run_workload(w, args.size, b, ref_values, args.min_time)
            rows.append(res)
            if not res.match:
                failures += 1
                harness.progress(f"  !! {w.name}: {b} does NOT match eager (max abs error {res.max_error:.3g})")
    _print_table(rows, selected, bandwidth)
    _print_data_summary(rows)
    peer_rows = _compare_peers(args, selected, refs) if args.compare_peers else []
    if args.json_path:
        with open(args.json_path, "w") as f:
            json.dump({"machine": platform.machine(), "python": platform.python_version(),
                       "size": args.size, "copy_bandwidth_bytes_per_s": copy_bw,
                       "backend_copy_bandwidth_bytes_per_s": bandwidth,
                       "results": [r.as_dict() for r in rows],
                       "peers": peer_rows}, f, indent=2)
    if args.plot_path:
        _plot(rows, args.plot_path)
    if failures:
        print(f"FAILED: {failures} compiled result(s) differ from eager", file=sys.stderr)
        return 1
    return 0


def _device_of(backend: str):
    """The device memory a ``backend`` session computes in (None for host backends)."""
    import graphc as tf

    device = tf.Session(graph=tf.Graph(), backend=backend).device
    return None if device is None or device.on_host else device


def _print_table(rows: list, selected: list, bandwidth: dict) -> None:
    """One row per compiled result; ``bandwidth``: copy bandwidth of each backend's memory (%copy)."""
    latency = {w.name: w.per_run_latency for w in selected}
    eager = {r.workload: r for r in rows if r.backend == "eager"}
    header = (f"{'workload':<14}{'backend':<9}{'eager':>12}{'compiled':>12}{'speedup':>9}{'spread':>9}"
              f"{'1st run':>10}{'2nd sess':>10}{'kernels':>8}{'GB/s':>8}{'%copy':>7}  match")
    print(header)
    print("-" * len(header))
    for r in rows:
        if r.backend == "eager":
            continue
        e = eager[r.workload]
        lat = latency[r.workload]
        speedup = e.steady.median / r.steady.median
        spread = (r.steady.p90 - r.steady.p10) / r.steady.median
        gbs = r.bytes_moved / r.steady.median / 1e9 if r.bytes_moved else None
        pct = f"{100 * gbs * 1e9 / bandwidth[r.backend]:6.0f}%" if gbs else f"{'':>7}"
        print(f"{r.workload:<14}{r.backend:<9}{_fmt_time(e.steady.median, lat):>12}{_fmt_time(r.steady.median, lat):>12}"
              f"{speedup:8.1f}x{100 * spread:8.0f}%{r.first_run_s:9.2f}s{r.second_session_first_run_s:9.2f}s"
              f"{'' if r.kernels is None else r.kernels:>8}{'' if gbs is None else f'{gbs:8.1f}':>8}{pct}  "
              f"{'ok' if r.match else 'MISMATCH'}")
    for r in rows:
        if r.numpy_io is not None:
            print(f"  {r.workload} on {r.backend}: timed with feeds and fetches on {r.device}; numpy in and "
                  f"out: {_fmt_time(r.numpy_io.median, latency[r.workload]).strip()}")
    if not any(r.backend != "eager" for r in rows):
        for r in rows:
            print(f"{r.workload:<14}{'eager':<9}{_fmt_time(r.steady.median, latency[r.workload]):>12}")


def _print_data_summary(rows: list) -> None:
    """The input-pipeline rows in their own terms: the tf.data step against the feed_dict step
    (issue 15's target: within 10%) and the pipeline's elements/s."""
    from benchmarks.workloads import DATA_BATCH

    by = {(r.workload, r.backend): r.steady.median for r in rows}
    for backend in dict.fromkeys(r.backend for r in rows):
        feed, pipe, thru = (by.get((w, backend)) for w in ("data_feed", "data_pipe", "data_thru"))
        if feed and pipe:
            print(f"  tf.data vs feed_dict on {backend}: {pipe * 1e3:.2f} ms vs {feed * 1e3:.2f} ms per step "
                  f"({pipe / feed:.2f}x)")
        if thru:
            print(f"  tf.data pipeline on {backend}: {DATA_BATCH / thru:,.0f} elements/s")


def _compare_peers(args: argparse.Namespace, selected: list, refs: dict) -> list:
    """Times each installed peer framework on the same workloads, each peer in a fresh process
    (their thread pools slow each other down when they share one). Returns JSON-ready rows."""
    from benchmarks import harness, peers

    names = [w.name for w in selected]
    latency = {w.name: w.per_run_latency for w in selected}
    available = peers.available_peers()
    missing = peers.unavailable_peers()
    if missing:
        print(f"peers not installed (skipped): {', '.join(sorted(missing))}")
    results: dict = {}
    for peer in available:
        harness.progress(f"  peer {peer} ...")
        try:
            results[peer] = peers.time_peer_isolated(peer, names, args.size, args.min_time,
                                                     python=peers.peer_python(peer))
        except (ImportError, RuntimeError) as e:
            print(f"peer {peer} failed: {str(e).splitlines()[0] if str(e) else e}")
    if not results:
        return []
    print()
    print(f"{'workload':<14}" + "".join(f"{p:>15}" for p in results))
    out, errors = [], []
    for name in names:
        cells = []
        for peer, by_workload in results.items():
            r = by_workload.get(name)
            if r is None:
                cells.append(f"{'-':>15}")
                continue
            if isinstance(r, peers.PeerError):
                cells.append(f"{'failed':>15}")
                errors.append(f"peer {peer} failed on {name}: {r.message.splitlines()[0][:300]}")
                out.append({"peer": peer, "workload": name, "error": r.message})
                continue
            match, err = r.compare(refs[name])
            cells.append(f"{_fmt_time(r.median, latency[name]):>13}{'' if match else '!'}{' ' if match else ''}")
            out.append({"peer": peer, **r.as_dict(), "match_eager": match, "max_error": err})
        print(f"{name:<14}" + "".join(cells))
    print("(! = result differs from graphc's eager reference)")
    for line in errors:
        print(line)
    return out


def _plot(rows: list, path: str) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("--plot needs matplotlib (pip install matplotlib)", file=sys.stderr)
        return
    eager = {r.workload: r for r in rows if r.backend == "eager"}
    compiled = [r for r in rows if r.backend != "eager"]
    labels = [f"{r.workload}\n{r.backend}" for r in compiled]
    speedups = [eager[r.workload].steady.median / r.steady.median for r in compiled]
    fig, ax = plt.subplots(figsize=(max(6, len(labels) * 1.1), 4))
    ax.bar(labels, speedups, color="#3b6fb6")
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_ylabel("speed-up over eager (x)")
    ax.set_yscale("log")
    ax.set_title("graphc: compiled vs eager")
    fig.tight_layout()
    fig.savefig(path, dpi=120)

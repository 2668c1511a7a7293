"""Client timestamps against the reference target's ground truth (scripts/bench-capacity, scripts/bench-fidelity).

The target's `--ground-truth` log has, per request (keyed by the client's X-Request-Id), the CLOCK_MONOTONIC time at which each
token's chunk was flushed to its socket. A client's error is |when it says a token arrived - when the target flushed it| for
the first token (TTFT), and |its gap between two tokens - the target's gap| for every later token.
"""
import glob
import json


def pct(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(p / 100 * len(v)))]


def load_truth(path):
    truth = {}
    for line in open(path):
        r = json.loads(line)
        truth[r["request_id"]] = r["t_token_ns"]
    return truth


def tokenmeter(run_dir, truth, first_round=0):
    """tokenmeter's timeline (monotonic ns, the target's clock): TTFT and gap errors in ms, schedule lag of every request and of
    those after the first `first_round` ids, and the requests that could not be matched."""
    out = {"ttft": [], "gap": [], "lag": [], "lag_after": [], "unmatched": 0, "matched": 0}
    for line in open(f"{run_dir}/timeline.jsonl"):
        entry = json.loads(line)
        if entry.get("type") != "request":
            continue
        rec = entry["record"]
        if "t_send_ns" in rec:  # a request that failed before it was sent (no connection) has no send time
            lag = (rec["t_send_ns"] - rec["t_sched_ns"]) / 1e6
            out["lag"].append(lag)
            if rec["id"] >= first_round:
                out["lag_after"].append(lag)
        if rec.get("error") or rec.get("http_status") != 200:
            continue
        # Events that carried output (text, or a token count when the server reports usage per chunk); not the closing one.
        times = [e["t_ns"] for e in rec.get("events", []) if e.get("text") is not None or e.get("tokens")]
        gt = truth.get(f"p{entry['point']}-{rec['id']}")
        if gt is None or len(gt) != len(times) or not times:
            out["unmatched"] += 1
            continue
        out["matched"] += 1
        out["ttft"].append(abs(times[0] - gt[0]) / 1e6)
        out["gap"] += [abs((times[i] - times[i - 1]) - (gt[i] - gt[i - 1])) / 1e6 for i in range(1, len(times))]
    return out


def _value(metric):
    return metric.get("value") if isinstance(metric, dict) else metric


def aiperf(artifact_dir, truth, wall_minus_monotonic_ns):
    """AIPerf's per-request export (wall-clock request start, TTFT and inter-chunk latencies in ms), matched to the ground truth
    by the X-Request-ID it sends; wall clock turned into the target's monotonic clock by the measured offset."""
    out = {"ttft": [], "gap": [], "unmatched": 0, "matched": 0}
    paths = glob.glob(f"{artifact_dir}/**/profile_export.jsonl", recursive=True)
    if not paths:
        raise SystemExit(f"no profile_export.jsonl under {artifact_dir}")
    for line in open(paths[0]):
        rec = json.loads(line)
        meta, metrics = rec.get("metadata", {}), rec.get("metrics", {})
        if meta.get("benchmark_phase") not in (None, "profiling"):
            continue
        gt = truth.get(meta.get("x_request_id"))
        ttft = _value(metrics.get("time_to_first_token"))
        if gt is None or ttft is None or rec.get("error"):
            out["unmatched"] += 1
            continue
        out["matched"] += 1
        first = meta["request_start_ns"] + ttft * 1e6 - wall_minus_monotonic_ns
        out["ttft"].append(abs(first - gt[0]) / 1e6)
        gaps = _value(metrics.get("inter_chunk_latency")) or []
        if len(gaps) == len(gt) - 1:
            out["gap"] += [abs(g - (gt[i + 1] - gt[i]) / 1e6) for i, g in enumerate(gaps)]
    return out


def errors(row):
    """'p50/p99' of TTFT and gap errors, in ms."""
    f = lambda k: f"{pct(row[k], 50):.3f}/{pct(row[k], 99):.3f}" if row[k] else "n/a"
    return f("ttft"), f("gap")

"""The soak's verdict (scripts/soak): growth of memory, descriptors and CPU per token between the start and the end, and
every request accounted for. usage: soak_report.py WORK_DIR CLOCK_TICKS_PER_SECOND; exits 1 on a finding."""
import json
import statistics
import sys
from collections import Counter, defaultdict

work, ticks = sys.argv[1], float(sys.argv[2])
SETTLE = 120  # seconds before the start window: connections opened, caches warm, the first points written


def load_samples():
    by_process = defaultdict(list)
    for line in open(f"{work}/samples.txt"):
        t, name, rss, fds, cpu, tokens = line.split()
        by_process[name].append((int(t), int(rss), int(fds), int(cpu), float(tokens)))
    return by_process


def windows(samples, end_time):
    """The start window (after settling) and the end window, each a fifth of the span while all three ran, at least a
    minute; the end is when the first client finished (after that the load is no longer the same)."""
    width = max(60, (end_time - SETTLE) // 5)
    start = [s for s in samples if SETTLE <= s[0] <= SETTLE + width]
    end = [s for s in samples if end_time - width <= s[0] <= end_time]
    return start, end


def cpu_per_ktok(window):
    """Milliseconds of CPU per 1,000 tokens the target generated over the window."""
    tokens = window[-1][4] - window[0][4]
    cpu = (window[-1][3] - window[0][3]) / ticks
    return cpu * 1e6 / tokens if tokens > 0 else float("nan")


def growth_findings(by_process):
    findings = []
    print(f"{'process':<8} {'RSS start MiB':>14} {'RSS end MiB':>12} {'fds start':>10} {'fds end':>8} "
          f"{'CPU ms/1k tok start':>20} {'end':>8}")
    common_end = min(samples[-1][0] for samples in by_process.values())
    for name in ("target", "users", "open"):
        samples = by_process.get(name, [])
        start, end = windows(samples, common_end) if samples else ([], [])
        if len(start) < 2 or len(end) < 2:
            findings.append(f"{name}: too few samples ({len(samples)}) to compare the start and the end")
            continue
        rss_start = statistics.median(s[1] for s in start) / 1024
        rss_end = statistics.median(s[1] for s in end) / 1024
        spread = (max(s[1] for s in start) - min(s[1] for s in start)) / 1024
        fds_start, fds_end = max(s[2] for s in start), max(s[2] for s in end)
        cpu_start, cpu_end = cpu_per_ktok(start), cpu_per_ktok(end)
        print(f"{name:<8} {rss_start:>14.1f} {rss_end:>12.1f} {fds_start:>10} {fds_end:>8} {cpu_start:>20.2f} {cpu_end:>8.2f}")
        if rss_end - rss_start > 2 * spread + 8:
            findings.append(f"{name}: RSS grew {rss_end - rss_start:.1f} MiB (start spread {spread:.1f} MiB)")
        if fds_end > fds_start + 4:
            findings.append(f"{name}: open descriptors grew from {fds_start} to {fds_end}")
        if cpu_end > cpu_start * 1.25:
            findings.append(f"{name}: CPU per token grew {cpu_end / cpu_start - 1:.0%}")
    return findings


def client_accounting(name):
    """Requests the client sent (every record in its timeline that went out), their outcomes, and the findings."""
    findings = []
    outcomes = Counter()
    measured_by_point = Counter()
    unsent = 0
    for line in open(f"{work}/{name}/timeline.jsonl"):
        entry = json.loads(line)
        if entry.get("type") != "request":
            continue
        record = entry["record"]
        if "error" in record:
            outcomes[record["error"]["kind"]] += 1
        elif "t_done_ns" in record:
            outcomes["ok"] += 1
        else:
            outcomes["no outcome"] += 1
            findings.append(f"{name}: request {record.get('id')} of point {entry['point']} has no outcome")
        if "t_send_ns" not in record:
            # Cancelled before it was sent (the point ended, or Ctrl-C): accounted for, but the target never saw it.
            unsent += 1
            if record.get("error", {}).get("kind") != "cancelled":
                findings.append(f"{name}: request {record.get('id')} of point {entry['point']} was never sent, yet not cancelled")
        if record.get("phase") == "measured":
            measured_by_point[entry["point"]] += 1
    result = json.load(open(f"{work}/{name}/result.json"))
    for point in result["points"]:
        counted = point["metrics"]["requests_total"]
        if counted != measured_by_point[point["index"]]:
            findings.append(f"{name}: point {point['index']} counts {counted} measured requests, its timeline "
                            f"{measured_by_point[point['index']]}")
    sent = sum(outcomes.values()) - unsent
    print(f"{name}: {sent + unsent} requests over {len(result['points'])} points ({unsent} cancelled before sending), outcomes "
          + ", ".join(f"{kind} {count}" for kind, count in outcomes.most_common()))
    return sent, findings


def target_counter(metric):
    for line in open(f"{work}/target-metrics.txt"):
        if line.startswith(metric + "{"):
            return int(float(line.split()[-1]))
    return None


findings = growth_findings(load_samples())
sent_users, users_findings = client_accounting("users")
sent_open, open_findings = client_accounting("open")
findings += users_findings + open_findings
received = target_counter("tokenmeter_target_requests_total")
print(f"target: received {received} generation requests, the clients sent {sent_users + sent_open}; "
      f"faults injected {target_counter('tokenmeter_target_faults_total')}, "
      f"generated {target_counter('vllm:generation_tokens_total')} tokens")
if received != sent_users + sent_open:
    findings.append(f"the target received {received} requests, the clients sent {sent_users + sent_open}")
for finding in findings[:20]:
    print("FINDING:", finding)
if len(findings) > 20:
    print(f"... and {len(findings) - 20} more")
print("soak: " + ("no growth beyond noise, every request accounted for" if not findings else f"{len(findings)} findings"))
sys.exit(1 if findings else 0)

"""Load test of workshop mode: a whole room replying within a minute while the projector refreshes.

    python -m listening.workshop_load [--participants 60] [--processes 6] [--window 60] [--json OUT]

It starts the app (``app.py`` on a free local port with a fresh database), starts a room and puts an
exercise up through the API, then drives it from separate processes with ``gradio_client``, as phones
and a projector would: participants spread over a few processes join, keep their page fresh every 3
seconds (``/seat_refresh``, like the room page's timer), and each sends one reply at a random moment of
the window (``/send_reply``: stored, scored, feedback back); one more process asks for the projector's
state every second (``/projector_refresh``, rendered in full each time). At the end it reads the
database and prints submissions per second, submit latency, how stale the projector was, and whether
every reply was stored and scored. Bounded: at most 200 participants, 16 processes, a 300 s window.

Projector staleness: for the k-th reply to be acknowledged, the time from its acknowledgment until the
first projector response counting k scored replies. It includes the projector's own one-second wait.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXERCISE = "work-new-manager-old-team"
REPLIES = (
    "You should just buy them a round on Friday.",
    "That kitchen going quiet must have stung. What was the hardest part of talking to Marcus?",
    "Cheer up, it's not a big deal. When I got promoted the same thing happened to me.",
    "Oh love, three weeks in and already the hard conversations. How are you holding up?",
    "Honestly, that's what being the boss is like. You'll get used to it.",
    "It sounds lonely, going from one of the lads to the one who has to say the hard things.",
    "Have you tried inviting them out yourself?",
    "I'm proud of you for telling Marcus the truth, even though it hurt. What did he say after?",
)
SEAT_SECONDS = 3.0
LIMITS = {"participants": 200, "processes": 16, "window": 300.0}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _client(url: str):
    from gradio_client import Client

    return Client(url, verbose=False)


# --- the participants' processes ------------------------------------------------------------------------


def participants_process(url: str, code: str, offsets: list[float], first: int, go, start_at, ready, results,
                         seat_poll: bool) -> None:
    """Some participants, one thread each: join, keep the page fresh, reply once at start + offset."""
    seats: list[tuple] = [None] * len(offsets)  # type: ignore[list-item]

    def join(i: int) -> None:
        client = _client(url)
        data = client.predict(code, f"load {first + i}", api_name="/join_room")[-1]
        seats[i] = (client, data["token"], data["round"], data.get("stage", ""))

    threads = [threading.Thread(target=join, args=(i,)) for i in range(len(offsets))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ready.put(len([s for s in seats if s]))
    go.wait()
    start = start_at.value

    def participant(i: int) -> None:
        client, token, round_, stage = seats[i]
        due = start + offsets[i]
        next_poll = start + random.uniform(0, SEAT_SECONDS)
        while seat_poll and time.time() < due:
            if time.time() >= next_poll:
                data = client.predict(code, token, stage, api_name="/seat_refresh")[-1]
                if isinstance(data, dict) and data.get("stage"):
                    stage = data["stage"]
                next_poll += SEAT_SECONDS
            time.sleep(max(0.0, min(due, next_poll) - time.time()))
        time.sleep(max(0.0, due - time.time()))
        sent = time.time()
        try:
            data = client.predict(code, token, round_, REPLIES[(first + i) % len(REPLIES)],
                                  api_name="/send_reply")[-1]
            status = (data.get("submission") or {}).get("status") or data.get("error", "no answer")
        except Exception as err:  # noqa: BLE001 - counted as a failed submission
            status = f"error: {err}"
        results.put({"participant": first + i, "sent": sent, "acknowledged": time.time(), "status": status})

    threads = [threading.Thread(target=participant, args=(i,)) for i in range(len(offsets))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


# --- the projector's process ----------------------------------------------------------------------------


def projector_process(url: str, code: str, key: str, every: float, go, stop, polls) -> None:
    client = _client(url)
    go.wait()
    next_at = time.time()
    while not stop.is_set():
        asked = time.time()
        data = client.predict(code, key, -1, api_name="/projector_refresh")[-1]
        polls.put({"asked": asked, "answered": time.time(), "replied": data.get("replied", 0),
                   "scored": data.get("scored", 0)})
        next_at += every
        time.sleep(max(0.0, next_at - time.time()))


# --- the run --------------------------------------------------------------------------------------------


def start_app(port: int, db: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    out = open(log, "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port), "--db", str(db)],
                            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_until_up(url: str, app: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if app.poll() is not None:
            raise SystemExit(f"workshop_load: the app stopped while starting (exit {app.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("workshop_load: the app did not start in time")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time a running process has used (Linux /proc), or None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def staleness(acks: list[float], polls: list[dict]) -> list[float]:
    """For the k-th acknowledged reply: seconds until a projector answer counted k scored replies."""
    out = []
    answered = sorted(polls, key=lambda p: p["answered"])
    for k, ack in enumerate(sorted(acks), start=1):
        seen = next((p["answered"] for p in answered if p["answered"] >= ack and p["scored"] >= k), None)
        if seen is not None:
            out.append(seen - ack)
    return out


def run(participants: int, processes: int, window: float, every: float, seat_poll: bool, seed: int,
        timeout: float) -> dict:
    from listening.room_store import RoomStore

    work = Path(tempfile.mkdtemp(prefix="listening-load-"))
    db, log = work / "load.db", work / "app.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    started = time.time()
    app = start_app(port, db, log)
    try:
        wait_until_up(url, app)
        boot = time.time() - started
        app_cpu_before = cpu_seconds(app.pid)
        facilitator = _client(url)
        room = facilitator.predict(api_name="/start_room")[-1]
        code, key = room["code"], room["key"]
        facilitator.predict(code, key, EXERCISE, api_name="/start_exercise")

        rng = random.Random(seed)
        offsets = [rng.uniform(0, window) for _ in range(participants)]
        ctx = mp.get_context("spawn")
        go, stop = ctx.Event(), ctx.Event()
        start_at = ctx.Value("d", 0.0)
        ready, results, polls = ctx.Queue(), ctx.Queue(), ctx.Queue()
        groups = [list(range(i, participants, processes)) for i in range(processes)]
        workers = [ctx.Process(target=participants_process,
                               args=(url, code, [offsets[j] for j in group], group[0] if group else 0, go, start_at,
                                     ready, results, seat_poll), daemon=True)
                   for group in groups if group]
        projector = ctx.Process(target=projector_process, args=(url, code, key, every, go, stop, polls), daemon=True)
        for w in workers:
            w.start()
        projector.start()
        joined = sum(ready.get(timeout=timeout) for _ in workers)
        start_at.value = time.time() + 1.0
        go.set()

        done: list[dict] = []
        deadline = time.time() + window + timeout
        while len(done) < participants and time.time() < deadline:
            try:
                done.append(results.get(timeout=1.0))
            except Exception:  # noqa: BLE001 - queue.Empty: keep waiting until the deadline
                continue
        # let the projector catch up with the last reply (or give up after 10 s)
        settle = time.time() + 10
        seen: list[dict] = []
        while time.time() < settle:
            try:
                seen.append(polls.get(timeout=0.5))
            except Exception:  # noqa: BLE001 - queue.Empty
                pass
            if seen and seen[-1]["scored"] >= participants:
                break
        stop.set()
        projector.join(timeout=10)
        while True:
            try:
                seen.append(polls.get_nowait())
            except Exception:  # noqa: BLE001 - queue.Empty: drained
                break
        for w in workers:
            w.join(timeout=10)
        run_seconds = time.time() - start_at.value
        app_cpu = cpu_seconds(app.pid)
        clients_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        clients_cpu = clients_cpu.ru_utime + clients_cpu.ru_stime

        store = RoomStore(db)
        stored = store.submissions(code)
        latencies = [r["acknowledged"] - r["sent"] for r in done]
        acks = [r["acknowledged"] for r in done if r["status"] == "scored"]
        stale = staleness(acks, seen)
        first, last = (min(r["sent"] for r in done), max(r["acknowledged"] for r in done)) if done else (0, 0)
        return {
            "participants": participants, "processes": len(workers), "window_s": window,
            "projector_every_s": every, "seat_refresh_every_s": SEAT_SECONDS if seat_poll else None,
            "cpu_cores": os.cpu_count(), "app_start_s": round(boot, 1), "joined": joined,
            "submitted": len(done), "acknowledged_scored": len(acks),
            "failed": [r for r in done if r["status"] != "scored"],
            "submissions_per_s": round(len(done) / (last - first), 2) if last > first else None,
            "submit_latency_s": {"p50": round(percentile(latencies, 50), 3), "p95": round(percentile(latencies, 95), 3),
                                 "max": round(max(latencies), 3) if latencies else None},
            "projector_polls": len(seen),
            "projector_answer_s": {"p50": round(percentile([p["answered"] - p["asked"] for p in seen], 50), 3),
                                   "p95": round(percentile([p["answered"] - p["asked"] for p in seen], 95), 3)},
            "projector_staleness_s": {"p50": round(percentile(stale, 50), 3), "p95": round(percentile(stale, 95), 3),
                                      "max": round(max(stale), 3) if stale else None, "measured": len(stale)},
            "run_s": round(run_seconds, 1),
            "app_cpu_s": None if app_cpu is None or app_cpu_before is None else round(app_cpu - app_cpu_before, 1),
            "client_processes_cpu_s": round(clients_cpu, 1),
            "load_average_1min": round(os.getloadavg()[0], 2),
            "replies_stored": len(stored),
            "replies_scored": sum(s.status.value == "scored" for s in stored),
        }
    finally:
        app.terminate()
        try:
            app.wait(timeout=15)
        except subprocess.TimeoutExpired:
            app.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m listening.workshop_load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=60)
    parser.add_argument("--processes", type=int, default=6, help="client processes the participants are spread over")
    parser.add_argument("--window", type=float, default=60.0,
                        help="seconds within which every participant replies, each at a random moment (0: all at once)")
    parser.add_argument("--projector-every", type=float, default=1.0, help="seconds between projector refreshes")
    parser.add_argument("--no-seat-refresh", action="store_true",
                        help="participants do not refresh their page while they write")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=180.0, help="give up this long after the window")
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args(argv)
    for name, limit in LIMITS.items():
        if not 0 < getattr(args, name) <= limit and not (name == "window" and args.window == 0):
            parser.error(f"--{name} must be between 1 and {limit:g}")
    result = run(args.participants, args.processes, args.window, args.projector_every, not args.no_seat_refresh,
                 args.seed, args.timeout)
    lines = [
        f"participants: {result['participants']} over {result['processes']} processes, replying within "
        f"{result['window_s']:g} s; projector every {result['projector_every_s']:g} s; {result['cpu_cores']} CPU cores",
        f"submissions/s:            {result['submissions_per_s']}",
        f"submit latency p50 / p95: {result['submit_latency_s']['p50']:.2f} s / {result['submit_latency_s']['p95']:.2f} s"
        f" (max {result['submit_latency_s']['max']:.2f} s)",
        f"projector staleness p50 / p95: {result['projector_staleness_s']['p50']:.2f} s / "
        f"{result['projector_staleness_s']['p95']:.2f} s (max {result['projector_staleness_s']['max']:.2f} s)",
        f"projector answer p50 / p95: {result['projector_answer_s']['p50']:.3f} s / "
        f"{result['projector_answer_s']['p95']:.3f} s over {result['projector_polls']} polls",
        f"replies stored = {result['replies_stored']} (scored {result['replies_scored']}); acknowledged as scored: "
        f"{result['acknowledged_scored']} of {result['participants']}",
        f"CPU: the app {result['app_cpu_s']} s over the {result['run_s']:g} s run; the client processes "
        f"{result['client_processes_cpu_s']} s (joining included); machine load average {result['load_average_1min']}",
    ]
    print("\n".join(lines))  # noqa: T201 - the command's output
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    ok = result["replies_stored"] == result["replies_scored"] == result["participants"] and not result["failed"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

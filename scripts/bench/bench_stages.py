"""Stage timing shared by the Python peers of scripts/bench/baselines.sh:
stage(name) records the seconds since the previous stage (or the import),
report() prints them as "stage seconds" lines, as baselines_simec.lua does."""
import time

_times = []
_last = time.perf_counter()


def stage(name):
    global _last
    now = time.perf_counter()
    _times.append((name, now - _last))
    _last = now


def report():
    for name, sec in _times:
        print(name, "%.3f" % sec)

"""What the kernel suites share: Jupyter's folders in a temporary place
(so no user's kernelspecs or settings leak in), the simec under test and
the pass/fail count that ends a suite with "N passed, N failed"."""
import os
import shutil
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIMEC = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "simec"))
WORK = tempfile.mkdtemp(prefix="simec-kernel-")
os.environ["JUPYTER_PATH"] = os.path.join(WORK, "share", "jupyter")
os.environ["JUPYTER_RUNTIME_DIR"] = os.path.join(WORK, "runtime")
os.environ["JUPYTER_DATA_DIR"] = os.path.join(WORK, "data")
os.environ.pop("JUPYTER_CONFIG_DIR", None)

counts = {"passed": 0, "failed": 0}


def check(name, cond, detail=""):
    if cond:
        counts["passed"] += 1
        print("ok   " + name)
    else:
        counts["failed"] += 1
        print("FAIL " + name + (": " + str(detail)[:800] if detail != "" else ""))


def finish():
    """Prints the summary line and exits (the temporary folder stays when a
    check failed, for a look)."""
    if not counts["failed"]:
        shutil.rmtree(WORK, ignore_errors=True)
    print("%d passed, %d failed" % (counts["passed"], counts["failed"]))
    sys.exit(1 if counts["failed"] else 0)

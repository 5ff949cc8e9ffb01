"""The example notebooks through nbclient with the simec kernel (an error in
a cell not tagged raises-exception fails), rendered to HTML with nbconvert
and screenshotted in headless Chromium (non-blank, the SVG figure drawn).
Ends with "N passed, N failed".

    python3 tests/kernel/test_notebooks.py ./simec
"""
import os
import shutil
import subprocess
import sys
import time
import traceback

from harness import ROOT, SIMEC, WORK, check, finish

sys.path.insert(0, os.path.join(ROOT, "tests", "tools"))
from png_colors import read_png  # noqa: E402

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402


def execute(name, cwd=os.path.join(ROOT, "examples", "notebooks")):
    """Runs a notebook as Jupyter does: the kernel in the notebook's folder."""
    nb = nbformat.read(os.path.join(ROOT, "examples", "notebooks", name), 4)
    t = time.time()
    NotebookClient(nb, kernel_name="simec", timeout=600, resources={"metadata": {"path": cwd}}).execute()
    return nb, time.time() - t


def outputs(nb, kind):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == kind]


def errors_untagged(nb):
    return [c.source for c in nb.cells if c.cell_type == "code" and "raises-exception" not in c.metadata.get("tags", [])
            and any(o.output_type == "error" for o in c.outputs)]


rc = subprocess.run([SIMEC, "--install-kernel", "--prefix", WORK], capture_output=True, text=True)
check("the kernelspec installs", rc.returncode == 0, rc.stderr)
rc = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "notebooks.py"), "--check"], capture_output=True,
                    text=True)
check("examples/notebooks are what scripts/notebooks.py writes (make notebooks)", rc.returncode == 0,
      rc.stdout + rc.stderr)
have_ml100k = subprocess.run([SIMEC, "-e", "os.exit(data.find('ml-100k') and 0 or 1)"], cwd=ROOT).returncode == 0

study = None
try:
    study, secs = execute("study.ipynb")
    print("     study.ipynb ran in %.1f s on %s" % (secs, "ml-100k" if have_ml100k else "synthetic data"))
    if have_ml100k:
        check("study.ipynb run in its own folder finds ml-100k beside the checkout",
              "synthetic" not in "".join(o.get("text", "") for o in outputs(study, "stream")), outputs(study, "stream"))
    check("study.ipynb runs without an error cell", not errors_untagged(study), errors_untagged(study))
    html = [o["data"]["text/html"] for c in study.cells if c.cell_type == "code" for o in c.outputs
            if o.output_type == "execute_result" and "text/html" in o.get("data", {})]
    check("study.ipynb shows the baseline and SimEc tables as HTML",
          any("mean+SVD" in h for h in html) and any("SimEc" in h for h in html), [h[:200] for h in html])
    svg = [o["data"]["image/svg+xml"] for c in study.cells if c.cell_type == "code" for o in c.outputs
           if "image/svg+xml" in o.get("data", {})]
    check("study.ipynb draws its figure as SVG", len(svg) == 1 and svg[0].startswith("<svg"), len(svg))
    progress = [o for c in study.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "display_data"]
    streams = [o for c in study.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "stream"]
    check("study progress is one display per run, not a line per step",
          0 < len(progress) <= 4 and not streams, (progress[:3], streams[:3]))
except Exception:
    check("study.ipynb runs", False, traceback.format_exc())

# without ml-100k anywhere: a simec whose checkout has no data (a copy of
# the binary beside a link to lua/), run from a folder without data
bare = os.path.join(WORK, "bare")
os.makedirs(os.path.join(bare, "run"))
shutil.copy(SIMEC, os.path.join(bare, "simec"))
os.symlink(os.path.join(ROOT, "lua"), os.path.join(bare, "lua"))
saved = os.environ["JUPYTER_PATH"]
os.environ["JUPYTER_PATH"] = os.path.join(bare, "share", "jupyter")
try:
    subprocess.run([os.path.join(bare, "simec"), "--install-kernel", "--prefix", bare], check=True,
                   capture_output=True)
    synth, secs = execute("study.ipynb", cwd=os.path.join(bare, "run"))
    print("     study.ipynb ran in %.1f s without ml-100k" % secs)
    said = "".join(o.get("text", "") for o in outputs(synth, "stream"))
    check("study.ipynb without ml-100k says so and runs on synthetic data", "synthetic data" in said
          and not errors_untagged(synth) and len(outputs(synth, "execute_result")) >= 4, said)
except Exception:
    check("study.ipynb runs without ml-100k", False, traceback.format_exc())
os.environ["JUPYTER_PATH"] = saved

if have_ml100k:
    try:
        tour, secs = execute("tour.ipynb")
        print("     tour.ipynb ran in %.1f s" % secs)
        check("tour.ipynb runs without an error cell", not errors_untagged(tour), errors_untagged(tour))
        tagged = [c for c in tour.cells if "raises-exception" in c.metadata.get("tags", [])]
        check("tour.ipynb's deliberate errors are error outputs",
              tagged and all(any(o.output_type == "error" for o in c.outputs) for c in tagged), len(tagged))
    except Exception:
        check("tour.ipynb runs", False, traceback.format_exc())
else:
    print("     tour.ipynb skipped: it follows docs/tutorial.md on ml-100k, which is not in data/ or ../shared/data")

chromium = shutil.which("chromium") or shutil.which("chromium-browser")
if study is None:
    pass
elif not chromium:
    print("     the screenshot checks skipped: chromium is not installed (scripts/install-deps.sh installs it)")
else:
    from nbconvert import HTMLExporter
    body, _ = HTMLExporter().from_notebook_node(study)
    page, shot = os.path.join(WORK, "study.html"), os.path.join(WORK, "study.png")
    with open(page, "w", encoding="utf-8") as f:
        f.write(body)
    rc = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                         "--window-size=1000,5000", "--screenshot=" + shot, "file://" + page],
                        capture_output=True, text=True, timeout=120)
    check("nbconvert's HTML of study.ipynb renders in headless Chromium", os.path.exists(shot), rc.stderr[-500:])
    if os.path.exists(shot):
        w, h, bpp, rows = read_png(shot)
        counts = {}
        for row in rows[::2]:
            for x in range(0, w, 2):
                p = tuple(row[x * bpp:x * bpp + 3])
                counts[p] = counts.get(p, 0) + 1
        top = max(counts.values()) / sum(counts.values())
        check("the rendered notebook is not blank", top < 0.97, "%.3f of the pixels one colour" % top)
        bar = sum(n for (r, g, b), n in counts.items() if abs(r - 0x1f) < 12 and abs(g - 0x77) < 12 and abs(b - 0xb4) < 12)
        check("the SVG figure is drawn (its bars' colour on screen)", bar > 500, bar)

finish()

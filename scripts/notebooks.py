"""Writes the example notebooks (make notebooks; tests fail when they are stale):

    examples/notebooks/tour.ipynb   docs/tutorial.md as cells: its prose as
                                    Markdown, each REPL line and script as code
    examples/notebooks/study.ipynb  the study's baseline and SimEc tables on
                                    ml-100k (synthetic data when it is absent)

    python3 scripts/notebooks.py [--check]

nbformat writes them, so they are valid notebooks in its canonical layout;
outputs are left empty (a notebook is run by whoever opens it).
"""
import os
import re
import sys

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERNELSPEC = {"display_name": "simec (Lua 5.4)", "language": "lua", "name": "simec"}
LANGUAGE = {"name": "lua", "version": "5.4", "mimetype": "text/x-lua", "file_extension": ".lua",
            "pygments_lexer": "lua", "codemirror_mode": "lua"}


def notebook(cells):
    nb = new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC, "language_info": LANGUAGE})
    for k, c in enumerate(nb.cells):  # stable ids, so a regenerated notebook has no diff
        c["id"] = "cell-%d" % (k + 1)
    return nb


def repl_cells(block):
    """The code cells of a REPL transcript: one per input (with its '>>'
    continuations); an input whose output is an error is tagged
    raises-exception, as the tutorial shows that error on purpose."""
    cells, code, out = [], None, []

    def flush():
        if code and code.strip():
            errs = out and re.match(r"^(stdin|simec):\d*:? ", out[0])
            cells.append(new_code_cell("\n".join(code.split("\n")),
                                       metadata={"tags": ["raises-exception"]} if errs else {}))

    for line in block:
        if line.startswith("> ") or line == ">":
            flush()
            code, out = line[2:], []
        elif line.startswith(">> "):
            code += "\n" + line[3:]
        elif line.startswith("$ "):
            continue
        elif code is not None:
            out.append(line)
    flush()
    return cells


def tour():
    text = open(os.path.join(ROOT, "docs", "tutorial.md"), encoding="utf-8").read()
    lines = text.split("\n")
    cells, prose, i = [], [], 0

    def md():
        body = "\n".join(prose).strip()
        body = re.sub(r"\n{3,}", "\n\n", body)
        if body:
            cells.append(new_markdown_cell(body))
        prose.clear()

    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            kind = line[3:].strip()
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            block = lines[i + 1:j]
            if kind == "lua":
                md()
                cells.append(new_code_cell("\n".join(block)))
            elif kind == "output":
                pass
            elif any(b.startswith("> ") for b in block):
                md()
                cells.extend(repl_cells(block))
            else:
                prose.extend(lines[i:j + 1])
            i = j + 1
            continue
        if line.startswith("## "):
            md()
        if line.startswith("<!--") or re.match(r"^(!\[[^]]*\]\([^)]*\)\s*)+$", line):
            i += 1
            continue
        if line.startswith("# "):
            line = line + " (the notebook)"
            prose.append(line)
            prose.append("")
            prose.append("This notebook is docs/tutorial.md as cells (scripts/notebooks.py writes it): run it "
                         "with the simec kernel (`simec --install-kernel --user`, then choose \"simec (Lua 5.4)\"). "
                         "Values show as tables and figures inline; each section below repeats the tutorial's "
                         "REPL lines.")
            i += 1
            continue
        prose.append(line)
        i += 1
    md()
    return notebook(cells)


STUDY = [
    ("md", """# The study's tables in a notebook

The baseline and SimEc tables of the study (docs/results.md, docs/study.md) on MovieLens 100K: the four tasks
T1 (known items and users), T2a (new items), T2b (new users) and T3 (both new), each model tuned on validation
ratings carved from the training side with the small declared grid (`grids = "quick"`), then scored once on the
test ratings. Without ml-100k (`scripts/get-data.sh ml-100k`) it runs on synthetic data of the same shape."""),
    ("code", """study = require "simec.study"
notebook = require "simec.notebook"
dir = data.find("ml-100k")
if dir then
  ds = data.movielens(dir)
else
  print("ml-100k not found (scripts/get-data.sh ml-100k fetches it): synthetic data")
  ds = data.synthetic{items = 1682, users = 943, ratings = 100000, seed = 13}
end
ds"""),
    ("md", """## Running a part of the study

`study.run` tunes every model of the list in every scenario; in a notebook its progress (scenario, model,
setting i of n, best validation RMSE so far) is one line below the cell that each step replaces."""),
    ("code", """function run(models)
  return study.run(ds, {models = models, grids = "quick"})
end

function rows_of(runs)
  local rows = {}
  for _, r in ipairs(study.summary(runs)) do
    if not r.structural and not r.skipped then rows[#rows + 1] = r end
  end
  return rows
end
COLUMNS = {"scenario", "method", "rmse", "mae", "val_rmse", "seconds", "features"}"""),
    ("md", """## The baselines

The means model with the study's shrinkages, SVD (k = 100 and k = 10) for known items and users, and SVD +
ridge regression from the features of the new side in the cold-start tasks."""),
    ("code", """baselines = run{"mean_s0", "mean_s0.5", "mean", "svd", "svd_k10"}
notebook.table(rows_of(baselines), COLUMNS)"""),
    ("md", """## Similarity encoders

A SimEc from the features (zero-filled and masked targets), the two-SimEc, and a SimEc on the residuals of
learned, feature-predicted biases."""),
    ("code", """simecs = run{"biases", "simec", "simec_masked", "two_simec", "biases_simec"}
notebook.table(rows_of(simecs), COLUMNS)"""),
    ("md", """## The best row per task

Test RMSE of every row above, per task (lower is better)."""),
    ("code", """all = {}
for _, r in ipairs(rows_of(baselines)) do all[#all + 1] = r end
for _, r in ipairs(rows_of(simecs)) do all[#all + 1] = r end
best, names, values = {}, {}, {}
for _, r in ipairs(all) do
  if not best[r.scenario] or r.rmse < best[r.scenario].rmse then best[r.scenario] = r end
end
for _, sc in ipairs(study.SCENARIOS) do
  if best[sc] then
    names[#names + 1] = sc .. " " .. best[sc].method
    values[#values + 1] = best[sc].rmse
  end
end
plot.bar(values, names, {title = "best test RMSE per task (" .. ds.name .. ")", xlabel = "RMSE"})"""),
]


def study():
    return notebook([new_markdown_cell(t) if k == "md" else new_code_cell(t) for k, t in STUDY])


def main():
    check = "--check" in sys.argv[1:]
    out_dir = os.path.join(ROOT, "examples", "notebooks")
    stale = []
    for name, nb in (("tour.ipynb", tour()), ("study.ipynb", study())):
        nbformat.validate(nb)
        path = os.path.join(out_dir, name)
        text = nbformat.writes(nb) + "\n"
        if check:
            old = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
            if old != text:
                stale.append(path)
        else:
            os.makedirs(out_dir, exist_ok=True)
            with open(path + ".tmp", "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(path + ".tmp", path)
            print("wrote " + os.path.relpath(path, ROOT))
    if stale:
        print("stale: %s (run make notebooks)" % ", ".join(os.path.relpath(p, ROOT) for p in stale))
        sys.exit(1)


if __name__ == "__main__":
    main()

local T = require "simec.test"
local eq, check, checkerr, case = T.eq, T.check, T.checkerr, T.case
local cli, report = require "simec.cli", require "simec.report"

case("cli.try_parse: options, flags, integers, positional arguments and their errors", function()
  local o = cli.try_parse({"data", "--json", "out.json", "--synthetic", "--small-k", "7", "x"},
                          {json = "string", synthetic = "flag", small_k = "integer"}, "prog")
  eq(o.json, "out.json"); eq(o.synthetic, true); eq(o.small_k, 7); eq(o[1], "data"); eq(o[2], "x")
  local function err(...) return select(2, cli.try_parse(...)) end
  eq(err({"--bogus"}, {}, "prog"), "prog: unknown option '--bogus'")
  eq(err({"--json"}, {json = "string"}, "prog"), "prog: option '--json' requires an argument")
  eq(err({"--k", "two"}, {k = "integer"}, "prog"), "prog: --k needs a positive integer, got two")
  -- an integer option is a count (at least 1) unless its spec gives another least value
  eq(err({"--k", "0"}, {k = "integer"}, "prog"), "prog: --k needs a positive integer, got 0")
  eq(err({"--k", "1"}, {k = {"integer", "Folds.", 2}}, "prog"), "prog: --k needs an integer of at least 2, got 1")
  eq(cli.try_parse({"--k", "2"}, {k = {"integer", "Folds.", 2}}, "prog").k, 2)
  -- the converters every example's numeric options share
  eq(cli.integer("--n", 1)("3"), 3); eq(select(2, cli.integer("--n", 1)("0")), "--n needs a positive integer, got 0")
  eq(select(2, cli.integer("--n", 0, "a count")("2.5")), "--n needs a count, got 2.5")
  eq(cli.number("--x")("0.25"), 0.25); eq(select(2, cli.number("--x")("0x10")), "--x needs a number, got 0x10")
  -- cli.parse: one line on stderr, exit status 2, no traceback (under the host binary only)
  if not SIMEC_BIN then return end
  local f = T.write(T.tmpname() .. ".lua", 'require("simec.cli").parse(arg, {k = "integer"}, "prog")')
  local p = io.popen(SIMEC_BIN .. " " .. f .. " --k two 2>&1; echo rc=$?")
  local out = p:read("a")
  p:close()
  eq(out, "prog: --k needs a positive integer, got two (see --help)\nrc=2\n")
  os.remove(f)
end)

local cjson = require "cjson"

case("report.encode: a list marked with report.array is [] when empty, never {}; the doc is not changed", function()
  local doc = {none = report.array(), some = report.array{1, 2}, params = {}, nested = {x = report.array()},
               text = "\1simec: an empty list\1 in a string stays"}
  local text = report.encode(doc)
  check(text:find('"none":[]', 1, true) and text:find('"some":[1,2]', 1, true) and text:find('"params":{}', 1, true)
        and text:find('"nested":{"x":[]}', 1, true), text)
  eq(cjson.decode(text).text, doc.text)
  eq(next(doc.none), nil); eq(type(doc.nested.x), "table")
end)

case("report.json writes the metrics each result has, with seconds, params and the seed it is given", function()
  local path = T.tmpname()
  report.json(path, "ml-100k", {
    {scenario = "T1", method = "mean", rmse = 0.9, mae = 0.7, seconds = 0.5, params = {k = 10, name = "a"}},
    {scenario = "T1", method = "popularity", ["p@10"] = 0.25, auc = 0.8, seconds = 1}}, {seeds = {4, 5}})
  local doc = cjson.decode(T.read(path))
  os.remove(path)
  eq(doc.dataset, "ml-100k"); eq(doc.seed, 4); eq(#doc.seeds, 2)
  eq(doc.results[1].rmse, 0.9); eq(doc.results[1].params.k, 10); eq(doc.results[1].params.name, "a")
  eq(doc.results[2]["p@10"], 0.25); eq(doc.results[2].seconds, 1)
  check(next(doc.results[2].params) == nil)
  -- no seed given: none written (it used to say 13 whatever the split)
  report.json(path, "x", {}, {})
  eq(cjson.decode(T.read(path)).seed, nil)
  os.remove(path)
  checkerr("report.json: ", report.json, "/nonexistent-dir/r.json", "x", {})
end)

case("report.writable: asked before a run, so that --json or --svg fails at once and on one line, never after " ..
     "the run",
     function()
  local dir = T.tmpname()
  os.execute("mkdir -p " .. dir)
  eq(report.writable(dir .. "/r.json"), true)
  eq(select(2, report.writable(dir)), "is a folder")
  eq(select(2, report.writable(dir .. "/no/r.json")),
     ("cannot write in the folder %s/no (No such file or directory)"):format(dir))
  eq(select(2, report.writable("")), "needs a file name")
  local p = io.popen("ls -A " .. dir)
  eq(p:read("a"), "") -- the probe is gone and nothing was written
  p:close()
  if SIMEC_BIN then
    for _, ex in ipairs{"all_tasks", "implicit", "dti"} do
      p = io.popen(("%s examples/%s.lua --synthetic --json %s/no/r.json 2>&1; echo rc=$?"):format(SIMEC_BIN, ex, dir))
      local out = p:read("a")
      p:close()
      eq(out, ("%s: --json %s/no/r.json: cannot write in the folder %s/no (No such file or directory)\nrc=2\n")
        :format(ex, dir, dir))
    end
    for ex, opt in pairs{explain = "--svg", similar_items = "--svg-prefix"} do
      p = io.popen(("%s examples/%s.lua --synthetic %s %s/no/x 2>&1; echo rc=$?"):format(SIMEC_BIN, ex, opt, dir))
      local out = p:read("a")
      p:close()
      eq(out, ("%s: %s %s/no/x: cannot write in the folder %s/no (No such file or directory)\nrc=2\n")
        :format(ex, opt, dir, dir))
    end
  end
  os.execute("rm -rf " .. dir)
end)

-- two outputs naming one file: the later would replace the earlier when
-- the run ends, both "written"; told however the paths are spelled
case("report.unwritable: each output a file of its own", function()
  local dir = T.tmpname()
  os.execute(("mkdir -p %s/sub && ln -s %s/sub %s/link"):format(dir, dir, dir))
  eq(report.unwritable{json = dir .. "/r.json", predictions = dir .. "/p.csv"}, nil)
  eq(report.unwritable{json = dir .. "/sub/r", predictions = dir .. "/r"}, nil)
  eq(report.unwritable{json = dir .. "/r.json", predictions = dir .. "//./r.json"},
     ("--predictions %s//./r.json: the same file as --json %s/r.json"):format(dir, dir))
  eq(report.unwritable{json = dir .. "/sub/r.json", predictions = dir .. "/link/r.json"},
     ("--predictions %s/link/r.json: the same file as --json %s/sub/r.json"):format(dir, dir))
  eq(report.unwritable{svg = dir .. "/f.svg", svg_prefix = dir .. "/f"},
     ("--svg-prefix %s/f: the same file as --svg %s/f.svg"):format(dir, dir))
  -- nor over a file the run reads: the data would be gone when the run ends
  T.write(dir .. "/sub/r.csv", "1,2,3\n")
  eq(report.unwritable{ratings = dir .. "/sub/r.csv", json = dir .. "/link/r.csv"},
     ("--json %s/link/r.csv: the same file as the input --ratings %s/sub/r.csv; the run would write over it")
       :format(dir, dir))
  eq(report.unwritable{item_features = {dir .. "/a", dir .. "/sub/r.csv"}, predictions = dir .. "/sub/./r.csv"},
     ("--predictions %s/sub/./r.csv: the same file as the input --item-features %s/sub/r.csv; the run would " ..
      "write over it"):format(dir, dir))
  eq(report.unwritable{ratings = dir .. "/sub/r.csv", json = dir .. "/r.csv"}, nil)
  eq(T.read(dir .. "/sub/r.csv"), "1,2,3\n")
  local p = io.popen("ls -A " .. dir .. " " .. dir .. "/sub")
  check(not p:read("a"):find("probe"), "the probes are gone")
  p:close()
  if SIMEC_BIN then
    local here = io.popen("pwd"):read("l")
    p = io.popen(("cd %s && %s %s/examples/all_tasks.lua --synthetic --json out --predictions ./out 2>&1; echo rc=$?")
      :format(dir, SIMEC_BIN:sub(1, 1) == "/" and SIMEC_BIN or here .. "/" .. SIMEC_BIN, here))
    eq(p:read("a"), "all_tasks: --predictions ./out: the same file as --json out\nrc=2\n")
    p:close()
  end
  os.execute("rm -rf " .. dir)
end)

case("report.json: nested params, booleans, escapes and non-finite numbers are valid JSON", function()
  local path = T.tmpname()
  report.json(path, 'set "q"', {{scenario = "T1", method = "a\tb\n", rmse = 1, seconds = 0,
    params = {bias = {reg_items = 3, alpha = 0.3}, implicit = true, list = {1, 2.5}, bad = 0 / 0, inf = math.huge}}})
  local text = T.read(path)
  -- Python's json module (python3 is a benchmark peer, not a dependency) must read it, where present
  local py = io.open("/usr/bin/python3")
  if py then
    py:close()
    check(os.execute("/usr/bin/python3 -c 'import json, sys; json.load(open(sys.argv[1]))' " .. path) == true, text)
  end
  os.remove(path)
  local doc = cjson.decode(text)
  eq(doc.dataset, 'set "q"'); eq(doc.results[1].method, "a\tb\n")
  local p = doc.results[1].params
  eq(p.bad, cjson.null); eq(p.inf, cjson.null); eq(p.implicit, true); eq(p.list[2], 2.5); eq(p.bias.alpha, 0.3)
  checkerr("report.json: Cannot serialise function", report.json, path, "x",
           {{scenario = "T1", method = "m", seconds = 0, params = {f = print}}})
end)

local T = require "simec.test"
local eq, check, checkerr, case = T.eq, T.check, T.checkerr, T.case
local cli, report = require "simec.cli", require "simec.report"

case("cli.parse: options, flags, integers, positional arguments and their errors", function()
  local o = cli.parse({"data", "--json", "out.json", "--synthetic", "--small-k", "7", "x"},
                      {json = "string", synthetic = "flag", small_k = "integer"}, "prog")
  eq(o.json, "out.json"); eq(o.synthetic, true); eq(o.small_k, 7); eq(o[1], "data"); eq(o[2], "x")
  checkerr("prog: unknown option --bogus", cli.parse, {"--bogus"}, {}, "prog")
  checkerr("prog: --json needs a value", cli.parse, {"--json"}, {json = "string"}, "prog")
  checkerr("prog: --k needs an integer, got two", cli.parse, {"--k", "two"}, {k = "integer"}, "prog")
end)

case("report.json writes the metrics each result has, with seconds and params", function()
  local path = T.tmpname()
  report.json(path, "ml-100k", {
    {scenario = "T1", method = "mean", rmse = 0.9, mae = 0.7, seconds = 0.5, params = {k = 10, name = "a"}},
    {scenario = "T1", method = "popularity", ["p@10"] = 0.25, auc = 0.8, seconds = 1}})
  local text = io.open(path):read("a")
  os.remove(path)
  check(text:find('"dataset": "ml-100k", "seed": 13', 1, true) ~= nil)
  check(text:find('{"scenario": "T1", "method": "mean", "rmse": 0.900000, "mae": 0.700000, "seconds": 0.5000, ' ..
                  '"params": {"k": 10, "name": "a"}}', 1, true) ~= nil, text)
  check(text:find('"method": "popularity", "p@10": 0.250000, "auc": 0.800000, "seconds": 1.0000, "params": {}',
                  1, true) ~= nil, text)
  checkerr("report.json: ", report.json, "/nonexistent-dir/r.json", "x", {})
end)

case("report.json: nested params, booleans, escapes and non-finite numbers are valid JSON", function()
  local path = T.tmpname()
  report.json(path, 'set "q"', {{scenario = "T1", method = "a\tb\n", rmse = 1, seconds = 0,
    params = {bias = {reg_items = 3, alpha = 0.3}, implicit = true, list = {1, 2.5}, bad = 0 / 0, inf = math.huge}}})
  local text = io.open(path):read("a")
  -- Python's json module (python3 is a benchmark peer, not a dependency) must read it, where present
  local py = io.open("/usr/bin/python3")
  if py then
    py:close()
    check(os.execute("/usr/bin/python3 -c 'import json, sys; json.load(open(sys.argv[1]))' " .. path) == true, text)
  end
  os.remove(path)
  check(text:find('"dataset": "set \\"q\\""', 1, true) ~= nil, text)
  check(text:find('"method": "a\\tb\\n"', 1, true) ~= nil, text)
  check(text:find('"params": {"bad": null, "bias": {"alpha": 0.3, "reg_items": 3}, "implicit": true, ' ..
                  '"inf": null, "list": [1, 2.5]}', 1, true) ~= nil, text)
  check(not text:find("table: ", 1, true), text)
  checkerr("report.json: cannot write a function in params", report.json, path, "x",
           {{scenario = "T1", method = "m", seconds = 0, params = {f = print}}})
end)

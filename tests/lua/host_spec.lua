-- The simec binary from outside: options, scripts, stdin, exit status.
local T = require "simec.test"
local check, eq, checkerr, case = T.check, T.eq, T.checkerr, T.case
local BIN = SIMEC_BIN or "./simec"

-- run a shell command; returns stdout, stderr, success
local function run(cmd, input)
  local out, err = T.tmpname(), T.tmpname()
  local full = cmd .. " >" .. out .. " 2>" .. err
  if input then
    local inp = T.write(T.tmpname(), input)
    full = full .. " <" .. inp
  else
    full = full .. " </dev/null"
  end
  local ok = os.execute(full)
  local o, e = T.read(out) or "", T.read(err) or ""
  os.remove(out); os.remove(err)
  return o, e, ok
end

case("host: -v, -h and bad options", function()
  local o, _, ok = run(BIN .. " -v")
  check(ok and o:find("^simec %d+%.%d+%.%d+ %(Lua 5%.4"))
  o, _, ok = run(BIN .. " --version")
  check(ok and o:find("^simec "))
  o, _, ok = run(BIN .. " -h")
  check(ok and o:find("usage: simec %[options%] %[script %[args%]%]"))
  local e
  o, e, ok = run(BIN .. " -x")
  check(not ok and e:find("unrecognized option '%-x'") and e:find("usage:"))
  o, e, ok = run(BIN .. " -e")
  check(not ok and e:find("'%-e' needs argument"))
end)

case("host: -e, -l and globals", function()
  local o, _, ok = run(BIN .. [[ -e "print(1+1)" -e "print(type(matrix), type(sparse))"]])
  check(ok); eq(o, "2\ntable\ttable\n")
  local dir = T.tmpname()
  os.execute("mkdir " .. dir)
  T.write(dir .. "/mymod.lua", "return {x = 42}")
  o, _, ok = run("LUA_PATH='" .. dir .. "/?.lua' " .. BIN .. [[ -l mymod -l g=mymod -e "print(mymod.x, g.x)"]])
  check(ok); eq(o, "42\t42\n")
  local e
  o, e, ok = run(BIN .. " -l no_such_module_xyz")
  check(not ok and e:find("module 'no_such_module_xyz' not found"))
  os.execute("rm -rf " .. dir)
  o, _, ok = run(BIN .. [[ -e "print(require('simec.test') ~= nil, SIMEC_LUA_DIR ~= nil)"]])
  check(ok); eq(o, "true\ttrue\n")
end)

-- T.tmpname's files and directories go with T.summary: a test run leaves
-- nothing in /tmp
case("host: the test harness removes its temporary paths", function()
  local script = T.write(T.tmpname(), [[
local T = require "simec.test"
local f, d = T.tmpname(), T.tmpname()
T.write(f, "x")
os.execute("mkdir " .. d)
T.write(d .. "/inner", "y")
T.write(T.tmpname() .. ".lua", "z")
io.stderr:write(f, "\n", T.read(f), "\n")
T.summary()
]])
  local o, e, ok = run(BIN .. " " .. script)
  check(ok, e); eq(o, "0 passed, 0 failed\n")
  local file = e:match("^([^\n]+)\nx\n$") -- the file was there until T.summary
  local dir = file and file:match("^(.*)/")
  check(dir and dir ~= "/tmp", e)
  check(not io.open(file), "the file is gone")
  local _, _, there = run("test -e '" .. dir .. "'")
  check(not there, "the run's directory is gone")
end)

case("host: scripts get arg, errors give tracebacks and exit status", function()
  local script = T.write(T.tmpname() .. ".lua", "print(#arg, arg[1], arg[2], arg[0] ~= nil, ...)\n")
  local o, _, ok = run(BIN .. " " .. script .. " a b")
  check(ok); eq(o, "2\ta\tb\ttrue\ta\tb\n")
  T.write(script, "local function f() error('boom') end\nf()\n")
  local e
  o, e, ok = run(BIN .. " " .. script)
  check(not ok)
  check(e:find("^simec: [^\n]*:1: boom\nstack traceback:"), e)
  T.write(script, "x = = 1\n")
  o, e, ok = run(BIN .. " " .. script)
  check(not ok and e:find(":1: unexpected symbol near '='"))
  o, e, ok = run(BIN .. " /nonexistent/script.lua")
  check(not ok and e:find("cannot open /nonexistent/script.lua"))
  o, e, ok = run(BIN .. [[ -e "error(setmetatable({}, {__tostring = function() return 'custom' end}))"]])
  check(not ok and e:find("custom"))
  o, e, ok = run(BIN .. [[ -e "error({})"]])
  check(not ok and e:find("%(error object is a table value%)"))
  os.remove(script)
end)

-- a command run in the background until its output file shows "ready", then sent SIGINT; its output and exit
-- status (waiting on the output, not on a time; one that has not ended 10 s after the SIGINT is killed, status 137)
local function interrupted(cmd, ready)
  local out, rc = T.tmpname(), T.tmpname()
  os.execute(("sh -c '%s >%s 2>&1 </dev/null & pid=$!; while ! grep -q %q %s; do sleep 0.05; done; " ..
              "sleep 0.2; kill -INT $pid; n=0; while kill -0 $pid 2>/dev/null && [ $n -lt 100 ]; do sleep 0.1; " ..
              "n=$((n + 1)); done; kill -9 $pid 2>/dev/null; wait $pid; echo $? >%s'"):format(cmd, out, ready, out, rc))
  local o, status = T.read(out) or "", tonumber(T.read(rc) or "")
  os.remove(out); os.remove(rc)
  return o, status
end

case("host: a script stopped by Ctrl-C says so without a traceback and exits with status 130", function()
  local script = T.tmpname() .. ".lua"
  -- code run as a script and stopped once it wrote "ready": its output and exit status
  local function stopped(code)
    T.write(script, code)
    return interrupted(BIN .. " " .. script, "ready")
  end
  local function quiet(o, status, ending)
    eq(status, 130)
    check(o:find(ending) and not o:find("traceback"), o)
  end
  local o, status = stopped("io.write('ready\\n') io.stdout:flush() while true do end\n")
  quiet(o, status, "\nsimec: interrupted!\n$")
  -- in a long C loop (a matrix product), and in the study's runner, which adds tracebacks to other errors
  o, status = stopped("local a = matrix.ones(2000, 2000)\nio.write('ready\\n') io.stdout:flush()\n" ..
                      "for _ = 1, 100000 do local b = a * a end\n")
  quiet(o, status, "interrupted!\n$")
  o, status = interrupted(BIN .. " examples/all_tasks.lua --synthetic", "test RMSE")
  quiet(o, status, "interrupted!\n$")
  -- the interrupt is told by its error, not by a flag: an error after a pcall caught it keeps its traceback and
  -- status 1, and the caught interrupt raised again is still one
  local catch = "local ok, e = pcall(function() io.write('ready\\n') io.stdout:flush() while true do end end)\n"
  o, status = stopped(catch .. "print('caught: ' .. tostring(e))\nerror('later')\n")
  eq(status, 1)
  check(o:find("caught: .*interrupted!\n") and o:find("later\nstack traceback:"), o)
  o, status = stopped(catch .. "print(simec.interrupted(e), simec.interrupted('another error'), simec.interrupted())\n" ..
                      "error(e, 0)\n")
  quiet(o, status, "\ntrue\tfalse\tfalse\n.*interrupted!\n$")
  -- a loop in a coroutine (a hook belongs to one Lua thread): through coroutine.wrap the interrupt ends the
  -- script; coroutine.resume returns it, as pcall does
  o, status = stopped("coroutine.wrap(function() io.write('ready\\n') io.stdout:flush() while true do end end)()\n")
  quiet(o, status, "\nsimec: interrupted!\n$")
  o, status = stopped("local co = coroutine.create(function() io.write('ready\\n') io.stdout:flush() " ..
                      "while true do end end)\nlocal ok, e = coroutine.resume(co)\n" ..
                      "print(ok, simec.interrupted(e), coroutine.status(co))\n")
  eq(status, 0)
  check(o:find("\nfalse\ttrue\tdead\n$"), o)
  os.remove(script)
end)

-- the host's coroutine.resume and wrap (they tell the Ctrl-C handler which coroutine runs) behave as the library's
case("host: coroutines nest as deep as Lua's own, with the library's results and errors", function()
  local script = T.tmpname() .. ".lua"
  T.write(script, [[
local function nest(d) if d == 150 then return d end
  local ok, v = coroutine.resume(coroutine.create(nest), d + 1); assert(ok, v); return v end
local function nestw(d) if d == 150 then return d end return coroutine.wrap(nestw)(d + 1) end
print(nest(1), nestw(1))
print(coroutine.resume(coroutine.create(function(...) return select("#", ...), ... end), 1, nil, 3))
local g = coroutine.wrap(function(a) local b = coroutine.yield(a + 1); return b * 2 end)
print(g(1), g(5), pcall(g))
print(pcall(coroutine.wrap(function() error("boom") end)))
print(pcall(coroutine.wrap(function() error({}) end)) == false, select(2, coroutine.resume(coroutine.create(error))))
print(pcall(coroutine.resume, 1))
local closed
print(pcall(coroutine.wrap(function() local x <close> = setmetatable({}, {__close = function() closed = true end})
  error("e", 0) end)), closed)
]])
  local o, e, ok = run(BIN .. " " .. script)
  check(ok, e)
  eq(o, "150\t150\ntrue\t3\t1\tnil\t3\n2\t10\tfalse\tcannot resume dead coroutine\nfalse\t" .. script ..
        ":8: boom\ntrue\tnil\nfalse\tbad argument #1 to 'coroutine.resume' (thread expected, got number)\n" ..
        "false\ttrue\n")
  os.remove(script)
end)

case("host: a second Ctrl-C once the first was delivered interrupts again; one before delivery ends the process", function()
  local script, out, rc = T.tmpname() .. ".lua", T.tmpname(), T.tmpname()
  T.write(script, "for i = 1, 3 do\n  io.write('ready ' .. i .. '\\n') io.stdout:flush()\n" ..
                  "  print(pcall(function() while true do end end))\nend\nprint('end')\n")
  -- one SIGINT as each "ready N" shows: each is delivered and caught, and the script ends normally
  os.execute(("sh -c '%s %s >%s 2>&1 </dev/null & pid=$!; for i in 1 2 3; do " ..
              "while ! grep -q \"ready $i\" %s && kill -0 $pid 2>/dev/null; do sleep 0.05; done; sleep 0.2; " ..
              "kill -INT $pid 2>/dev/null; done; n=0; while kill -0 $pid 2>/dev/null && [ $n -lt 100 ]; do " ..
              "sleep 0.1; n=$((n + 1)); done; kill -9 $pid 2>/dev/null; wait $pid; echo $? >%s'"):format(BIN, script,
              out, out, rc))
  local o, status = T.read(out) or "", tonumber(T.read(rc) or "")
  eq(status, 0)
  local _, caught = o:gsub("false\tinterrupted!\n", "")
  eq(caught, 3)
  check(o:find("\nend\n$"), o)
  -- C code that never looks at the flag (a pattern match that backtracks for minutes) leaves the first
  -- undelivered: the second ends the process, as lua.c's does
  T.write(script, "io.write('ready\\n') io.stdout:flush()\n" ..
                  "print(('a'):rep(20000):find('.-.-.-.-b'))\nprint('not reached')\n")
  os.execute(("sh -c '%s %s >%s 2>&1 </dev/null & pid=$!; while ! grep -q ready %s; do sleep 0.05; done; " ..
              "sleep 0.2; kill -INT $pid; sleep 0.2; kill -INT $pid; wait $pid; echo $? >%s'"):format(BIN, script,
              out, out, rc))
  o, status = T.read(out) or "", tonumber(T.read(rc) or "")
  eq(status, 130)
  check(not o:find("not reached"), o)
  os.remove(script); os.remove(out); os.remove(rc)
end)

case("host: stdin that is not a terminal runs as a script", function()
  local o, _, ok = run(BIN, "print(6 * 7)\n")
  check(ok); eq(o, "42\n")
  local e
  o, e, ok = run(BIN, "error('from stdin')\n")
  check(not ok and e:find("from stdin"))
  o, _, ok = run(BIN .. " -", "print('dash')\n")
  check(ok); eq(o, "dash\n")
end)

case("host: -i reads statements, prints expressions, continues after errors", function()
  local input = "_PROMPT = ''\n_PROMPT2 = ''\n1 + 1\nfor i = 1, 2 do\nprint(i)\nend\nerror('oops')\nprint('alive')\n=3*3\nmatrix.eye(2)\n"
  local o, e, ok = run(BIN .. " -i", input)
  check(ok, e)
  check(o:find("2\n", 1, true), o)
  check(o:find("1\n2\n", 1, true), o)
  check(o:find("alive\n", 1, true), o)
  check(o:find("9\n", 1, true), o)
  check(o:find("matrix 2x2\n   1   0\n   0   1", 1, true), o)
  check(e:find("oops"), e)
  o, e, ok = run(BIN .. " -i", "_PROMPT=''\nx = {\n")
  check(ok and e:find("stdin:1: unexpected symbol near <eof>", 1, true), e)
end)

-- readline redrew lines past 80 columns with a carriage return under the
-- C locale (the docs' transcripts broke in CI only) and appended piped
-- lines to the user's history
case("host: piped -i input is echoed verbatim and kept out of the history", function()
  local long = "x = '" .. ("abcdefghij"):rep(25) .. "'"
  local hist = T.tmpname()
  local o, e, ok = run("env LC_ALL=C HOME=/nonexistent SIMEC_HISTORY=" .. hist .. " " .. BIN .. " -i",
                       long .. "\nfor i = 1, 1 do\nprint(#x)\nend\n#x")
  check(ok, e)
  eq(o, "simec " .. o:match("^simec ([^\n]*)") .. "\n> " .. long .. "\n> for i = 1, 1 do\n>> print(#x)\n>> end\n250\n> #x\n250\n> \n")
  eq(e, "")
  check(not io.open(hist), "piped input was written to " .. hist)
end)

case("host: lua/ is found next to the binary and after make install", function()
  local prefix = T.tmpname()
  local _, e, ok = run("make -s install PREFIX=" .. prefix)
  check(ok, e)
  local o
  o, e, ok = run(prefix .. "/bin/simec -e \"print(package.searchpath('simec.test', package.path))\"")
  check(ok, e)
  eq(o, prefix .. "/bin/../share/simec/lua/simec/test.lua\n")
  o, e, ok = run("cd / && lua5.4 -e \"package.cpath='" .. prefix .. "/lib/lua/5.4/?.so;'..package.cpath; print(require('simec').matrix.eye(2):sum())\"")
  check(ok, e); eq(o, "2.0\n")
  -- the Lua modules from stock Lua too, help included
  o, e, ok = run("cd / && LUA_CPATH='" .. prefix .. "/lib/lua/5.4/?.so;;' LUA_PATH='" .. prefix ..
                 "/share/lua/5.4/?.lua;;' lua5.4 -e \"print(require('simec.help').text(require('simec.models').means))\"")
  check(ok, e); check(o:find("^models%.means%(train"), o)
  o, e, ok = run(prefix .. "/bin/simec -e 'help(sparse.read)'")
  check(ok and o:find("^sparse%.read%(path"), o .. e)
  -- the man page, the examples, and the core library through pkg-config
  o, e, ok = run("MANWIDTH=80 man -l " .. prefix .. "/share/man/man1/simec.1")
  check(ok and o:find("SIMEC%(1%)") and o:find("SIMEC_MAX_MEMORY"), e)
  check(T.read(prefix .. "/share/simec/examples/all_tasks.lua"), "examples installed")
  -- the Jupyter kernelspec, starting the installed simec (when it has the kernel)
  local _, ke = run(prefix .. "/bin/simec --kernel /nonexistent.json")
  if not ke:find("built without the Jupyter kernel", 1, true) then
    local spec = T.read(prefix .. "/share/jupyter/kernels/simec/kernel.json")
    check(spec and spec:find('"' .. prefix .. '/bin/simec"', 1, true) and spec:find('"simec (Lua 5.4)"', 1, true), spec)
  end
  -- the public C API: <simec/...> headers, each compiling on its own, the
  -- core's internal headers not installed, and a consumer built and run
  -- through pkg-config alone
  local cflags = ("$(PKG_CONFIG_PATH=%s/lib/pkgconfig pkg-config --cflags --libs simec)"):format(prefix)
  o = run("cd " .. prefix .. "/include/simec && ls")
  eq(o, "alloc.h\nbfm.h\ncore.h\nials.h\nio.h\nlrp.h\nmat.h\nmf.h\nrec.h\nrelations.h\nridge.h\nrng.h\nsimec.h\nsimec_model.h\nspm.h\nsvd.h\n")
  for h in o:gmatch("[^\n]+") do
    local one = T.write(T.tmpname() .. ".c", "#include <simec/" .. h .. ">\nint main(void) { return 0; }\n")
    _, e, ok = run(("cc -std=c99 -Wall -Werror -fsyntax-only %s %s"):format(one, cflags))
    check(ok, h .. " does not compile on its own: " .. e)
    os.remove(one)
  end
  local prog = T.write(T.tmpname() .. ".c", [[
#include <stdio.h>
#include <simec/simec.h>
int main(void)
{
    mat a, u, s, vt;
    core_err e;
    svd_opts o;
    size_t i;
    if (mat_init(&a, 4, 3, &e))
        return 1;
    for (i = 0; i < 12; i++)
        a.x[i] = (double)(i % 5);
    svd_opts_default(&o);
    if (svd_truncated(&u, &s, &vt, NULL, &a, 1, &o, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    printf("%zu %zu %.4f\n", a.rows * a.cols, u.rows, s.x[0]);
    mat_release(&a), mat_release(&u), mat_release(&s), mat_release(&vt);
    return 0;
}
]])
  o, e, ok = run(("cc -std=c99 %s -o %s.bin %s && %s.bin"):format(prog, prog, cflags, prog))
  check(ok, e); eq(o, "12 4 6.4586\n") -- sqrt of the largest eigenvalue of a^T a, 41.714
  os.remove(prog); os.remove(prog .. ".bin")
  _, e, ok = run("make -s uninstall PREFIX=" .. prefix)
  check(ok, e)
  o = run("find " .. prefix .. " -type f")
  eq(o, "")
  os.execute("rm -rf " .. prefix)
end)

case("examples/baselines.lua on synthetic data prints every row and writes the JSON results", function()
  local json = T.tmpname() .. ".json"
  local o, e, ok = run(BIN .. " examples/baselines.lua --synthetic --quiet --json " .. json)
  check(ok, e)
  eq(e, "") -- --quiet: no progress
  for _, row in ipairs{"T1    mean(s=0) ", "T1    mean+SVD ", "T1    mean+SVD(k=10)", "T2a   mean+SVD+regression ",
                       "T2b   mean+SVD+regression ", "T3    mean+SVD+regression(both)", "T3    mean "} do
    check(o:find(row, 1, true), row)
  end
  local doc = require("cjson").decode(T.read(json))
  eq(doc.dataset, "synthetic"); eq(doc.seed, 13)
  local n, svd10 = 0, 0
  for _, r in ipairs(doc.results) do
    if r.rmse then n = n + 1 end
    if r.method == "mean+SVD(k=10)" and r.skipped then svd10 = svd10 + 1 end
  end
  eq(n, 4 * 5 + 1 + 1 + 3) -- five means rows per task, two SVD ranks in T1, SVD + regression in the others
  eq(svd10, 3)
  os.remove(json)
  _, e, ok = run(BIN .. " examples/baselines.lua --bogus")
  check(not ok and e == "baselines: unknown option '--bogus' (see --help)\n", e)
end)

case("scripts/get-data.sh: download, check and unpack, offline through file:// URLs", function()
  local root = T.tmpname()
  os.execute(("mkdir -p %s/src/ml-100k %s/bad %s/dti"):format(root, root, root))
  for _, f in ipairs{"u.data", "u.item", "u.user", "u.genre"} do T.write(root .. "/src/ml-100k/" .. f, "x\n") end
  os.execute(("cd %s/src && zip -qr ../srv.zip ml-100k && mkdir -p ../srv && mv ../srv.zip ../srv/ml-100k.zip"):format(root))
  local get = "sh scripts/get-data.sh --dest " .. root .. "/data --base-url file://" .. root
  local o, e, ok = run(get .. "/srv ml-100k")
  check(ok, e)
  check(o:find("ml-100k -> " .. root .. "/data/ml-100k", 1, true), o)
  eq(T.read(root .. "/data/ml-100k/u.data"), "x\n")
  o, e, ok = run(get .. "/srv ml-100k")
  check(ok and o:find("exists %(%-%-force downloads it again%)"), o)
  -- a corrupt archive: refused, the existing copy untouched, nothing left behind
  T.write(root .. "/bad/ml-100k.zip", "not a zip")
  o, e, ok = run(get .. "/bad --force ml-100k")
  check(not ok and e:find("is not a valid zip archive"), e)
  eq(T.read(root .. "/data/ml-100k/u.data"), "x\n")
  local p = io.popen("ls -A " .. root .. "/data")
  eq(p:read("a"), "ml-100k\n")
  p:close()
  -- an archive without the expected files
  os.execute(("cd %s/src && rm ml-100k/u.user ../bad/ml-100k.zip && zip -qr ../bad/ml-100k.zip ml-100k"):format(root))
  o, e, ok = run(get .. "/bad --force ml-100k")
  check(not ok and e:find("the archive lacks u.user"), e)
  -- DTI files are checked against their sha256
  for _, f in ipairs{"nr_admat_dgc.txt", "nr_simmat_dc.txt", "nr_simmat_dg.txt", "gpcr_admat_dgc.txt",
                     "gpcr_simmat_dc.txt", "gpcr_simmat_dg.txt"} do T.write(root .. "/dti/" .. f, "0\n") end
  o, e, ok = run(get .. "/dti dti")
  check(not ok and e:find("nr_admat_dgc.txt has sha256 [0-9a-f]+, expected 74256ec8"), e)
  o, e, ok = run(get .. "/dti --no-verify dti")
  check(ok, e)
  eq(T.read(root .. "/data/dti/gpcr_simmat_dg.txt"), "0\n")
  o, e, ok = run(get .. "/srv ml-5m")
  check(not ok and e:find("unknown data set 'ml%-5m'"), e)
  o, e, ok = run(get .. "/nowhere ml-1m")
  check(not ok and e:find("cannot download"), e)
  os.execute("rm -rf " .. root)
end)

-- A process killed (SIGKILL) while it saves leaves the previous file intact:
-- every writer goes through a temporary file that is fsynced and renamed.
case("host: SIGKILL during saves never leaves a damaged model, .npy or SVG", function()
  local dir = T.tmpname()
  os.remove(dir)
  assert(os.execute(("mkdir -p '%s'"):format(dir)))
  local script = T.write(dir .. "/saver.lua", ([[
    local m = SimEc.new{input = 2000, embedding = 200, output = 3000, seed = 1}
    local A = matrix.rand(1000, 1000, 1)
    m:save("%s/m.model"); A:save_npy("%s/a.npy")
    io.open("%s/ready", "w"):close()
    while true do
      m:save("%s/m.model"); A:save_npy("%s/a.npy")
      plot.scatter({1, 2}, {3, 4}, {file = "%s/p.svg"})
    end
  ]]):gsub("%%s", dir))
  local want = matrix.rand(1000, 1000, 1)
  for round = 1, 4 do
    os.remove(dir .. "/ready")
    local pidfile = dir .. "/pid"
    assert(os.execute(("%s %s >/dev/null 2>&1 & echo $! > %s"):format(BIN, script, pidfile)))
    local pid = T.read(pidfile):match("%d+")
    for _ = 1, 600 do if T.read(dir .. "/ready") then break end os.execute("sleep 0.05") end
    os.execute(("sleep 0.%d; kill -9 %s; sleep 0.1"):format(round * 2 + 1, pid))
    local m = SimEc.load(dir .. "/m.model") -- raises on a damaged file
    eq(m:config().output, 3000)
    check(matrix.load_npy(dir .. "/a.npy") == want, "the .npy file is intact")
    local svg = T.read(dir .. "/p.svg")
    check(svg == nil or svg:find("</svg>\n$"), "the SVG is whole")
  end
  os.execute(("rm -rf '%s'"):format(dir))
end)

case("host: SIMEC_MAX_MEMORY sets the ceiling; a malformed value is a clear error", function()
  local o, e, ok = run("SIMEC_MAX_MEMORY=100M " .. BIN .. " -e 'print(simec.limits().memory); matrix.zeros(5000, 5000)'")
  check(not ok and o == "104857600\n", o)
  check(e:find("matrix: not enough memory (190.7 MiB requested", 1, true), e)
  _, e, ok = run("SIMEC_MAX_MEMORY=lots " .. BIN .. " -e 'print(1)'")
  check(not ok and e:find("SIMEC_MAX_MEMORY: expected a number of bytes or a size like 8G, got 'lots'", 1, true), e)
  -- a size too large to be one (1e400 reads as infinity) is no limit in disguise, but an error
  _, e, ok = run("SIMEC_MAX_MEMORY=1e400 " .. BIN .. " -e 'print(1)'")
  check(not ok and e:find("SIMEC_MAX_MEMORY: expected a number of bytes or a size like 8G, got '1e400'", 1, true), e)
  checkerr("limits: memory must be a number of bytes", simec.limits, {memory = "1e400"})
  checkerr("limits: memory must be a number of bytes", simec.limits, {memory = math.huge})
end)

case("host: the Lua heap counts against the memory ceiling (issue 16)", function()
  local o, e, ok = run("SIMEC_MAX_MEMORY=256M " .. BIN ..
                       " -e 'print(pcall(function() return #rng.new(1):permutation(2^25) end)); print(simec.memory() < 2^28)'")
  check(ok and o == "false\tnot enough memory\ntrue\n", o .. e)
  -- the REPL's own tables count from the start: memory() is never 0 in the host
  o = run(BIN .. " -e 'print(simec.memory() > 0)'")
  eq(o, "true\n")
end)

case("host: under a tight address-space limit a product runs or simec says why, never hangs (issue 16)", function()
  if os.getenv("SIMEC_SANITIZE") == "1" or os.getenv("SIMEC_VALGRIND") == "1" then
    return print("host_spec: skipped the ulimit -v test: sanitizers and valgrind need the address space")
  end
  local prog = " -e 'local A = matrix.rand(500, 500, 1); print((A * A):sum() > 0)'"
  -- OpenBLAS hung retrying its buffer mapping (two threads, 200 MB): now it runs on what fits
  local o, e, ok = run("ulimit -v 250000; OPENBLAS_NUM_THREADS=2 timeout 60 " .. BIN .. prog)
  check(ok and o == "true\n", o .. e)
  o, e, ok = run("ulimit -v 120000; OPENBLAS_NUM_THREADS=2 timeout 60 " .. BIN .. prog)
  check(not ok and e:find("the address space limit (ulimit -v", 1, true) and e:find("raise the limit", 1, true), e)
end)

case("the host's globals are simec.modules' global entries, and only those", function()
  local out = io.popen(BIN .. [[ -e 'local t = {} for _, m in ipairs(simec.modules) do
    t[#t + 1] = m.name .. "=" .. tostring(m.global == (rawget(_G, m.name) ~= nil)) end print(table.concat(t, " "))']]):read("a")
  check(not out:find("=false", 1, true), out)
  check(out:find("study=true", 1, true) and out:find("matrix=true", 1, true), out)
end)

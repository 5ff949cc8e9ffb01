local T = require "simec.test"
local check, eq, checkerr, case = T.check, T.eq, T.checkerr, T.case
local plot = require "simec.plot"

-- well formed: every tag closed in order, attribute values quoted, & only in entities
local function well_formed(svg)
  local stack = {}
  for close, name, attrs, selfclose in svg:gmatch("<(/?)([%w:]+)([^>]*)(/?)>") do
    if close == "/" then
      if stack[#stack] ~= name then return false, "</" .. name .. "> closes " .. tostring(stack[#stack]) end
      stack[#stack] = nil
    else
      local rest = attrs:gsub('%s+[%w:-]+="[^"]*"', "")
      if rest:match("%S") and rest ~= "/" then return false, "bad attributes in <" .. name .. ">: " .. attrs end
      if selfclose ~= "/" and not attrs:match("/%s*$") then stack[#stack + 1] = name end
    end
  end
  if #stack > 0 then return false, "unclosed <" .. stack[#stack] .. ">" end
  if svg:gsub("&%a+;", ""):find("&", 1, true) then return false, "bare &" end
  return true
end

case("plot: scatter, line and histogram give well-formed SVG with axes, ticks and labels", function()
  local x, y = {}, {}
  for k = 1, 50 do x[k] = k / 50; y[k] = math.sin(k / 8) end
  local s = plot.scatter(x, y, {title = "A & B <test>", xlabel = "x", ylabel = "sin"}).svg
  check(well_formed(s))
  check(s:find("A &amp; B &lt;test&gt;", 1, true) ~= nil)
  local n = 0
  for _ in s:gmatch("<circle") do n = n + 1 end
  eq(n, 50)
  check(s:find(">0.4<", 1, true) and s:find(">0.8<", 1, true)) -- tick labels at steps of 0.2
  local l = plot.line(matrix.new{{1}, {2}, {3}}, {{1, 2, 3}, matrix.new{{3}, {2}, {1}}}, {labels = {"up", "down"}}).svg
  check(well_formed(l))
  check(l:find(">up<", 1, true) and l:find(">down<", 1, true))
  local h = plot.hist({1, 1, 2, 3, 3, 3, 0 / 0}, {bins = 3}).svg
  check(well_formed(h))
  n = 0
  for _ in h:gmatch("<rect") do n = n + 1 end
  eq(n, 4) -- the background and three bars
  -- written atomically to a file, equal to the returned text
  local path = T.tmpname() .. ".svg"
  local w = plot.scatter({1, 2}, {3, 4}, {file = path})
  eq(io.open(path, "rb"):read("a"), w.svg)
  eq(w.file, path)
  os.remove(path)
  checkerr("plot: ", plot.scatter, {1}, {2}, {file = "/nonexistent-dir/p.svg"})
  checkerr("plot.scatter: x has 2 values, y has 1", plot.scatter, {1, 2}, {1})
  checkerr("plot.line: series 1 has 2 values, x has 3", plot.line, {1, 2, 3}, {{1, 2}})
  checkerr("plot.hist: bins must be a positive integer", plot.hist, {1, 2}, {bins = 0})
  checkerr("plot: no finite values to plot", plot.scatter, {0 / 0}, {1})
  checkerr("plot: x must be a list or a vector matrix", plot.scatter, matrix.ones(2, 2), {1, 2})
end)

-- One figure of each kind rendered by headless Chromium, and the
-- screenshot's pixels checked: ink on the page, the series' colours where
-- the data are, and the legend's colours in its corner.
local chromium = io.popen("command -v chromium chromium-browser 2>/dev/null"):read("l")
local python = io.popen("command -v python3 2>/dev/null"):read("l")
if chromium and python then
  case("plot: each kind of figure renders in headless Chromium with its marks and legend", function()
    local dir = T.tmpname()
    os.execute("mkdir " .. dir)
    local function shot(name, fig)
      fig:save(dir .. "/" .. name .. ".svg")
      -- without the sanitizer runtime the suite may preload, and never for long
      os.execute(("env -u LD_PRELOAD -u ASAN_OPTIONS timeout 60 %s --headless --no-sandbox --disable-gpu " ..
                  "--hide-scrollbars --window-size=%d,%d --screenshot=%s/%s.png file://%s/%s.svg >/dev/null 2>&1")
                 :format(chromium, fig.width, fig.height, dir, name, dir, name))
      check(io.open(dir .. "/" .. name .. ".png", "rb"), "no screenshot of " .. name)
      return function(box, ...)
        local colors = {}
        for i, c in ipairs{...} do colors[i] = "'" .. c .. "'" end -- '#' would start a shell comment
        local cmd = ("%s tests/tools/png_colors.py %s/%s.png %s %s"):format(python, dir, name,
                                                                            box and table.concat(box, " ") or "",
                                                                            table.concat(colors, " "))
        local out = {}
        for k, v in io.popen(cmd):read("a"):gmatch("(%S+) (%d+)\n") do out[k] = tonumber(v) end
        return out
      end
    end
    local BLUE, RED = "#1f77b4", "#d62728"
    local x, y = {}, {}
    for k = 1, 40 do x[k], y[k] = k, (k * 7) % 13 end
    local PALE = "#78add2" -- the points' blue at 0.6 opacity over white
    local all = shot("scatter", plot.scatter(x, y, {title = "scatter", xlabel = "x", ylabel = "y"}))(nil, PALE)
    check(all.inked > 2000 and all[PALE] > 300, ("scatter: %d inked pixels, %d blue"):format(all.inked, all[PALE]))
    local line = shot("line", plot.line({1, 2, 3, 4}, {{1, 2, 3, 4}, {4, 3, 2, 1}},
                                       {title = "loss", labels = {"train", "validation"}}))
    local legend = line({640 - 160, 40, 640, 100}, BLUE, RED)
    check(legend[BLUE] > 10 and legend[RED] > 10, ("line: the legend corner has %d blue and %d red pixels")
          :format(legend[BLUE], legend[RED]))
    local whole = line(nil, BLUE, RED)
    check(whole[BLUE] > legend[BLUE] + 200 and whole[RED] > legend[RED] + 200, "line: both series drawn")
    local h = shot("hist", plot.hist(y, {bins = 10, title = "histogram"}))(nil, BLUE)
    check(h[BLUE] > 5000, ("histogram: %d blue pixels"):format(h[BLUE]))
    local b = shot("bar", plot.bar({0.5, -0.2, 1}, {"genre=Drama", "decade=1990s", "genre=War"},
                                   {title = "relevance"}))(nil, BLUE, RED)
    check(b[BLUE] > 3000 and b[RED] > 500, ("bar: %d blue, %d red pixels"):format(b[BLUE], b[RED]))
    local blank = T.write(dir .. "/blank.svg", '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480">' ..
                                              '<rect width="640" height="480" fill="white"/></svg>')
    os.execute(("env -u LD_PRELOAD -u ASAN_OPTIONS timeout 60 %s --headless --no-sandbox --disable-gpu " ..
                "--window-size=640,480 --screenshot=%s/blank.png file://%s >/dev/null 2>&1"):format(chromium, dir, blank))
    local out = io.popen(("%s tests/tools/png_colors.py %s/blank.png"):format(python, dir)):read("a")
    check(out:find("inked 0\n", 1, true), "a blank page has no ink: " .. out)
    os.execute("rm -rf " .. dir)
  end)
else
  io.stderr:write(("plot_spec: skipped the Chromium rendering test: %s is not installed " ..
                   "(scripts/install-deps.sh installs it)\n"):format(chromium and "python3" or "chromium"))
end

case("figures print as summaries, save crash-safely and open with plot.show", function()
  local f = plot.bar({0.5, -0.2}, {"a", "b"}, {title = "t"})
  check(tostring(f):match("^figure %(bar, 640x160, %d+ bytes of SVG%); fig:save%(path%) writes it"), tostring(f))
  check(not f.svg:find(">1<", 1, true) and not f.svg:find(">2<", 1, true), "a bar chart has no numeric y axis")
  local path = T.tmpname() .. ".svg"
  eq(f:save(path), f)
  eq(io.open(path, "rb"):read("a"), f.svg)
  check(tostring(f):find("written to " .. path, 1, true), tostring(f))
  checkerr("plot: ", f.save, f, "/nonexistent-dir/f.svg")
  checkerr("save: expected a figure", f.save, {}, path)
  checkerr("plot.show: expected a figure", plot.show, "<svg/>")
  -- $BROWSER opens it; without one (and no display) the path is printed
  local log = T.tmpname()
  local opener = T.write(T.tmpname(), ("#!/bin/sh\necho \"$1\" > %s\n"):format(log))
  os.execute("chmod +x " .. opener)
  local script = T.write(T.tmpname(), ("local f = plot.scatter({1, 2}, {3, 4}) print(plot.show(f, '%s'))"):format(path))
  local bin = SIMEC_BIN or "./simec" -- the stock-Lua run has the host beside it too
  local out = io.popen(("env BROWSER=%s %s %s 2>&1"):format(opener, bin, script)):read("a")
  eq(out, path .. "\n")
  -- the opener runs in the background: wait for its whole line, not only
  -- for the file (it exists, empty, before echo writes to it)
  for _ = 1, 100 do if (T.read(log) or ""):find("\n", 1, true) then break end os.execute("sleep 0.1") end
  eq(T.read(log), path .. "\n")
  out = io.popen(("env -u BROWSER -u DISPLAY -u WAYLAND_DISPLAY %s %s"):format(bin, script)):read("a")
  eq(out, ("figure written to %s (no $BROWSER or display to open it)\n%s\n"):format(path, path))
  for _, p in ipairs{path, log, opener, script} do os.remove(p) end
end)

case("plot.bar draws one labelled bar per value", function()
  local b = plot.bar({0.5, -0.2, 1}, {"genre=Drama", "decade=1990s", "genre=War & peace"}, {title = "relevance"}).svg
  check(well_formed(b))
  local n = 0
  for _ in b:gmatch("<rect") do n = n + 1 end
  eq(n, 4) -- the background and three bars
  check(b:find("genre=War &amp; peace", 1, true) ~= nil)
  checkerr("plot.bar: 1 names for 2 values", plot.bar, {1, 2}, {"a"})
end)

case("plot.escape: text inside SVG or HTML, for plot and the notebook alike", function()
  eq(plot.escape('a<b & "c">'), "a&lt;b &amp; &quot;c&quot;&gt;")
  eq(plot.escape(3), "3")
  eq(require("simec.notebook").bundle({{name = "<b>"}})["text/html"]:match("<td>(.-)</td>"), plot.escape("<b>"))
end)

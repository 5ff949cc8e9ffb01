-- A small test harness (also for users' own experiment checks):
--   local T = require "simec.test"
--   T.case("name", function() T.check(x == 1); T.checkerr("bad", f, arg) end)
--   os.exit(T.summary() and 0 or 1)
local T = {passed = 0, failed = 0, quiet = false}

local function where(level)
  local info = debug.getinfo(level + 1, "Sl")
  return info and (info.short_src .. ":" .. (info.currentline or 0)) or "?"
end

function T.check(cond, msg)
  if not cond then error((msg or "check failed") .. " at " .. where(2), 2) end
  return cond
end

function T.eq(got, want, msg)
  if got ~= want then
    error(("%sexpected %s, got %s at %s"):format(msg and msg .. ": " or "", tostring(want),
          tostring(got), where(2)), 2)
  end
end

function T.near(got, want, tol, msg)
  tol = tol or 1e-12
  if type(got) ~= "number" or math.abs(got - want) > tol * math.max(1, math.abs(want)) then
    error(("%sexpected %.17g (tol %g), got %s at %s"):format(msg and msg .. ": " or "", want, tol,
          tostring(got), where(2)), 2)
  end
end

-- f(...) must raise an error whose message contains sub (plain text)
function T.checkerr(sub, f, ...)
  local ok, err = pcall(f, ...)
  if ok then error(("expected an error containing %q, got success at %s"):format(sub, where(2)), 2) end
  err = tostring(err)
  if not err:find(sub, 1, true) then
    error(("expected an error containing %q, got %q at %s"):format(sub, err, where(2)), 2)
  end
  return err
end

function T.case(name, fn)
  local ok, err = xpcall(fn, debug.traceback)
  if ok then
    T.passed = T.passed + 1
  else
    T.failed = T.failed + 1
    io.stderr:write("FAIL ", name, "\n", tostring(err), "\n")
  end
end

-- A random 0/1 fixture: rows x cols, each entry 1 with probability p, drawn
-- row by row from rng.new(seed), as a sparse matrix
function T.random_binary(rows, cols, p, seed)
  local simec = require "simec"
  local g, I, J = simec.rng.new(seed), {}, {}
  for a = 1, rows do
    for b = 1, cols do
      if g:uniform() < p then I[#I + 1], J[#J + 1] = a, b end
    end
  end
  return simec.sparse.from_triplets(I, J, 1, {rows = rows, cols = cols})
end

-- A fresh path for a temporary file or directory. Every path lies in one
-- directory of this run's, made at the first call and removed with what
-- is in it by T.summary, so a test run leaves nothing behind in /tmp.
local tmpdir, tmpcount = nil, 0

function T.tmpname()
  if not tmpdir then
    local p = os.tmpname()
    os.remove(p)
    local ok = os.execute(("mkdir -m 700 '%s'"):format(p))
    if not ok then error(("T.tmpname: cannot make the directory %s"):format(p), 2) end
    tmpdir = p
  end
  tmpcount = tmpcount + 1
  -- of one width, so that no name holds another (tests find files by name)
  return ("%s/t%06d"):format(tmpdir, tmpcount)
end

function T.write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  return path
end

function T.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

-- What f(...) writes on io.stderr, and f's results; io.stderr is restored
-- and f's error raised again whether or not f fails.
function T.stderr_of(f, ...)
  local got, stderr = {}, io.stderr
  io.stderr = {write = function(self, ...)
    for _, text in ipairs{...} do got[#got + 1] = tostring(text) end
    return self
  end}
  local res = table.pack(pcall(f, ...))
  io.stderr = stderr
  if not res[1] then error(res[2], 0) end
  return table.concat(got), table.unpack(res, 2, res.n)
end

function T.summary()
  if tmpdir then
    os.execute(("rm -rf '%s'"):format(tmpdir))
    tmpdir = nil
  end
  print(("%d passed, %d failed"):format(T.passed, T.failed))
  return T.failed == 0
end

return T

-- The fault figures of scripts/bench/faults.sh: malformed inputs per
-- loader, random API programs, corrupted model files. Prints one line per
-- figure; kills during saves are the shell script's part.
--   simec faults.lua N
local T = require "simec.test"
local data = require "simec.data"
local N = math.tointeger(tonumber(arg[1] or "300"))
local r = rng.new(20261129)
local dir = T.tmpname()
os.execute("mkdir -p " .. dir)

-- mutated copies of valid inputs, from an alphabet of the characters that
-- matter to the readers
local targets = dofile("tests/fuzz/targets.lua")
local ALPHABET = "0123456789\t,:;| \n\r.-+eExX%MatrixNUMPY'(){}\0\255\239\187\191abcinf"
local function mutate(s) return targets.mutate(s, r, ALPHABET, 6) end

-- The reference for sparse.read: the documented grammar, in plain Lua.
-- Returns the triplets (row id, col id -> value) or nil when the file must
-- be refused. Options: tab-separated, row 1, col 2, value 3, no header;
-- spaces around fields are not part of them; NUL bytes are refused.
local function reference(text)
  text = text:gsub("^\239\187\191", "")
  local out, n, fields = {}, 0, nil
  local lines = {}
  for l in (text:gsub("\r\n", "\n"):gsub("\r", "\n") .. "\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = l end
  while #lines > 0 and lines[#lines]:match("^[ \t]*$") do lines[#lines] = nil end
  for _, l in ipairs(lines) do
    if l:match("^[ \t]*$") or l:find("\0", 1, true) then return nil end
    local f = {}
    for x in (l .. "\t"):gmatch("([^\t]*)\t") do f[#f + 1] = x:match("^ *(.-) *$") end -- fields are trimmed of spaces
    fields = fields or #f
    if #f ~= fields or #f < 3 or f[1] == "" or f[2] == "" then return nil end
    local v = data.number(f[3])
    if not v then return nil end
    local key = f[1] .. "\0" .. f[2]
    if out[key] then return nil end
    out[key] = v
    n = n + 1
  end
  return out, n
end

local function same(S, want, n)
  if S:nnz() ~= n then return false end
  for i, j, v in S:triplets() do
    if want[S:row_label(i) .. "\0" .. S:col_label(j)] ~= v then return false end
  end
  return true
end

local quiet = {write = function() end}
local function try(fn, ...)
  local stderr = io.stderr
  io.stderr = quiet
  local ok, res, extra = pcall(fn, ...)
  io.stderr = stderr
  if not ok and (type(res) ~= "string" or #res == 0) then error("an error without a message", 0) end
  return ok, res, extra
end

-- malformed inputs per loader
local TRIPLETS = "196\t242\t3\r\n186\t302\t3.5\n22\t377\t1\n244\t51\t2\n"
local loaders = {
  {"sparse.read (tab triplets, checked)", TRIPLETS, function(path) return sparse.read(path, {delim = "\t"}) end, true},
  {"sparse.read (MovieLens ::)", "1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n",
   function(path) return sparse.read(path, {delim = "::", value = 3}) end},
  {"sparse.read_mtx", "%%MatrixMarket matrix coordinate real symmetric\n% c\n3 3 3\n1 1 1.5\n3 1 -2\n2 2 4\n",
   sparse.read_mtx},
  {"matrix.load_npy", "\147NUMPY\1\0v\0{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1), }" ..
   (" "):rep(50) .. "\n" .. ("\0"):rep(16), matrix.load_npy},
  {"data.features_file", "id,len,score\n1,2.5,\n10,0,1e-3\n",
   function(path) return data.features_file(path, {"1", "2", "10"}, "item") end},
}
for _, L in ipairs(loaders) do
  local name, valid, fn, checked = table.unpack(L)
  local path = dir .. "/input"
  local loaded, refused, wrong = 0, 0, 0
  for _ = 1, N do
    local text = mutate(valid)
    T.write(path, text)
    local ok, S = try(fn, path)
    if ok then
      loaded = loaded + 1
      if checked then
        local want, n = reference(text)
        if not want or not same(S, want, n) then wrong = wrong + 1 end
      end
    else
      refused = refused + 1
    end
  end
  print(("loader %-36s tried %d, loaded %d, clean errors %d, silent wrong %s, crashes 0"):format(name, N, loaded,
        refused, checked and tostring(wrong) or "(no reference)"))
end

-- random API programs
local calls = 0
for k = 1, N do
  local b = {}
  for i = 1, 120 do b[i] = string.char(r:integers(0, 256)) end
  calls = calls + 60 -- every op consumes one byte and about one argument byte
  try(targets.api, table.concat(b), dir)
  if k % 50 == 0 then collectgarbage() end
end
print(("api calls tried about %d in %d programs, crashes 0"):format(calls, N))

-- corrupted model files: every one refused, and little allocated first
local m = SimEc.new{input = 20, hidden = {{16, "tanh"}}, embedding = 8, output = 30, seed = 1}
local good_path = dir .. "/model"
m:save(good_path)
local good = T.read(good_path)
local refused, loaded, worst = 0, 0, 0
for _ = 1, N do
  local bytes, kind = {good:byte(1, -1)}, r:integers(0, 3)
  if kind == 0 then -- one flipped bit
    local p = r:integers(1, #bytes + 1)
    bytes[p] = bytes[p] ~ (1 << r:integers(0, 8))
  elseif kind == 1 then -- a random byte
    bytes[r:integers(1, #bytes + 1)] = r:integers(0, 256)
  else -- truncated
    for _ = 1, r:integers(1, #bytes) do bytes[#bytes] = nil end
  end
  local t = {}
  for i, v in ipairs(bytes) do t[i] = string.char(v) end
  local text = table.concat(t)
  T.write(good_path, text)
  local before = simec.memory(true)
  local ok = try(SimEc.load, good_path)
  local _, peak = simec.memory()
  worst = math.max(worst, peak - before)
  if ok then loaded = loaded + 1 else refused = refused + 1 end
end
print(("models corrupted %d, refused %d, loaded %d, largest allocation before refusal %d bytes (file %d bytes; " ..
       "bound 2 x file + 64 KiB = %d)"):format(N, refused, loaded, worst, #good, 2 * #good + 65536))
os.execute("rm -rf " .. dir)

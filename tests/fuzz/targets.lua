-- Fuzz targets for the Lua-side parsers: target(input, dir) writes the
-- fuzzer's bytes as one file of a small, otherwise valid data set in dir
-- and loads it. Used by tests/fuzz/fuzz_lua.c (libFuzzer) and replayed by
-- tests/lua/fuzz_spec.lua (seed and regression corpora).
local data = require "simec.data"
local targets = {}

local function write(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end

-- s with 1 to max_ops (8) bytes inserted, deleted or replaced, drawn from
-- alphabet with the rng r: the mutations of the suite's and the fault
-- bench's malformed inputs
function targets.mutate(s, r, alphabet, max_ops)
  local t = {}
  for i = 1, #s do t[i] = s:sub(i, i) end
  for _ = 1, r:integers(1, max_ops or 8) do
    local op, pos = r:integers(0, 3), r:integers(1, #t + 2)
    local a = r:integers(1, #alphabet + 1)
    local ch = alphabet:sub(a, a)
    if op == 0 then table.insert(t, math.min(pos, #t + 1), ch)
    elseif op == 1 and #t > 0 then table.remove(t, math.min(pos, #t))
    elseif #t > 0 then t[math.min(pos, #t)] = ch end
  end
  return table.concat(t)
end

-- warnings are expected on odd input; keep the fuzzer's output readable
local quiet = {write = function() end}
local function load(fn, ...)
  local stderr = io.stderr
  io.stderr = quiet
  local ok, err = pcall(fn, ...)
  io.stderr = stderr
  if not ok then error(err, 0) end
end

-- A data set of valid files in dir, one of them (names[first byte], in
-- order) replaced by the rest of the input, loaded by fn(dir, ...) and
-- removed, also when loading fails (a file left behind could change which
-- release the next target's loader detects)
local function with_files(input, dir, files, names, fn, ...)
  local b = input:byte(1) or 0
  files[names[b % #names + 1]] = input:sub(2)
  for n, text in pairs(files) do write(dir .. "/" .. n, text) end
  local ok, err = pcall(load, fn, dir, ...)
  for n in pairs(files) do os.remove(dir .. "/" .. n) end
  if not ok then error(err, 0) end
end

local U_DATA = "1\t1\t5\t881250949\n1\t2\t3\t881250950\n2\t1\t4\t881250951\n"
local U_ITEM = "1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n" ..
               "2|GoldenEye (1995)|01-Jan-1995||http://x|0|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0|1|0|0\n"
local U_USER = "1|24|M|technician|85711\n2|53|F|other|94043\n"
local U_GENRE = "unknown|0\nAction|1\nAdventure|2\nAnimation|3\nChildren's|4\n"

function targets.ml100k(input, dir)
  with_files(input, dir, {["u.data"] = U_DATA, ["u.item"] = U_ITEM, ["u.user"] = U_USER, ["u.genre"] = U_GENRE},
             {"u.item", "u.user", "u.genre", "u.data"}, data.movielens)
end

function targets.mldat(input, dir)
  local files = {["ratings.dat"] = "1::1::5::978300760\n2::2::3.5::978302109\n",
                 ["movies.dat"] = "1::Toy Story (1995)::Animation|Children's|Comedy\n2::Heat (1995)::Action\n",
                 ["users.dat"] = "1::F::1::10::48067\n2::M::56::16::70072\n",
                 ["tags.dat"] = "1::1::funny::1188263867\n2::2::crime::1188263868\n"}
  with_files(input, dir, files, {"movies.dat", "users.dat", "tags.dat", "ratings.dat"}, data.movielens,
             {min_tag_count = 1})
end

function targets.mlcsv(input, dir)
  local files = {["ratings.csv"] = "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n2,2,3.5,964982224\n",
                 ["movies.csv"] = 'movieId,title,genres\n1,"Toy Story (1995)",Animation|Comedy\n' ..
                                  '2,"Heat, The ""Movie"" (1995)",Action\n',
                 ["tags.csv"] = "userId,movieId,tag,timestamp\n1,1,funny,1445714994\n2,2,\"dark, moody\",1445714996\n"}
  with_files(input, dir, files, {"movies.csv", "tags.csv", "ratings.csv"}, data.movielens, {min_tag_count = 1})
end

-- the whole input is the pairs file; its first byte picks items or users
function targets.pairs(input, dir)
  local which = (input:byte(1) or 0) % 2 == 0 and "item_features" or "user_features"
  with_files(string.char(0) .. input, dir, {["u.data"] = U_DATA}, {"pairs.tsv"}, data.movielens,
             {[which] = dir .. "/pairs.tsv"})
end

-- the whole input is a feature file (pairs or columns) for three known ids
function targets.features(input, dir)
  local path = dir .. "/features.txt"
  write(path, input)
  local ok, err = pcall(load, data.features_file, path, {"1", "2", "10"}, "item")
  os.remove(path)
  if not ok then error(err, 0) end
end

-- a CSV release with a tag genome; the first byte picks the file replaced
function targets.genome(input, dir)
  local files = {["ratings.csv"] = "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n2,2,3.5,964982224\n",
                 ["movies.csv"] = "movieId,title,genres\n1,Toy Story (1995),Animation\n2,Heat (1995),Action\n",
                 ["genome-scores.csv"] = "movieId,tagId,relevance\n1,1,0.9\n1,2,0.1\n2,1,0.3\n2,2,0.8\n",
                 ["genome-tags.csv"] = "tagId,tag\n1,funny\n2,dark\n"}
  with_files(input, dir, files, {"genome-scores.csv", "genome-tags.csv"}, data.movielens)
end

function targets.dti(input, dir)
  local files = {["t_admat_dgc.txt"] = "\tD1\tD2\nT1\t1\t0\nT2\t0\t1\n",
                 ["t_simmat_dc.txt"] = "\tD1\tD2\nD1\t1\t0.3\nD2\t0.3\t1\n",
                 ["t_simmat_dg.txt"] = "\tT1\tT2\nT1\t1\t0.5\nT2\t0.4\t1\n"}
  with_files(input, dir, files, {"t_admat_dgc.txt", "t_simmat_dc.txt", "t_simmat_dg.txt"}, data.dti, "t")
end

-- Random API calls: each byte of the input picks an operation on a small
-- pool of objects (matrices, sparse matrices, a SimEc), with arguments from
-- the following bytes: odd indices and shapes, wrong self, closing objects,
-- also from inside the callbacks of fit and apply. Every call runs under
-- pcall: a crash or sanitizer report is the finding, errors are expected;
-- an error that is not a message is one too.
function targets.api(input, _)
  local simec = require "simec"
  local matrix, sparse, SimEc = simec.matrix, simec.sparse, simec.SimEc
  local pos = 1
  local function byte()
    local b = input:byte(pos) or 0
    pos = pos + 1
    return b
  end
  local ODD = {0, 1, 2, 3, -1, 2 ^ 31, 1e300, 0 / 0, 1.5, "2", false}
  local function arg() local b = byte() return b < 200 and b % 5 or ODD[b % #ODD + 1] end
  local pool = {}
  local function fresh()
    pool = {matrix.ones(3, 2), matrix.rand(4, 4, 1), sparse.from_dense(matrix.eye(3)),
            SimEc.new{input = 4, embedding = 2, output = 4, seed = 1}, matrix.zeros(0, 3)}
  end
  fresh()
  local function pick() return pool[byte() % #pool + 1] end
  local ops = {
    function() local m = pick() return m:get(arg(), arg()) end,
    function() local m = pick() return m:t() end,
    function() return pick() * pick() end,
    function() return pick() + pick() end,
    function() local m = pick() return m:close() end,
    function() local m = pick() return m:sub(arg(), arg(), arg(), arg()) end,
    function() local m = pick() return m:select_rows({arg(), arg()}) end,
    function() local m = pick() return m:sum() end,
    function() local m = pick() return matrix.sum(m) end,
    function() local m = pick() return sparse.nnz(m) end,
    function() local m = pick() return m:reshape(arg(), arg()) end,
    function() local m = pick() return m:apply(function(v) pick():close() return v end) end,
    function() local m = pick() return m:argsort() end,
    function() local m = pick() return m:topk(arg()) end,
    function() local m, X = pool[4], pick()
      return m:fit(X, pick(), {epochs = 2, verbose = false, on_epoch = function() pick():close() end}) end,
    function() local m = pool[4] return m:predict(pick()) end,
    function() local m = pool[4] return m:transform(pick()) end,
    function() local m = pool[4] return m:similar(pick(), pick(), arg()) end,
    function() local m = pick() return m:set(arg(), arg(), arg()) end,
    function() local m = pick() return m:copy() end,
    function() local m = pick() return m:row_labels() end,
    function() local m = pick() return m:set_row_labels({"a", "a", "b"}) end,
    function() local m = pick() return sparse.from_values(m, pick()) end,
    function() local m = pick() return m:solve(pick()) end,
    function() return matrix.new(arg(), arg(), arg()) end,
    function() return sparse.from_triplets({arg(), arg()}, {arg(), arg()}, {arg(), arg()}) end,
    -- a line of the input's own bytes split as the ratings reader splits one
    function()
      local n = byte() % 48
      local line = input:sub(pos, pos + n - 1)
      pos = pos + n
      return sparse.split_line(line, ({",", " ", "::", ";", "\t"})[byte() % 6 + 1], arg())
    end,
    function() fresh() end,
  }
  while pos <= #input do
    local op = ops[byte() % #ops + 1]
    local ok, err = pcall(op)
    if not ok and (type(err) ~= "string" or #err == 0) then
      error(("api: an error that is not a message (%s)"):format(type(err)), 0)
    end
  end
  for _, o in ipairs(pool) do pcall(function() o:close() end) end
end

return targets

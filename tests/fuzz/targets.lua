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

-- warnings are expected on odd input; keep the fuzzer's output readable
local quiet = {write = function() end}
local function load(fn, ...)
  local stderr = io.stderr
  io.stderr = quiet
  local ok, err = pcall(fn, ...)
  io.stderr = stderr
  if not ok then error(err, 0) end
end

local function clean(dir, names)
  for _, n in ipairs(names) do os.remove(dir .. "/" .. n) end
end

-- the first byte picks which file the rest becomes
local function pick(input, names)
  local b = input:byte(1) or 0
  return names[b % #names + 1], input:sub(2)
end

local U_DATA = "1\t1\t5\t881250949\n1\t2\t3\t881250950\n2\t1\t4\t881250951\n"
local U_ITEM = "1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n" ..
               "2|GoldenEye (1995)|01-Jan-1995||http://x|0|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0|1|0|0\n"
local U_USER = "1|24|M|technician|85711\n2|53|F|other|94043\n"
local U_GENRE = "unknown|0\nAction|1\nAdventure|2\nAnimation|3\nChildren's|4\n"

function targets.ml100k(input, dir)
  local files = {["u.data"] = U_DATA, ["u.item"] = U_ITEM, ["u.user"] = U_USER, ["u.genre"] = U_GENRE}
  local name, body = pick(input, {"u.item", "u.user", "u.genre", "u.data"})
  files[name] = body
  for n, s in pairs(files) do write(dir .. "/" .. n, s) end
  load(data.movielens, dir)
  clean(dir, {"u.data", "u.item", "u.user", "u.genre"})
end

function targets.mldat(input, dir)
  local files = {["ratings.dat"] = "1::1::5::978300760\n2::2::3.5::978302109\n",
                 ["movies.dat"] = "1::Toy Story (1995)::Animation|Children's|Comedy\n2::Heat (1995)::Action\n",
                 ["users.dat"] = "1::F::1::10::48067\n2::M::56::16::70072\n",
                 ["tags.dat"] = "1::1::funny::1188263867\n2::2::crime::1188263868\n"}
  local name, body = pick(input, {"movies.dat", "users.dat", "tags.dat", "ratings.dat"})
  files[name] = body
  for n, s in pairs(files) do write(dir .. "/" .. n, s) end
  load(data.movielens, dir, {min_tag_count = 1})
  clean(dir, {"ratings.dat", "movies.dat", "users.dat", "tags.dat"})
end

function targets.mlcsv(input, dir)
  local files = {["ratings.csv"] = "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n2,2,3.5,964982224\n",
                 ["movies.csv"] = 'movieId,title,genres\n1,"Toy Story (1995)",Animation|Comedy\n' ..
                                  '2,"Heat, The ""Movie"" (1995)",Action\n',
                 ["tags.csv"] = "userId,movieId,tag,timestamp\n1,1,funny,1445714994\n2,2,\"dark, moody\",1445714996\n"}
  local name, body = pick(input, {"movies.csv", "tags.csv", "ratings.csv"})
  files[name] = body
  for n, s in pairs(files) do write(dir .. "/" .. n, s) end
  load(data.movielens, dir, {min_tag_count = 1})
  clean(dir, {"ratings.csv", "movies.csv", "tags.csv"})
end

function targets.pairs(input, dir)
  write(dir .. "/u.data", U_DATA)
  write(dir .. "/pairs.tsv", input)
  local which = (input:byte(1) or 0) % 2 == 0 and "item_features" or "user_features"
  load(data.movielens, dir, {[which] = dir .. "/pairs.tsv"})
  clean(dir, {"u.data", "pairs.tsv"})
end

function targets.dti(input, dir)
  local files = {["t_admat_dgc.txt"] = "\tD1\tD2\nT1\t1\t0\nT2\t0\t1\n",
                 ["t_simmat_dc.txt"] = "\tD1\tD2\nD1\t1\t0.3\nD2\t0.3\t1\n",
                 ["t_simmat_dg.txt"] = "\tT1\tT2\nT1\t1\t0.5\nT2\t0.4\t1\n"}
  local name, body = pick(input, {"t_admat_dgc.txt", "t_simmat_dc.txt", "t_simmat_dg.txt"})
  files[name] = body
  for n, s in pairs(files) do write(dir .. "/" .. n, s) end
  load(data.dti, dir, "t")
  clean(dir, {"t_admat_dgc.txt", "t_simmat_dc.txt", "t_simmat_dg.txt"})
end

return targets

-- The study runner: data lookup, data sets of every shape, command lines,
-- the protocol, seeds and the JSON.
local T = require "simec.test"
local check, eq, checkerr, case = T.check, T.eq, T.checkerr, T.case
local study, data, models = require "simec.study", require "simec.data", require "simec.models"
local cjson = require "cjson"
local BIN = SIMEC_BIN or "./simec"
local ABS_BIN = BIN:sub(1, 1) == "/" and BIN or (os.getenv("PWD") .. "/" .. BIN)

local function run(cmd)
  local out, err = T.tmpname(), T.tmpname()
  local ok = os.execute(cmd .. " >" .. out .. " 2>" .. err .. " </dev/null")
  local o, e = T.read(out) or "", T.read(err) or ""
  os.remove(out); os.remove(err)
  return o, e, ok
end

-- An ml-100k-shaped folder (u.data, u.item, u.user, u.genre) from a small
-- synthetic data set, and u1.base/u1.test splitting its ratings 80/20.
local function ml100k_fixture(dir, opts)
  opts = opts or {}
  os.execute("mkdir -p " .. dir)
  local ds = data.synthetic{items = opts.items or 120, users = opts.users or 90, ratings = opts.ratings or 3000,
                            rank = 3, item_features = 19, user_features = 10, seed = 3}
  local R = ds.ratings
  local lines, base, test, n = {}, {}, {}, 0
  for i, j, v in R:triplets() do
    n = n + 1
    local line = ("%s\t%s\t%d\t%d"):format(R:col_label(j), R:row_label(i), math.max(1, math.floor(v + 0.5)),
                                          880000000 + n)
    lines[#lines + 1] = line
    if n % 5 == 0 then test[#test + 1] = line else base[#base + 1] = line end
  end
  T.write(dir .. "/u.data", table.concat(lines, "\n") .. "\n")
  T.write(dir .. "/u1.base", table.concat(base, "\n") .. "\n")
  T.write(dir .. "/u1.test", table.concat(test, "\n") .. "\n")
  local genres = {}
  for k = 1, 19 do genres[k] = ("g%d|%d"):format(k, k - 1) end
  T.write(dir .. "/u.genre", table.concat(genres, "\n") .. "\n")
  local items = {}
  for i = 1, R:nrows() do
    local g = {}
    for k = 1, 19 do g[k] = ds.items.features:get(i, k) ~= 0 and "1" or "0" end
    items[i] = ("%s|Film %d (19%d)|01-Jan-19%d||http://x|%s"):format(R:row_label(i), i, 50 + i % 40, 50 + i % 40,
                                                                       table.concat(g, "|"))
  end
  T.write(dir .. "/u.item", table.concat(items, "\n") .. "\n")
  local users = {}
  for j = 1, R:ncols() do
    users[j] = ("%s|%d|%s|occ%d|%05d"):format(R:col_label(j), 18 + j % 50, j % 2 == 0 and "M" or "F", j % 7, j * 37)
  end
  T.write(dir .. "/u.user", table.concat(users, "\n") .. "\n")
  return ds
end

local function tmpdir()
  local d = T.tmpname()
  os.execute("mkdir -p " .. d)
  return d
end

case("study.parse_seeds: ranges and lists; bad ones are usage errors", function()
  eq(table.concat(study.parse_seeds("1-5"), ","), "1,2,3,4,5")
  eq(table.concat(study.parse_seeds("13"), ","), "13")
  eq(table.concat(study.parse_seeds("1,4-5,9"), ","), "1,4,5,9")
  for _, bad in ipairs{"x", "5-1", "1-", "", "2,2", "1-5,13,3"} do
    local ok, e = pcall(study.parse_seeds, bad)
    check(not ok and type(e) == "table" and e.msg:find("--seeds"), bad)
    eq(tostring(e), e.msg) -- a script or the REPL shows the message
  end
end)

-- the runner called from a script: clear messages for what it cannot run,
-- and a seed or scenario given twice is refused (it would pass for a
-- second run and shrink the spread over seeds)
-- Book-Crossing writes 0 for an interaction without a rating: a rating
-- study reads it as the lowest rating, and says so
case("ratings files: many 0s apart from the other ratings, and timestamps read as ratings, are said", function()
  local lines, plain = {}, {}
  for k = 1, 50 do
    lines[#lines + 1] = ("%d,%d,%d"):format(k % 7, k, k % 3 == 0 and 8 or 0)
    plain[#plain + 1] = ("%d,%d,%d"):format(k % 7, k, 1 + k % 5)
  end
  local zeros = T.write(T.tmpname(), table.concat(lines, "\n") .. "\n")
  local said, ds = T.stderr_of(study.ratings_dataset, {ratings = zeros})
  eq(ds.ratings:nnz(), 50) -- read as they are
  eq(said, ("simec: warning: %s: 68%% of the ratings are 0 and none lies between 0 and 1: if 0 means an " ..
            "interaction without a rating (as in Book-Crossing), it is read here as the lowest rating; drop those " ..
            "lines for a rating study, or study the interactions with examples/implicit.lua\n"):format(zeros))
  eq(T.stderr_of(study.ratings_dataset, {ratings = T.write(T.tmpname(), table.concat(plain, "\n") .. "\n")}), "")
  -- a scale through 0 (values between 0 and 1 too) is a scale: nothing to say
  lines[1] = "1,1,0.5"
  eq(T.stderr_of(study.ratings_dataset, {ratings = T.write(T.tmpname(), table.concat(lines, "\n") .. "\n")}), "")
  -- the interaction examples choose what counts with --threshold
  eq(T.stderr_of(study.ratings_dataset, {ratings = zeros}, true), "")
  -- a timestamp field read as the ratings
  local stamps = T.write(T.tmpname(), "u1,i1,4,881250949\nu1,i2,3,891717742\nu2,i1,5,874724710\n")
  eq(T.stderr_of(study.ratings_dataset, {ratings = stamps, columns = "1,2,4"}),
     ("simec: warning: %s: the ratings (field 4) run from 874724710 to 891717742, as Unix times do: is it a " ..
      "timestamp field? --columns USER,ITEM,RATING chooses the fields\n"):format(stamps))
  eq(T.stderr_of(study.ratings_dataset, {ratings = stamps}), "")
end)

-- without features the biases row is the learned biases alone, and the
-- grids leave out what only features could change: the ridge from
-- features to biases, and which sides' features MCMC uses
case("a data set without features: the biases row's name, and grids without feature settings", function()
  local ds = data.synthetic{items = 40, users = 30, ratings = 600, seed = 3}
  ds.items.features, ds.users.features = nil, nil
  local runs = study.run(ds, {models = {"biases", "mcmc"}, scenarios = {"T1", "T2a"}, grids = "quick",
                              progress = false})
  for _, r in ipairs(runs) do
    if r.model == "biases" then
      eq(r.method, "biases"); eq(r.grid.alpha, nil); eq(r.params.alpha, nil)
      check(r.grid.reg_items and r.grid.reg_users, "the regularisation is still tuned")
    else
      eq(table.concat(r.grid.features, ","), "all")
    end
    eq(r.features, "none")
  end
  local with = study.run(data.synthetic{items = 40, users = 30, ratings = 600, item_features = 3, seed = 3},
                         {models = {"biases"}, scenarios = {"T1"}, grids = "quick", progress = false})
  eq(with[1].method, "biases+features"); eq(#with[1].grid.alpha, 2)
end)

case("study.run: a data set, models, and each seed and scenario once", function()
  local ds = data.synthetic{items = 30, users = 40, ratings = 400, seed = 1}
  local function err(d, opts)
    local ok, e = pcall(study.run, d, opts)
    check(not ok)
    return tostring(e)
  end
  eq(err({}, {models = {"mean"}}), "study.run: expected a data set (study.load, data.movielens, data.synthetic), " ..
     "got a table without ratings, items and users")
  eq(err(ds.ratings, {models = {"mean"}}), "study.run: expected a data set (study.load, data.movielens, " ..
     "data.synthetic), got userdata")
  check(err(ds, {}):find("^study.run: opts.models must be a list of model ids %(biases, "))
  eq(err(ds, {models = {"mean"}, seeds = {4, 7, 4}, progress = false}), "study.run: seed 4 is given twice")
  eq(err(ds, {models = {"mean"}, scenarios = {"T1", "T1"}, progress = false}), "study.run: scenario T1 is given twice")
  local runs = study.run(ds, {models = {"mean"}, scenarios = {"T1"}, seeds = {4, 7}, progress = false})
  eq(#runs, 2)
end)

case("data lookup: the path, then data/NAME, then ../shared/data/NAME; else a message naming the places", function()
  local root = tmpdir()
  os.execute(("mkdir -p %s/work %s/work/data/ml-a %s/shared/data/ml-a %s/shared/data/ml-b %s/elsewhere/ml-c")
    :format(root, root, root, root, root))
  local function probe(name)
    return run(("cd %s/work && %s -e 'print(require(\"simec.study\").find_data(\"%s\"))'"):format(root, ABS_BIN, name))
  end
  local o, e, ok = probe("ml-a")
  check(ok, e); eq(o, "data/ml-a\n")
  o, e, ok = probe("ml-b")
  check(ok, e); eq(o, "../shared/data/ml-b\n")
  o, e, ok = probe(root .. "/elsewhere/ml-c")
  check(ok, e); eq(o, root .. "/elsewhere/ml-c\n")
  local okf, err = pcall(study.find_data, root .. "/none/ml-100k")
  check(not okf and err.msg:find("no data set " .. root .. "/none/ml-100k: looked in", 1, true), err.msg)
  okf, err = pcall(study.find_data, "ml-nothing-here")
  check(not okf and err.msg == "no data set ml-nothing-here: looked in ml-nothing-here, data/ml-nothing-here, " ..
        "../shared/data/ml-nothing-here; give a MovieLens folder, --ratings FILE or --train FILE --test FILE, or " ..
        "run on synthetic data with --synthetic", err.msg)
  -- a name get-data.sh knows gets its command; the example stops with one line, no synthetic fallback
  o, e, ok = run(("cd %s/work && %s %s/examples/all_tasks.lua ml-1m"):format(root, ABS_BIN, os.getenv("PWD")))
  check(not ok, "exit status")
  local home = SIMEC_LUA_DIR:match("^(.+)/lua/*$") -- outside the checkout, the places beside it too
  eq(e, ("all_tasks: no data set ml-1m: looked in ml-1m, data/ml-1m, ../shared/data/ml-1m, %s/data/ml-1m, " ..
         "%s/../shared/data/ml-1m; get it with scripts/get-data.sh ml-1m, or run on synthetic data with --synthetic\n")
        :format(home, home))
  eq(o, "")
  os.execute("rm -rf " .. root)
end)

case("feature files: pairs and columns, aligned by id; bad lines name file and line", function()
  local ids = {"a", "b", "c"}
  local f = T.write(T.tmpname(), "a\tx\nc\ty\nc\tx\nzz\tx\n")
  local X, info = data.features_file(f, ids, "item")
  eq(info.format, "pairs"); eq(info.unknown, 1); eq(info.lines, 4)
  eq(info.first_unknown.line, 4); eq(info.first_unknown.id, "zz")
  eq(table.concat(X:col_labels(), ","), "x,y")
  eq(X:get(1, 1), 1); eq(X:get(2, 1), 0); eq(X:get(3, 1), 1); eq(X:get(3, 2), 1)
  -- a column of 0s and 1s stays (an empty field 0); another is standardised over the ids' lines (a raw year or
  -- count would swamp the models' other inputs), an empty field and an id without a line at its mean, 0; a constant
  -- column is all 0
  T.write(f, "id,len,flag,same\nb,2.5,1,7\na,0,,7\n")
  X, info = data.features_file(f, ids, "item")
  eq(info.format, "columns"); eq(info.standardised, 2)
  eq(X:get(2, 1), 1); eq(X:get(1, 1), -1); eq(X:get(3, 1), 0)
  eq(X:get(2, 2), 1); eq(X:get(1, 2), 0); eq(X:nnz(), 3)
  T.write(f, "id,len\nb,2.5\na,0\nc,\n")
  X = data.features_file(f, ids, "item")
  eq(X:get(2, 1), 1); eq(X:get(1, 1), -1); eq(X:get(3, 1), 0)
  -- text among mostly numbers is an error at its line, never a category or a 0
  T.write(f, "id,len,score\nb,2.5,1\na,1,x\nc,1,3\n")
  checkerr(f .. ":3: field 3 (score) is not a finite number: 'x' (2 of the 3 values in this column are numbers; a " ..
           "column of codes? give it as 'id,token' pairs)", data.features_file, f, ids, "item")
  T.write(f, "id,len,score\nb,1,inf\n")
  checkerr(f .. ":2: field 3 (score) is not a finite number: 'inf'", data.features_file, f, ids, "item")
  T.write(f, "id,len,score\nb,1,2\nb,1,2\n")
  checkerr(f .. ":3: item id b given twice", data.features_file, f, ids, "item")
  T.write(f, "id,len,score\nb,1\n")
  checkerr(f .. ":2: expected 3 fields (an id and 2 values), got 2", data.features_file, f, ids, "item")
  T.write(f, "a\tx\nb\n")
  checkerr(f .. ":2: expected 'id<TAB>token', got 1 fields", data.features_file, f, ids, "item")
  os.remove(f)
end)

case("feature columns of words are categorical: a 0/1 feature per value; NA and empty fields are missing", function()
  local ids = {"u1", "u2", "u3", "u4"}
  -- a user table as a spreadsheet or R writes it: numbers, words, R's NA
  local f = T.write(T.tmpname(), "user,age,gender,occupation,zip\n" ..
                                 "u1,20,M,student,10\nu2,NA,F,artist,20\nu3,40,F,,30\nzz,50,M,nurse,40\n")
  local X, info = data.features_file(f, ids, "user")
  eq(info.format, "columns"); eq(info.categorical, 2); eq(info.standardised, 2); eq(info.blank, 2)
  eq(table.concat(X:col_labels(), ","), "age,gender=F,gender=M,occupation=artist,occupation=student,zip")
  eq(info.features, 6)
  -- age over the known ids 20, 40 (u2's NA its mean, 0): -1, 0, 1; zip 10, 20, 30 standardised
  eq(X:get(1, 1), -1); eq(X:get(2, 1), 0); eq(X:get(3, 1), 1)
  eq(X:get(1, 3), 1); eq(X:get(1, 2), 0); eq(X:get(2, 2), 1); eq(X:get(3, 2), 1)
  eq(X:get(1, 5), 1); eq(X:get(2, 4), 1); eq(X:get(3, 4), 0); eq(X:get(3, 5), 0) -- u3's occupation is missing
  eq(X:get(4, 1) + X:get(4, 2) + X:get(4, 3), 0) -- u4 has no line; nurse is no known id's value: no column
  assert(math.abs(X:get(1, 6) + X:get(3, 6)) < 1e-12 and X:get(2, 6) == 0)
  -- a column with a value per id (a title) is read, and warned about: as features its values are ids
  local lines = {"id,title,kind,genres"}
  local many = {}
  for i = 1, 12 do
    many[i] = "m" .. i
    lines[#lines + 1] = ("m%d,Film %d,%s,%s"):format(i, i, i % 2 == 0 and "a" or "b", i % 3 == 0 and "x" or "x|y")
  end
  T.write(f, table.concat(lines, "\n") .. "\n")
  local Xt, ti = data.features_file(f, many, "item")
  eq(Xt:ncols(), 16); eq(#ti.id_like, 1); eq(ti.id_like[1].name, "title"); eq(ti.id_like[1].values, 12)
  local warned = T.stderr_of(data.warn_features, f, ti, "item", "the ratings")
  eq(warned, ("simec: warning: %s: column title has 12 values among 12 items: as categories they are about one " ..
              "per item, shared by none and by no new item (leave the column out?)\n"):format(f))
  eq(#info.id_like, 0); eq(#info.lists, 0)
  -- a column whose values are mostly '|' lists (MovieLens's genres) is a feature per token, so that "x|y"
  -- shares x with "x": spaces around a token, an empty token and a token given twice add nothing
  eq(#ti.lists, 1); eq(ti.lists[1].name, "genres"); eq(ti.lists[1].listed, 8); eq(ti.lists[1].tokens, 2)
  eq(table.concat(Xt:col_labels(), ",", 15), "genres=x,genres=y")
  eq(Xt:get(3, 15), 1); eq(Xt:get(3, 16), 0); eq(Xt:get(1, 15), 1); eq(Xt:get(1, 16), 1)
  T.write(f, "id,genres,note\nm1,Drama | Comedy,a|b|c\nm2,Comedy|Comedy||,plain\nm3,(no genres listed),plain\n")
  local Xg, gi = data.features_file(f, many, "item")
  eq(#gi.lists, 1); eq(gi.lists[1].name, "genres") -- 2 of 3 values hold '|'; of note's 1 of 3 each value is one
  eq(table.concat(Xg:col_labels(), ","), "genres=(no genres listed),genres=Comedy,genres=Drama,note=a|b|c,note=plain")
  eq(Xg:get(1, 2) + Xg:get(1, 3), 2); eq(Xg:get(2, 2), 1); eq(Xg:get(2, 3), 0); eq(Xg:get(3, 1), 1)
  eq(Xg:nnz(), 7)
  -- so are pairs under a header whose tokens are mostly lists, as movies.csv cut to movieId,genres is
  T.write(f, "movieId,genres\nm1,Drama|Comedy\nm2,Comedy\nm3,Comedy|Horror\n")
  local Xp, pi = data.features_file(f, many, "item")
  eq(pi.format, "pairs"); eq(pi.header, true); eq(#pi.lists, 1); eq(pi.lists[1].name, "genres")
  eq(pi.lists[1].tokens, 3); eq(table.concat(Xp:col_labels(), ","), "Comedy,Drama,Horror"); eq(Xp:nnz(), 5)
  -- and not where few values are lists: a token may hold a '|'
  T.write(f, "m1\ta|b\nm2\tc\nm3\td\n")
  local Xn, ni = data.features_file(f, many, "item")
  eq(#ni.lists, 0); eq(table.concat(Xn:col_labels(), ","), "a|b,c,d")
  -- "id, age, gender" as hand-written CSV has it: the spaces are not part of names and values, so age is a
  -- number, not a category per " 20", and the ids match
  T.write(f, "id, age, gender\nu1, 20, M\nu2 , 30 , F\n")
  local Xs, si = data.features_file(f, ids, "user")
  eq(table.concat(Xs:col_labels(), ","), "age,gender=F,gender=M"); eq(si.unknown, 0); eq(si.standardised, 1)
  -- numbers among words are categories too, in numeric order
  T.write(f, "id,grade,n\nu1,10,1\nu2,9,1\nu3,high,0\nu4,low,1\n")
  X = data.features_file(f, ids, "user")
  eq(table.concat(X:col_labels(), ","), "grade=9,grade=10,grade=high,grade=low,n")
  -- a column of spreadsheet numbers with decimal commas is never a column of words
  T.write(f, "id,len\nu1,1,5\n")
  checkerr(f .. ":2: expected 2 fields (an id and 1 values), got 3", data.features_file, f, ids, "user")
  T.write(f, "id;len;kind\nu1;1,5;a\nu2;2,5;b\n")
  checkerr(f .. ":2: field 2 (len) is not a finite number: '1,5' (a decimal comma", data.features_file, f, ids,
           "user")
  -- a two-field file: R's NA is a missing number, not a token that makes pairs of it
  T.write(f, "id,age\nu1,NA\nu2,30\nu3,20\n")
  X, info = data.features_file(f, ids, "user")
  eq(info.format, "columns"); eq(info.blank, 1); eq(X:get(1, 1), 0); eq(X:get(2, 1), 1)
  T.write(f, "id,x,y\nu1,inf,a\nu2,1,b\n")
  checkerr(f .. ":2: field 2 (x) is not a finite number: 'inf'", data.features_file, f, ids, "user")
  os.remove(f)
end)

case("a two-field feature file with a header is one numeric column, or pairs under a header when its values are " ..
     "tokens; never a token per number", function()
  local ids = {"a", "b", "c"}
  -- one numeric column, not a token per age with the header an unknown id
  local f = T.write(T.tmpname(), "id,age\na,24\nc,31.5\nzz,40\n")
  local X, info = data.features_file(f, ids, "user")
  eq(info.format, "columns"); eq(X:ncols(), 1); eq(X:col_labels()[1], "age")
  eq(X:get(1, 1), -1); eq(X:get(2, 1), 0); eq(X:get(3, 1), 1) -- 24 and 31.5, standardised
  eq(info.unknown, 1); eq(info.first_unknown.line, 4); eq(info.missing, 1)
  -- tokens under a header: pairs, the header neither a feature nor an unknown id
  T.write(f, "movieId\tgenre\na\tDrama\nb\tComedy\na\tComedy\n")
  X, info = data.features_file(f, ids, "item")
  eq(info.format, "pairs"); eq(info.header, true); eq(info.unknown, 0); eq(info.lines, 3)
  eq(table.concat(X:col_labels(), ","), "Comedy,Drama"); eq(X:get(1, 1), 1); eq(X:get(1, 2), 1)
  -- tokens that are sometimes numbers stay pairs when tokens are the majority
  T.write(f, "id,tag\na,007\nb,funny\nc,dark\n")
  X, info = data.features_file(f, ids, "item")
  eq(info.format, "pairs"); eq(X:ncols(), 3)
  -- a numeric column with a stray token is an error at that token, not a pairs file
  T.write(f, "id,age\na,24\nb,x\nc,30\n")
  checkerr(f .. ":3: field 2 (age) is not a finite number: 'x' (line 1 is a header and 2 of the 3 values under " ..
           "it are numbers)", data.features_file, f, ids, "user")
  -- without a header (line 1 names an id, or its second field is a number) two fields are pairs, as before
  T.write(f, "a,24\nb,31\n")
  eq(select(2, data.features_file(f, ids, "user")).format, "pairs")
  T.write(f, "zz,24\nb,31\n")
  X, info = data.features_file(f, ids, "user")
  eq(info.format, "pairs"); eq(info.unknown, 1); eq(info.header, false)
  -- the warnings name both kinds of gap
  T.write(f, "id,age\na,24\nzz,40\n")
  eq(T.stderr_of(data.warn_features, f, select(2, data.features_file(f, ids, "user")), "user", "the ratings"), ("simec: warning: %s: 1 of 2 lines name user ids that are not in the ratings (first: line 3, 'zz')\n" ..
         "simec: warning: %s: 2 user ids of the ratings have no line (their features are 0, a standardised " ..
         "column's mean)\n"):format(f, f))
  os.remove(f)
end)

case("ids written otherwise than the data's (leading zeros, case, spaces) are named in the warning or error, " ..
     "and a given split's test file warns when they make known users new", function()
  local hint = data.near_hint
  eq(hint({"007"}, {"7"}, "the data's item"),
     "'007' differs from the data's item '7' only in leading zeros, case or spaces, and ids are compared as written")
  check(hint({" u1 "}, {"x", "U1"}, "w"):find("' u1 ' differs from w 'U1'", 1, true))
  check(hint({"zz", "01"}, {"1"}, "w"):find("^'01' differs from w '1'"), "the first id that has a near one")
  eq(hint({"0"}, {"00"}, "w"):sub(1, 16), "'0' differs from")
  eq(hint({"17"}, {"7", "170", "1.7"}, "w"), nil)
  eq(hint({}, {"7"}, "w"), nil)
  local ids, f = {"1", "2", "3"}, T.tmpname()
  T.write(f, "movieId,genre\n001,Drama\n2,Comedy\n")
  local _, info = data.features_file(f, ids, "item")
  eq(info.unknown, 1)
  eq(T.stderr_of(data.warn_features, f, info, "item", "the ratings"), ("simec: warning: %s: 1 of 2 lines name item " ..
     "ids that are not in the ratings (first: line 2, '001'); '001' differs from the data's item '1' only in " ..
     "leading zeros, case or spaces, and ids are compared as written\n"):format(f))
  T.write(f, "userId,age\n01,24\n02,31\n")
  checkerr(f .. ": its 2 lines name no user id of the data (line 2: '01'; '01' differs from the data's user '1' " ..
           "only in leading zeros, case or spaces, and ids are compared as written)", data.features_file, f, ids, "user")
  T.write(f, "id,age\nx,3\n")
  checkerr(f .. ": its 1 lines name no user id of the data (line 2: 'x'; the data's user ids look like '1')",
           data.features_file, f, ids, "user")
  -- a given split whose test file writes the users with leading zeros
  local dir = T.tmpname()
  os.execute("mkdir -p " .. dir)
  local base, test = {}, {}
  for u = 1, 30 do
    for i = 1, 8 do base[#base + 1] = ("%d,%d,%d"):format(u, i, (u * i) % 5 + 1) end
    test[#test + 1] = ("%s,%d,%d"):format(u <= 10 and ("%03d"):format(u) or tostring(u), 9, u % 5 + 1)
  end
  T.write(dir .. "/base.csv", table.concat(base, "\n") .. "\n")
  T.write(dir .. "/test.csv", table.concat(test, "\n") .. "\n")
  local o, e, ok = run(BIN .. " examples/all_tasks.lua --train " .. dir .. "/base.csv --test " .. dir .. "/test.csv " ..
                       "--quick --quiet --models mean")
  check(ok, e)
  check(e:find("simec: warning: " .. dir .. "/base.csv / " .. dir .. "/test.csv: '001' differs from the training " ..
               "set's user '1' only in leading zeros, case or spaces, and ids are compared as written; that user " ..
               "is predicted as a new one\n", 1, true), e)
  check(o:find("30 of them of 1 item and 10 users the training set lacks", 1, true), o)
  -- written as the training file writes them: no warning
  T.write(dir .. "/test.csv", table.concat(test, "\n"):gsub("0+(%d+),9,", "%1,9,") .. "\n")
  _, e, ok = run(BIN .. " examples/all_tasks.lua --train " .. dir .. "/base.csv --test " .. dir .. "/test.csv " ..
                 "--quick --quiet --models mean")
  check(ok and not e:find("warning"), e)
  os.execute("rm -rf " .. dir)
  os.remove(f)
end)

case("feature files from a spreadsheet or R: decimal commas are refused with a hint, never tokens; a file naming " ..
     "none of the data's ids is an error; quoted fields are read inside their quotes", function()
  local ids = {"a", "b", "c"}
  local hint = " (a decimal comma? numbers take a point: 3.5)"
  -- under a header of two fields every value a decimal comma would have been a token per value
  local f = T.write(T.tmpname(), "id;score\na;0,5\nb;1,5\n")
  checkerr(f .. ":2: field 2 (score) is not a finite number: '0,5'" .. hint, data.features_file, f, ids, "item")
  T.write(f, "id;age;score\na;24;-1,25\n")
  checkerr(f .. ":2: field 3 (score) is not a finite number: '-1,25'" .. hint, data.features_file, f, ids, "user")
  T.write(f, "id;age;score\na;24;1,2,3\n")
  local ok, e = pcall(data.features_file, f, ids, "user")
  check(not ok and e:find("'1,2,3'$"), e)
  -- a headerless 'id;value' line split at its decimal comma names ids the data lacks: all of them, an error
  T.write(f, "a;0,5\nb;1,5\n")
  checkerr(f .. ": its 2 lines name no item id of the data (line 1: 'a;0'; the data's item ids look like 'a')",
           data.features_file, f, ids, "item")
  T.write(f, "id,age\nx,3\ny,4\n")
  checkerr(f .. ": its 2 lines name no user id of the data (line 2: 'x';", data.features_file, f, ids, "user")
  -- R's write.csv quotes every string: ids, names and tokens are read inside the quotes
  T.write(f, '"id","genre"\n"a","Comedy"\n"b","Drama, dark"\n')
  local X, info = data.features_file(f, ids, "item")
  eq(info.format, "pairs"); eq(info.unknown, 0); eq(table.concat(X:col_labels(), "|"), "Comedy|Drama, dark")
  T.write(f, '"id","age","score"\n"a",24,"1.5"\n"b",30,2\n')
  X, info = data.features_file(f, ids, "user")
  eq(info.format, "columns"); eq(info.unknown, 0); eq(table.concat(X:col_labels(), "|"), "age|score")
  T.write(f, 'id,a,a\na,1,2\n')
  checkerr(f .. ":1: columns 2 and 3 are both labelled 'a'", data.features_file, f, ids, "item")
  T.write(f, 'id,a\n"a"x,1\n')
  checkerr(f .. ":2: text after a closing quote", data.features_file, f, ids, "item")
  os.remove(f)
end)

-- a CSV file's lines as lists of fields (quoted fields with commas, as
-- --predictions writes a method name)
local function csv_rows(path)
  local rows = {}
  for line in io.lines(path) do rows[#rows + 1] = data.csv_fields(line, ",") end
  return rows
end

case("--predictions: every scored test rating of every seed, scenario and model, in the data's units; the RMSE " ..
     "they give is the table's; a failed run leaves an existing file as it was", function()
  local dir = tmpdir() .. "/ml-100k"
  ml100k_fixture(dir)
  -- ratings on a 2-20 scale: the models see them divided by 4, the file has them as given
  local lines = {}
  for line in io.lines(dir .. "/u.data") do
    local u, i, r = line:match("^(%S+)\t(%S+)\t(%S+)")
    lines[#lines + 1] = ("%s,%s,%d"):format(u, i, 4 * tonumber(r))
  end
  T.write(dir .. "/r.csv", table.concat(lines, "\n") .. "\n")
  local json, pred = dir .. "/out.json", dir .. "/pred.csv"
  local o, e, ok = run(BIN .. " examples/all_tasks.lua --ratings " .. dir .. "/r.csv --quick --quiet --seeds 1-2 " ..
                       "--scenarios T1,T2b --models mean,biases,blend --json " .. json .. " --predictions " .. pred)
  check(ok, e)
  check(o:find("divided by 4", 1, true) and o:find("wrote " .. pred, 1, true), o)
  local rows = csv_rows(pred)
  eq(table.concat(rows[1], ","), study.PREDICTION_COLUMNS)
  local sums, lo, hi = {}, math.huge, -math.huge
  for k = 2, #rows do
    local r = rows[k]
    eq(#r, 8)
    local key = table.concat({r[1], r[2], r[4]}, "|")
    local t = sums[key] or {ss = 0, n = 0, model = r[3]}
    local d = tonumber(r[7]) - tonumber(r[8])
    t.ss, t.n = t.ss + d * d, t.n + 1
    sums[key] = t
    lo, hi = math.min(lo, tonumber(r[7])), math.max(hi, tonumber(r[7]))
  end
  check(lo >= 4 and hi <= 20 and hi > 10, "the data's units")
  local doc, runs = cjson.decode(T.read(json)), 0
  for _, r in ipairs(doc.runs) do
    if not r.skipped then
      runs = runs + 1
      local t = sums[("%d|%s|%s"):format(r.seed, r.scenario, r.method)]
      check(t and t.model == r.model, r.method)
      check(math.abs(math.sqrt(t.ss / t.n) - r.rmse) < 1e-6, ("%s %s"):format(r.scenario, r.method))
    end
  end
  local keys = 0
  for _ in pairs(sums) do keys = keys + 1 end
  eq(runs, 2 * 2 * 4); eq(keys, runs) -- the blend's members include MCMC
  check(sums["1|T2b|blend(mean, MCMC, biases)"], "a method name with commas, quoted")
  -- a run that fails after some models were written leaves the file as it was (study.main's to-be-closed file)
  local before, n = T.read(pred), 0
  local ds = data.synthetic{items = 40, users = 30, ratings = 600, seed = 2}
  ok, e = pcall(function()
    local w <close> = simec.atomic_file(pred)
    study.run(ds, {models = {"mean", "biases", "svd"}, scenarios = {"T1"}, grids = "quick", progress = false,
                   on_scored = function(...)
                     study.write_predictions(w, ...)
                     n = n + 1
                     if n == 2 then error("stopped after two models") end
                   end})
    w:commit()
  end)
  check(not ok and e:find("stopped after two models"), e)
  eq(T.read(pred), before)
  _, e, ok = run(BIN .. " examples/all_tasks.lua --ratings " .. dir .. "/r.csv --quick --predictions " ..
                 dir .. "/none/p.csv")
  check(not ok and e:find("--predictions " .. dir .. "/none/p.csv: cannot write in the folder", 1, true), e)
  os.execute("rm -rf " .. dir)
end)

case("all_tasks --quick on an ml-100k-shaped folder: every task, a table, JSON with grids and settings", function()
  local dir = tmpdir() .. "/ml-100k"
  ml100k_fixture(dir)
  local json = T.tmpname() .. ".json"
  local o, e, ok = run(BIN .. " examples/all_tasks.lua " .. dir .. " --quick --json " .. json)
  check(ok, e)
  check(o:find("ml-100k: 120 items x 90 users", 1, true), o)
  for _, sc in ipairs{"T1", "T2a", "T2b", "T3"} do
    check(o:find("\n" .. sc .. " +MCMC +%d"), sc .. " MCMC row")
    local simec_part = sc == "T3" and "biases%+two%-SimEc" or "biases%+SimEc"
    check(o:find("\n" .. sc .. " +blend%(mean, MCMC, " .. simec_part .. ", SVD%) +%d"), sc .. " blend row")
  end
  check(not o:find("\nT3    mean+SimEc(X)", 1, true), "a model that cannot serve T3 by design has no row there")
  -- progress on stderr: setting i of n, best so far, elapsed, ETA
  check(e:find("%[seed 13 T1%] biases%+features: setting 1 of 8, validation RMSE [%d.]+ %(best [%d.]+%), %d+s, ETA %d+s"),
        e)
  -- the blend fits its weights: one setting, no setting lines
  check(not e:find("blend[^\n]*: setting"), e)
  local doc = cjson.decode(T.read(json))
  os.remove(json)
  eq(doc.dataset, "ml-100k"); eq(doc.seed, 13); eq(doc.seeds[1], 13); eq(doc.grids, "quick")
  eq(doc.tune_ratings, study.TUNE_RATINGS)
  check(type(doc.simec_version) == "string" and doc.peak_mb > 0)
  eq(doc.data.items, 120); eq(doc.data.users, 90)
  eq(doc.data.item_features[1], "genre (19)")
  check(#doc.data.user_features == 1)
  local seen = {}
  for _, r in ipairs(doc.runs) do
    if not r.skipped then
      check(r.rmse > 0 and r.val_rmse > 0 and r.seconds >= 0 and r.seed == 13, r.method)
      check(r.tuned_on == r.train_ratings and r.train_ratings > 0, "a small training side is never sampled")
      if r.model == "biases" then
        -- the declared grid is recorded, and the chosen setting is one of it
        eq(#r.grid.reg_items, #study.GRIDS.quick.biases.reg_items)
        local found = false
        for _, v in ipairs(r.grid.reg_items) do found = found or v == r.params.reg_items end
        check(found, "chosen from the grid")
      end
      seen[r.scenario .. " " .. r.model] = true
    end
  end
  for _, key in ipairs{"T1 mean", "T1 mcmc", "T2a biases_simec", "T2b two_simec", "T3 blend"} do check(seen[key], key) end
  os.execute("rm -rf " .. dir)
end)

case("a given split (u1.base/u1.test): T1 only, test items without training ratings predicted as new", function()
  local dir = tmpdir() .. "/ml-100k"
  ml100k_fixture(dir)
  -- one test rating of an item no training rating has
  local f = io.open(dir .. "/u1.test", "ab")
  f:write(("1\t%s\t4\t1\n"):format("9999"))
  f:close()
  local o, e, ok = run(BIN .. " examples/all_tasks.lua " .. dir .. " --train u1.base --test u1.test --quick --quiet " ..
                       "--models mean,biases,svd,simec,mcmc")
  check(not ok and e:find("item 9999 of the test set is not in the data set's items", 1, true), e)
  -- without the release's ids the full space is the union of the two files' ids
  o, e, ok = run(BIN .. " examples/all_tasks.lua --train " .. dir .. "/u1.base --test " .. dir .. "/u1.test " ..
                 "--quick --quiet --models mean,biases,svd,simec,mcmc")
  check(ok, e)
  -- the header counts the test ratings and those of sides the training file lacks
  local d = dir:gsub("%p", "%%%0")
  check(o:find("%(given split " .. d .. "/u1%.base / " .. d .. "/u1%.test: %d+ test ratings, 1 of them of 1 item " ..
               "the training set lacks, predicted as new ones%)"), o)
  check(not o:find("\nT2a"), "T1 only")
  -- without features the biases row is named as what it is
  for _, m in ipairs{"mean ", "biases ", "mean+SVD ", "mean+SimEc(I)", "MCMC"} do
    check(o:find("\nT1    " .. m, 1, true), m)
  end
  check(o:find("\nthe given split, seed 13 (of the validation split and the models' random starts), quick grid", 1,
               true), o)
  -- seeds on a given split vary the models and the validation split, not the test ratings: the comparison says so
  -- instead of weighing the gain against two standard errors
  local json = T.tmpname() .. ".json"
  o, e, ok = run(BIN .. " examples/all_tasks.lua --train " .. dir .. "/u1.base --test " .. dir .. "/u1.test " ..
                 "--quick --quiet --models mean,svd,mcmc --seeds 1-2 --json " .. json)
  check(ok, e)
  check(o:find("\nthe given split, seeds 1-2 (they vary the validation split and the models' random starts, not " ..
               "the test ratings), quick grid", 1, true), o)
  check(o:find("\nT1: MCMC beats mean by [%d.]+ RMSE %(standard error [%d.]+ over 2 seeds of one given split: the " ..
               "test ratings are the same at every seed, so it measures the models' randomness, not the test " ..
               "set's%)\n"), o)
  check(not o:find("two standard errors", 1, true), o)
  local doc = require("cjson").decode(T.read(json))
  eq(doc.comparisons[1].given_split, true)
  _, e, ok = run(BIN .. " examples/all_tasks.lua " .. dir .. " --train u1.base --test u1.test --scenarios T2a")
  check(not ok and e == "all_tasks: a given split (--train/--test) runs T1 only, not T2a\n", e)
  -- a test file that repeats training pairs (here the whole data set) would score the fit: refused
  o, e, ok = run(BIN .. " examples/all_tasks.lua " .. dir .. " --train u1.base --test u.data --quick --models mean")
  check(not ok and e:find("^all_tasks: u1%.base and u%.data: %d+ of the test set's %d+ ratings rate a pair the " ..
                          "training set rates too %(first: item [^,]+, user [^)]+%); a test set must hold other " ..
                          "pairs\n$"), e)
  eq(o, "")
  os.execute("rm -rf " .. dir)
end)

case("--ratings: a user's own delimited file, with header and columns; feature files on the command line", function()
  local dir = tmpdir()
  local ds = data.synthetic{items = 60, users = 50, ratings = 1500, rank = 2, item_features = 8, user_features = 5,
                            seed = 9}
  local R, lines, pairs_, cols = ds.ratings, {"item;user;stars"}, {}, {"user,age,score,kind"}
  for i, j, v in R:triplets() do lines[#lines + 1] = ("i%s;u%s;%g"):format(R:row_label(i), R:col_label(j), v) end
  for i = 1, R:nrows() do
    for k = 1, 8 do
      if ds.items.features:get(i, k) ~= 0 then pairs_[#pairs_ + 1] = ("i%s\tf%d"):format(R:row_label(i), k) end
    end
  end
  for j = 1, R:ncols() do
    cols[#cols + 1] = ("u%s,%d,%g,%s"):format(R:col_label(j), j % 5, ds.users.features:get(j, 1),
                                              j % 3 == 0 and "NA" or j % 2 == 0 and "a|c" or "b")
  end
  T.write(dir .. "/mine.csv", table.concat(lines, "\n") .. "\n")
  T.write(dir .. "/items.tsv", table.concat(pairs_, "\n") .. "\n")
  T.write(dir .. "/users.csv", table.concat(cols, "\n") .. "\n")
  local json = dir .. "/out.json"
  local o, e, ok = run(BIN .. " examples/baselines.lua --ratings " .. dir .. "/mine.csv --delim ';' --header " ..
                       "--columns 2,1,3 --item-features " .. dir .. "/items.tsv --user-features " .. dir ..
                       "/users.csv --quiet --json " .. json)
  check(ok, e)
  check(o:find("mine.csv: 60 items x 50 users, 1500 ratings; item features: items.tsv (8, pairs); user features: " ..
               "users.csv (5, columns, 1 categorical (1 of them '|' lists), 1 standardised, 16 values missing)", 1, true),
        o)
  check(o:find("\nT2b   mean+SVD+regression ", 1, true), o)
  local doc = cjson.decode(T.read(json))
  eq(doc.data.ratings, 1500)
  -- without --columns the header's names say which field is which ("item;user;stars": the items first), and the
  -- run says so; read as fields 1,2,3 the users would have been items
  o, e, ok = run(BIN .. " examples/all_tasks.lua --ratings " .. dir .. "/mine.csv --delim ';' --header --quick " ..
                 "--scenarios T1 --models mean --quiet")
  check(ok and o:find("mine.csv: 60 items x 50 users, 1500 ratings", 1, true) and
        o:find("\ncolumns by the header: user 'user' (field 2), item 'item' (field 1), rating 'stars' (field 3)\n",
               1, true), o .. e)
  -- a tab typed as \t or tab (a literal backslash and t split nothing, and the error showed it as a tab)
  T.write(dir .. "/tabs.tsv", "u1\ti1\t4\nu2\ti1\t3\nu1\ti2\t5\n")
  for _, d in ipairs{"'\\t'", "tab"} do
    o, e, ok = run(BIN .. " examples/all_tasks.lua --ratings " .. dir .. "/tabs.tsv --delim " .. d ..
                   " --quick --scenarios T1 --models mean --quiet")
    check(ok and o:find("tabs.tsv: 2 items x 2 users, 3 ratings", 1, true), d .. ": " .. o .. e)
  end
  -- a delimiter the reader refuses is named by it, header or not
  _, e, ok = run(BIN .. " examples/all_tasks.lua --ratings " .. dir .. "/mine.csv --header --delim '::::::::::'")
  eq(e, "all_tasks: delimiter '::::::::::' is too long\n")
  -- names that cannot be told apart, or no rating among more than three fields: --columns asked for
  T.write(dir .. "/twousers.csv", "user,user_id,rating\n1,2,4\n")
  _, e, ok = run(BIN .. " examples/baselines.lua --ratings " .. dir .. "/twousers.csv --header")
  eq(e, "baselines: " .. dir .. "/twousers.csv:1: fields 1 and 2 ('user', 'user_id') both name the user; give " ..
        "--columns USER,ITEM,RATING\n")
  T.write(dir .. "/norating.csv", "userId,movieId,timestamp,x\n1,2,9,4\n")
  _, e, ok = run(BIN .. " examples/baselines.lua --ratings " .. dir .. "/norating.csv --header")
  eq(e, "baselines: " .. dir .. "/norating.csv:1: the header names the user ('userId') and the item ('movieId') " ..
        "but no rating among its 4 fields; give --columns USER,ITEM,RATING\n")
  -- interactions (pairs allowed): a header of two names reads every value as 1
  T.write(dir .. "/inter.csv", "item_id,user_id\ni1,u1\ni2,u1\ni1,u2\n")
  local st = require "simec.study"
  local d = st.ratings_dataset({ratings = dir .. "/inter.csv", header = true}, true)
  eq(d.ratings:nrows(), 2); eq(d.ratings:ncols(), 2); eq(d.ratings:sum(), 3)
  eq(d.columns, "columns by the header: user 'user_id' (field 2), item 'item_id' (field 1), every value 1 (no " ..
                "field is named as a rating)")
  -- --header on a file without one: its first rating is not dropped unsaid
  T.write(dir .. "/nohead.csv", "1,10,4\n2,10,5\n1,11,3\n3,12,2\n2,12,4\n")
  o, e, ok = run(BIN .. " examples/all_tasks.lua --ratings " .. dir .. "/nohead.csv --header --quick --scenarios T1 " ..
                 "--models mean --quiet")
  eq(e, "simec: warning: " .. dir .. "/nohead.csv:1: --header skips line 1, which reads as a rating (1,10,4); " ..
        "leave --header out if it is one\n")
  check(o:find("nohead.csv: 3 items x 3 users, 4 ratings", 1, true), o)
  -- the other examples say it too
  o, e, ok = run(BIN .. " examples/implicit.lua --ratings " .. dir .. "/inter.csv --header --epochs 1")
  check(ok and o:find("^columns by the header: user 'user_id' %(field 2%), item 'item_id' %(field 1%), every value " ..
                      "1 %(no field is named as a rating%)\n"), o .. e)
  -- --columns wins over the names, with a warning where they disagree
  local text
  text, d = T.stderr_of(st.ratings_dataset, {ratings = dir .. "/inter.csv", header = true, columns = "1,2"}, true)
  eq(d.ratings:row_label(1), "u1"); eq(d.columns, nil)
  eq(text, "simec: warning: " .. dir .. "/inter.csv:1: --columns 1,2 reads field 1 ('item_id') as the users and " ..
           "field 2 ('user_id') as the items; the header names field 2 ('user_id') as the users and field 1 " ..
           "('item_id') as the items\n")
  text = T.stderr_of(st.ratings_dataset, {ratings = dir .. "/inter.csv", header = true, columns = "2,1"}, true)
  eq(text, "")
  -- a header line above pairs of tokens is taken as one and said so; an id the ratings lack is counted and named
  T.write(dir .. "/headed.tsv", "item\ttoken\n" .. table.concat(pairs_, "\n") .. "\niX\tf1\n")
  o, e, ok = run(BIN .. " examples/all_tasks.lua --ratings " .. dir .. "/mine.csv --delim ';' --header " ..
                 "--columns 2,1,3 --item-features " .. dir .. "/headed.tsv --quick --scenarios T1 --models mean " ..
                 "--quiet")
  check(ok and o:find("item features: headed.tsv (8, pairs under a header)", 1, true), o)
  eq(e, ("simec: warning: %s/headed.tsv: 1 of %d lines name item ids that are not in the ratings " ..
         "(first: line %d, 'iX')\n"):format(dir, #pairs_ + 1, #pairs_ + 2))
  -- bad input is one line naming the file
  T.write(dir .. "/bad.csv", "1,2,x\n")
  _, e, ok = run(BIN .. " examples/baselines.lua --ratings " .. dir .. "/bad.csv")
  check(not ok and e:find("^baselines: .*bad%.csv") and not e:find("traceback"), e)
  -- a header line the options do not declare: the hint names the command line's option
  T.write(dir .. "/head.csv", "user,item,rating\n1,2,4\n")
  _, e, ok = run(BIN .. " examples/baselines.lua --ratings " .. dir .. "/head.csv")
  check(not ok and e:find("head.csv:1: bad number 'rating' in field 3 (a header line? add --header)\n", 1, true), e)
  -- a spreadsheet's export with semicolons and decimal commas: split at the semicolons, the comma named
  T.write(dir .. "/semi.csv", "user;item;rating\n1;2;3,5\n")
  _, e, ok = run(BIN .. " examples/baselines.lua --ratings " .. dir .. "/semi.csv --header")
  check(not ok and e:find("semi.csv:2: bad number '3,5' in field 3 (a decimal comma? numbers take a point: 3.5)\n",
                          1, true), e)
  -- interactions without ratings: nothing to predict, and the example that ranks them named
  T.write(dir .. "/ones.csv", "1,10,1\n2,10,1\n1,11,1\n")
  o, e, ok = run(BIN .. " examples/all_tasks.lua --ratings " .. dir .. "/ones.csv --quick")
  check(not ok and o == "" and e == "all_tasks: every rating in ones.csv is 1: there is nothing to predict; " ..
        "examples/implicit.lua ranks items for interactions without ratings (--ratings FILE --columns 1,2)\n", e)
  -- a user's item on two lines: both lines, the user and the item, and the option that combines them
  T.write(dir .. "/dup.csv", "user,item,rating\nu1,i10,4\nu2,i10,5\nu1,i11,3\nu1,i10,2\n")
  _, e, ok = run(BIN .. " examples/baselines.lua --ratings " .. dir .. "/dup.csv --header")
  check(not ok and e == "baselines: " .. dir .. "/dup.csv:5: user 'u1', item 'i10' again (first on line 2; " ..
        "--duplicates mean or sum combines them)\n", e)
  local full = {"user,item,rating"}
  for u = 1, 8 do
    for i = 1, 6 do full[#full + 1] = ("u%d,i%d,%d"):format(u, i, (u * i) % 5 + 1) end
  end
  full[#full + 1] = "u1,i1,4"
  T.write(dir .. "/dup48.csv", table.concat(full, "\n") .. "\n")
  o, e, ok = run(BIN .. " examples/all_tasks.lua --ratings " .. dir .. "/dup48.csv --header --duplicates mean " ..
                 "--quick --scenarios T1 --models mean --quiet --json " .. json)
  check(ok, e)
  eq(cjson.decode(T.read(json)).data.ratings, 48) -- u1's two ratings of i1 are one, their mean
  -- too few ratings for a scenario: one line naming it; T1 alone runs (its SVD of an all-zero residual
  -- matrix stopped ARPACK with "dsaupd error -9")
  T.write(dir .. "/empty.csv", "")
  _, e, ok = run(BIN .. " examples/baselines.lua --ratings " .. dir .. "/empty.csv")
  check(not ok and e == "baselines: " .. dir .. "/empty.csv: no ratings\n", e)
  T.write(dir .. "/tiny.csv", "user,item,rating\n1,10,4\n2,10,5\n1,11,3\n")
  _, e, ok = run(BIN .. " examples/all_tasks.lua --ratings " .. dir .. "/tiny.csv --header --quick --scenarios T1,T2a")
  local msg = "\nall_tasks: T2a: the validation split of the training ratings: empty train set (0 train items, 2 " ..
              "train users) (the data is too small for this scenario; --scenarios chooses others)\n"
  check(not ok and e:sub(-#msg) == msg and not e:find("traceback"), e)
  o, e, ok = run(BIN .. " examples/all_tasks.lua --ratings " .. dir .. "/tiny.csv --header --quick --scenarios T1 " ..
                 "--json " .. dir .. "/tiny.json")
  check(ok and o:find("\nT1    mean+SVD ", 1, true), o .. e)
  -- no feature files: the JSON's lists of feature sets are lists still, not cjson's {}
  local text = T.read(dir .. "/tiny.json")
  check(text:find('"item_features":[]', 1, true) and text:find('"user_features":[]', 1, true), text)
  os.execute("rm -rf " .. dir)
end)

case("usage errors: one line, exit status 2, no traceback; --help lists the options", function()
  local own = tmpdir()
  local wide = T.write(T.tmpname(), "user,A,B,C,D\nu1,5,,3,1\n")
  local cases = {
    {"--bogus", "all_tasks: unknown option '--bogus' (see --help)"},
    {"--synthetic --seeds x", "all_tasks: --seeds: expected numbers and ranges like 1-5 or 1,3,13; got x"},
    {"--synthetic --models mean,knn", "all_tasks: --models: unknown model knn (choose from "},
    {"--synthetic --scenarios T1,T9", "all_tasks: --scenarios: unknown scenario T9 (choose from T1, T2a, T2b, T3)"},
    -- a seed or scenario counted twice would pass for a second run and shrink the spread
    {"--synthetic --seeds 1-3,2", "all_tasks: --seeds: seed 2 is given twice (in 1-3,2)"},
    {"--synthetic --scenarios T2a,T2a", "all_tasks: --scenarios: scenario T2a is given twice"},
    {"--synthetic --models mean,mean", "all_tasks: --models: model mean is given twice"},
    {"--synthetic --train a", "all_tasks: --train and --test go together"},
    -- a folder of one's own files: the message says how to read them
    {own, "all_tasks: data.movielens: no MovieLens ratings in " .. own .. " (expected u.data, ratings.dat or " ..
     "ratings.csv); a ratings file of your own: --ratings FILE"},
    {"--synthetic --ratings r.csv", "all_tasks: give one of DATA, --synthetic and --ratings"},
    {"--synthetic --duplicates mean", "all_tasks: --delim, --header, --columns and --duplicates describe --ratings"},
    {"--ratings r.csv --duplicates last", "all_tasks: argument for option '--duplicates' must be one of 'error', " ..
     "'mean', 'sum'"},
    {"--synthetic --no-features drugs", "all_tasks: --no-features must be items, users or both, got drugs"},
    {"--synthetic --item-features /nonexistent", "all_tasks: item features: /nonexistent: No such file or directory"},
    {"--synthetic --no-features both --user-features /dev/null",
     "all_tasks: --no-features both contradicts --user-features"},
    {"--synthetic --item-features /dev/null --item-features /dev/null",
     "all_tasks: --item-features /dev/null is given twice"},
    {"--synthetic --tune-ratings=-5", "all_tasks: --tune-ratings needs a non-negative integer (0: the whole " ..
     "training side), got -5 (see --help)"},
    {"--synthetic --tune-ratings many", "all_tasks: --tune-ratings needs a non-negative integer"},
    -- a numeric option's error names the option, not only the value
    {"--synthetic --tags-min x", "all_tasks: --tags-min needs a positive integer, got x (see --help)"},
    {"--synthetic --tags-min 0", "all_tasks: --tags-min needs a positive integer, got 0"},
    {"--synthetic --genome-min high", "all_tasks: --genome-min needs a number, got high (see --help)"},
    -- field numbers the reader has: named as --columns, before any file is read
    {"--ratings r.csv --columns 0,1,2", "all_tasks: --columns: field numbers run from 1 to 64; got 0,1,2"},
    -- a spreadsheet's table of ratings, a user per line and an item per column, named at its first empty cell
    {"--ratings " .. wide .. " --header",
     "a table of a user per line and an item per column? give a user,item,rating line per rating (pandas: " ..
     "DataFrame.melt; R: pivot_longer))", true},
    {"--ratings r.csv --columns 1,2,65", "all_tasks: --columns: field numbers run from 1 to 64; got 1,2,65"},
  }
  for _, c in ipairs(cases) do
    local o, e, ok = run(BIN .. " examples/all_tasks.lua " .. c[1])
    check(not ok, c[1])
    -- c[3]: the message ends with c[2] (it begins with a file name)
    local said = c[3] and e:sub(-#c[2] - 1, -2) == c[2] or e:sub(1, #c[2]) == c[2]
    check(said and select(2, e:gsub("\n", "")) == 1, c[1] .. " -> " .. e)
    eq(o, "")
  end
  os.remove(wide)
  -- the other examples' counts: a usage error before any data loads (a count of 0 would run nothing, or fail inside)
  for _, c in ipairs{{"implicit.lua --synthetic --epochs 0", "implicit: --epochs needs a positive integer, got 0"},
                     {"implicit.lua --synthetic --threshold x", "implicit: --threshold needs a number, got x"},
                     {"dti.lua --synthetic --folds 1", "dti: --folds needs an integer of at least 2, got 1"},
                     {"explain.lua --synthetic --epochs 0", "explain: --epochs needs a positive integer, got 0"},
                     {"similar_items.lua --synthetic --epochs -2", "similar_items: --epochs needs a positive " ..
                      "integer, got -2"}} do
    local o, e, ok = run(BIN .. " examples/" .. c[1]:gsub("%-%-epochs %-2", "--epochs=-2"))
    check(not ok and e == c[2] .. " (see --help)\n", c[1] .. " -> " .. e)
    eq(o, "")
  end
  local _, _, code = os.execute(BIN .. " examples/all_tasks.lua --bogus 2>/dev/null")
  eq(code, 2)
  for _, ex in ipairs{"all_tasks", "baselines", "simec_t1_t2a", "implicit", "dti", "explain", "similar_items"} do
    local o, e, ok = run(BIN .. " examples/" .. ex .. ".lua --help")
    check(ok and o:find("^Usage: " .. ex) and o:find("%-%-json") or o:find("%-%-svg"), ex .. ": " .. o .. e)
    -- every option and argument is described: on its own line, or on the next, indented further
    local lines = {}
    for line in (o .. "\n"):gmatch("(.-)\n") do lines[#lines + 1] = line end
    local section
    for i, line in ipairs(lines) do
      if line:match("^%u%l+:$") then section = line end
      local bare = line:match("^   %-%-[%w-]+ <[%w_]+>$") or line:match("^   %-%-[%w-]+$") or line:match("^   [%w_]+$")
      if (section == "Options:" or section == "Arguments:") and bare then
        check((lines[i + 1] or ""):match("^                    +%S"), ex .. ": no description for '" .. line .. "'")
      end
    end
  end
  local o = run(BIN .. " examples/all_tasks.lua --help")
  for _, opt in ipairs{"--quick", "--seeds", "--scenarios", "--models", "--item-features", "--user-features",
                       "--ratings", "--train", "--test", "--synthetic"} do
    check(o:find(opt, 1, true), opt)
  end
end)

case("implicit.lua --protocol strong: Liang et al.'s held-out users, Recall@20/50 and NDCG@100 (issue 15)", function()
  local json = T.tmpname() .. ".json"
  local o, e, ok = run(BIN .. " examples/implicit.lua --synthetic --protocol strong --epochs 4 --json " .. json)
  check(ok, e)
  check(o:find("validation and %d+ test users") and o:find("method +Recall@20 +Recall@50 +NDCG@100"), o)
  for _, m in ipairs{"popularity", "EASE", "EDLAE", "iALS", "SimEc%(X%) of the user's items"} do
    check(o:find("\n" .. m .. " +0%.%d+ +0%.%d+ +0%.%d+"), m .. " row: " .. o)
  end
  check(e:find("EDLAE lambda %d+, dropout [%d.]+"), e)
  local doc = cjson.decode(T.read(json))
  os.remove(json)
  eq(#doc.results, 5)
  for _, r in ipairs(doc.results) do
    for _, key in ipairs{"nrecall@20", "nrecall@50", "ndcg@100"} do check(r[key] > 0 and r[key] <= 1, r.method .. " " .. key) end
  end
  local _, err, ok2 = run(BIN .. " examples/implicit.lua --synthetic --protocol bogus")
  check(not ok2 and err == "implicit: --protocol must be holdout or strong, got bogus\n", err)
end)

case("implicit.lua --ratings: one's own interactions, pairs or valued lines, under both protocols", function()
  local dir = tmpdir()
  local lines, seen, items, nitems, x = {}, {}, {}, 0, 5
  for u = 1, 200 do
    for _ = 1, 6 + u % 15 do
      x = (x * 1103515245 + 12345) % 2147483648 -- a fixed sequence of items
      local i = x % 120 + 1
      if not seen[u .. ":" .. i] then
        seen[u .. ":" .. i] = true
        lines[#lines + 1] = ("u%d\ti%d\t%d"):format(u, i, (u + i) % 5 + 1)
        if not items[i] then items[i], nitems = true, nitems + 1 end
      end
    end
  end
  local pairs_ = {}
  for k, l in ipairs(lines) do pairs_[k] = l:match("^(%S+\t%S+)") end
  T.write(dir .. "/pairs.tsv", table.concat(pairs_, "\n") .. "\n")
  T.write(dir .. "/valued.tsv", table.concat(lines, "\n") .. "\n")
  local json = dir .. "/out.json"
  local o, e, ok = run(BIN .. " examples/implicit.lua --ratings " .. dir .. "/pairs.tsv --columns 1,2 --epochs 2 " ..
                       "--json " .. json)
  check(ok, e)
  check(o:find(("pairs.tsv: 200 users x %d items, %d interactions (every line)"):format(nitems, #pairs_), 1, true), o)
  eq(#cjson.decode(T.read(json)).results, 6)
  -- the strong protocol counts every line of a file by default, values from --threshold on when asked
  o, e, ok = run(BIN .. " examples/implicit.lua --ratings " .. dir .. "/pairs.tsv --columns 1,2 --epochs 2 " ..
                 "--protocol strong")
  check(ok and o:find("scored); every line; seed 13", 1, true), o .. e)
  o, e, ok = run(BIN .. " examples/implicit.lua --ratings " .. dir .. "/valued.tsv --columns 1,2,3 --epochs 2 " ..
                 "--protocol strong --threshold 3")
  check(ok and o:find("scored); values of 3 or more; seed 13", 1, true), o .. e)
  -- pairs without --columns 1,2, a header line read as ids, options out of place: one line each
  local cases = {
    {"--ratings " .. dir .. "/pairs.tsv", dir .. "/pairs.tsv:1: expected at least 3 fields (delimiter '\\t'), got 2 " ..
     "(--columns 1,2 reads user,item pairs)"},
    {"--ratings " .. dir .. "/headed.tsv --columns 1,2", dir .. "/headed.tsv:1: 'user' and 'item' would be ids, " ..
     "and line 2's are numbers (a header line? add --header)"},
    {"--ratings " .. dir .. "/pairs.tsv --columns 1,2 --threshold 3", "--threshold applies to --protocol strong"},
    {"--ratings " .. dir .. "/pairs.tsv --columns 1", "--columns must be USER,ITEM,RATING or USER,ITEM field numbers"},
    -- a field read twice would read the item ids as values
    {"--ratings " .. dir .. "/valued.tsv --columns 1,2,2", "--columns: each field number must name another field; " ..
     "got 1,2,2"},
    {"--ratings " .. dir .. "/pairs.tsv --columns 1,1", "--columns: each field number must name another field"},
    {"--synthetic --header", "--delim, --header, --columns and --duplicates describe a --ratings file"},
    {"--synthetic --ratings " .. dir .. "/pairs.tsv", "give one of DATA, --synthetic and --ratings"},
  }
  T.write(dir .. "/headed.tsv", "user\titem\n1\t2\n3\t4\n")
  for _, c in ipairs(cases) do
    local out, err, good = run(BIN .. " examples/implicit.lua " .. c[1])
    check(not good and err:sub(1, #("implicit: " .. c[2])) == "implicit: " .. c[2] and
          select(2, err:gsub("\n", "")) == 1, c[1] .. " -> " .. err)
    eq(out, "")
  end
  os.execute("rm -rf " .. dir)
end)

case("dti.lua --interactions: one's own pairs file, a column similarity table, row features (issue 15)", function()
  local d = data.synthetic_dti{drugs = 40, targets = 25, density = 0.12, seed = 3}
  local dir = tmpdir()
  local Y = d.interactions -- targets x drugs
  local lines = {}
  for t, dr in Y:triplets() do lines[#lines + 1] = ("drug%d\ttarget%d"):format(dr, t) end
  for dr = 1, 40 do lines[#lines + 1] = ("drug%d\ttarget1\t%d"):format(dr, Y:get(1, dr)) end
  for t = 1, 25 do lines[#lines + 1] = ("drug1\ttarget%d\t%d"):format(t, Y:get(t, 1)) end
  -- the drug1/target1 pair is listed twice above when it interacts: keep the first
  local seen, uniq = {}, {}
  for _, l in ipairs(lines) do
    local key = l:match("^(%S+\t%S+)")
    if not seen[key] then seen[key] = true; uniq[#uniq + 1] = l end
  end
  T.write(dir .. "/pairs.tsv", table.concat(uniq, "\n") .. "\n")
  local S = d.targets.similarity
  local tab = {}
  local head = {""}
  for t = 25, 1, -1 do head[#head + 1] = "target" .. t end -- another order than the pairs'
  tab[1] = table.concat(head, "\t")
  for t = 1, 25 do
    local row = {"target" .. t}
    for u = 25, 1, -1 do row[#row + 1] = ("%.17g"):format(S:get(t, u)) end
    tab[#tab + 1] = table.concat(row, "\t")
  end
  T.write(dir .. "/targets.tsv", table.concat(tab, "\n") .. "\n")
  local feats = {}
  for dr = 1, 40 do feats[#feats + 1] = ("drug%d\tf%d"):format(dr, dr % 5); feats[#feats + 1] = ("drug%d\tg%d"):format(dr, dr % 3) end
  T.write(dir .. "/drugs.tsv", table.concat(feats, "\n") .. "\n")
  local o, e, ok = run(BIN .. " examples/dti.lua --interactions " .. dir .. "/pairs.tsv --col-similarity " .. dir ..
                       "/targets.tsv --row-features " .. dir .. "/drugs.tsv --folds 3")
  check(ok, e)
  check(o:find("pairs: 40 drugs x 25 targets, " .. Y:nnz() .. " interactions; features: drug cosine similarities " ..
               "of features and target similarities", 1, true), o)
  check(o:find("\nT1 +pairs +KronRLS%-GIP +0%.%d+") and o:find("\nT2b +new targets +NRLMF +0%.%d+"), o)
  -- each row's seconds are its model's own, not the setting's total: the
  -- blend fits its members again on inner folds, so it takes longer than KronRLS-GIP alone
  local function seconds(method)
    return tonumber(o:match("\nT1 +pairs +" .. method:gsub("%p", "%%%0") .. " [^\n]- ([%d.]+)\n"))
  end
  local kron, blend = seconds("KronRLS-GIP"), seconds("blend(Kron, WNN, NRLMF, SimEc)")
  check(kron and blend and blend > kron, o)
  local _, err = run(BIN .. " examples/dti.lua --synthetic --interactions " .. dir .. "/pairs.tsv")
  eq(err, "dti: give one of DATA_DIR [NAME], --synthetic and --interactions\n")
  _, err = run(BIN .. " examples/dti.lua --row-similarity x")
  eq(err, "dti: --row-similarity, --col-similarity, --row-features and --col-features describe --interactions\n")
  -- a matrix too small for the folds: one line; with fewer folds it runs, and the inner folds
  -- (the SimEc's grid, the blend's weights) that cannot be made are left out, not a crash
  T.write(dir .. "/tiny.tsv", "d1\tt1\nd2\tt1\nd1\tt2\n")
  _, err = run(BIN .. " examples/dti.lua --interactions " .. dir .. "/tiny.tsv")
  eq(err, "dti: 10 folds for a 2x2 matrix in the pairs setting (set fewer with --folds)\n")
  -- folds that only a later setting cannot give (100 targets) end the run before the first setting runs: no
  -- setting's line on stderr before the error, which names the setting as the table does
  o, err = run(BIN .. " examples/dti.lua --synthetic --folds 150 --quick")
  eq(err, "dti: 150 folds for a 200x100 matrix in the new targets setting (set fewer with --folds)\n")
  o, e, ok = run(BIN .. " examples/dti.lua --interactions " .. dir .. "/tiny.tsv --folds 2")
  check(ok and o:find("\nT1 +pairs +blend%(Kron, WNN, NRLMF, SimEc%) +%d"), o .. e)
  os.execute("rm -rf " .. dir)
end)

case("study.run on ratings of another scale: the models see them in the rating unit, errors in the data's", function()
  eq(study.rating_unit(sparse.from_triplets({1, 2}, {1, 1}, {1, 5})), 1)
  eq(study.rating_unit(sparse.from_triplets({1, 2}, {1, 1}, {0.5, 5})), 1)
  eq(study.rating_unit(sparse.from_triplets({1, 2}, {1, 1}, {1, 10})), 2)
  eq(study.rating_unit(sparse.from_triplets({1, 2}, {1, 1}, {0, 100})), 32)
  eq(study.rating_unit(sparse.from_triplets({1, 2}, {1, 1}, {3, 3})), 1)
  -- ratings times 16 (unit 16) give the models the very same numbers: every error is 16 times the 1-5 run's
  -- (SGD's and the sampler's settings are absolute, so they fitted a wider scale worse)
  local ds = data.synthetic{items = 80, users = 60, ratings = 2000, rank = 3, item_features = 6, user_features = 4,
                            seed = 5}
  local wide = setmetatable({}, getmetatable(ds))
  for k, v in pairs(ds) do wide[k] = v end
  wide.ratings = ds.ratings:scale(16)
  local o = {models = {"mean", "mf", "mcmc"}, scenarios = {"T1", "T2b"}, grids = "quick", progress = false}
  local a, b = study.run(ds, o), study.run(wide, o)
  eq(#a, #b)
  for k, r in ipairs(a) do
    check(math.abs(b[k].rmse - 16 * r.rmse) <= 1e-9 * r.rmse and math.abs(b[k].val_rmse - 16 * r.val_rmse) <= 1e-9 *
          r.val_rmse and math.abs(b[k].mae - 16 * r.mae) <= 1e-9 * r.mae, ("%s %s: %g against 16 x %g"):format(r.scenario,
          r.model, b[k].rmse, r.rmse))
  end
end)

case("study.run on synthetic data without user features: every task runs, the best row beats the means", function()
  local ds = data.synthetic{items = 150, users = 120, ratings = 5000, rank = 3, item_features = 12, user_features = 6,
                            seed = 21}
  ds.users.features = nil
  local runs = study.run(ds, {models = {"mean", "biases", "svd", "simec", "two_simec", "biases_simec", "mcmc", "blend"},
                              grids = "quick", progress = false})
  local best, mean, skipped = {}, {}, {}
  for _, r in ipairs(runs) do
    if r.skipped then skipped[r.scenario .. " " .. r.model] = r.skipped
    else
      if r.model == "mean" then mean[r.scenario] = r.rmse end
      if not best[r.scenario] or r.rmse < best[r.scenario] then best[r.scenario] = r.rmse end
    end
  end
  for _, sc in ipairs{"T1", "T2a", "T2b", "T3"} do
    check(best[sc] < mean[sc], ("%s: best %g, mean %g"):format(sc, best[sc], mean[sc]))
  end
  eq(skipped["T2b svd"], "needs user features")
  eq(skipped["T3 two_simec"], "needs user features")
  check(skipped["T2b mcmc"] == nil and skipped["T3 blend"] == nil, "MCMC and the blend run without user features")
end)

case("seeds: the study repeats over split seeds; mean and standard deviation per row, paired comparisons", function()
  local ds = data.synthetic{items = 100, users = 80, ratings = 3000, rank = 3, item_features = 10, user_features = 6,
                            seed = 4}
  local runs = study.run(ds, {models = {"mean", "svd", "biases"}, scenarios = {"T1", "T2a"}, seeds = {1, 2, 3},
                              grids = "quick", progress = false})
  eq(#runs, 3 * 2 * 3)
  local by = {}
  for _, r in ipairs(runs) do by[r.seed .. r.scenario .. r.model] = r.rmse end
  check(by["1T1mean"] ~= by["2T1mean"], "another seed, another split")
  local summary = study.summary(runs)
  local row = summary[1]
  eq(row.n, 3); eq(row.method, "mean")
  local m = (by["1T1mean"] + by["2T1mean"] + by["3T1mean"]) / 3
  T.near(row.rmse, m, 1e-12)
  check(row.rmse_sd > 0)
  local cmp = study.compare(runs, summary)
  eq(cmp[1].scenario, "T1"); eq(cmp[1].best, "biases+features")
  eq(cmp[1].against[1].n, 3)
  check(cmp[1].against[1].gain > 0 and cmp[1].against[1].se > 0)
  -- the default seed reproduces the study's splits
  local s13 = require("simec.splits").split(ds.ratings, "T1")
  local runs13 = study.run(ds, {models = {"mean"}, scenarios = {"T1"}, progress = false})
  T.near(runs13[1].rmse, require("simec.metrics").rmse(models.means(s13.train):predict(s13.test, s13.row_map,
                                                                                        s13.col_map), s13.test), 1e-12)
  local lines = {}
  study.print(ds, runs, function(s) lines[#lines + 1] = s end)
  local text = table.concat(lines)
  check(text:find("±", 1, true) and text:find("beats mean by", 1, true), text)
  -- a baseline that is the best row is said to be, never compared with itself
  local fake = {}
  for _, seed in ipairs{1, 2} do
    fake[#fake + 1] = {seed = seed, scenario = "T2a", model = "mean", method = "mean", rmse = 1.00 + seed / 100,
                       mae = 0.8, val_rmse = 1, seconds = 0, features = "none", params = {}}
    fake[#fake + 1] = {seed = seed, scenario = "T2a", model = "svd", method = "mean+SVD+regression",
                       rmse = 1.02 + seed / 100, mae = 0.8, val_rmse = 1, seconds = 0, features = "items", params = {}}
    fake[#fake + 1] = {seed = seed, scenario = "T2a", model = "biases", method = "biases+features",
                       rmse = 1.05 + seed / 100, mae = 0.8, val_rmse = 1, seconds = 0, features = "items", params = {}}
  end
  cmp = study.compare(fake, study.summary(fake))
  -- two seeds give a standard error from one difference: no verdict is drawn from it
  lines = {}
  study.print(ds, fake, function(s) lines[#lines + 1] = s end)
  text = table.concat(lines)
  check(text:find("T2a: mean beats mean+SVD+regression by 0.0200 RMSE (standard error 0.0000 over 2 seeds): two " ..
                  "seeds are too few to weigh the gain\n", 1, true), text)
  eq(cmp[1].best, "mean"); eq(cmp[1].best_is_baseline, true)
  eq(#cmp[1].against, 1); eq(cmp[1].against[1].method, "mean+SVD+regression"); T.near(cmp[1].against[1].gain, 0.02, 1e-12)
  lines = {}
  study.print(ds, fake, function(s) lines[#lines + 1] = s end)
  text = table.concat(lines)
  check(text:find("T2a: the best row is mean, a baseline: no other row beats it\n", 1, true), text)
  check(not text:find("mean beats mean by", 1, true) and text:find("T2a: mean beats mean+SVD+regression by 0.0200", 1, true),
        text)
end)

-- runs the study's T1 with a model "probe" (the means model with shrinkage
-- v from grid) that calls record(c, sp, p) at each fit; returns pcall's
local function with_probe(ds, grid, record, opts)
  local saved = study.MODELS.probe
  study.MODELS.probe = {
    method = function() return "probe" end,
    grid = "probe",
    fit = function(c, sp, X, p)
      record(c, sp, p, X)
      return models.means(sp.train, {shrinkage = p.v}):predict(sp.test, sp.row_map, sp.col_map)
    end,
    uses = function() return "none" end,
  }
  local o = {models = {"probe"}, scenarios = {"T1"}, grids = {probe = {v = grid}}, progress = false}
  for k, v in pairs(opts or {}) do o[k] = v end
  local res = {pcall(study.run, ds, o)}
  study.MODELS.probe = saved
  return table.unpack(res)
end

case("the protocol: settings are scored on validation ratings only; the test set once, for the chosen one", function()
  local ds = data.synthetic{items = 80, users = 60, ratings = 2000, rank = 2, item_features = 6, user_features = 4,
                            seed = 8}
  local seen = {}
  local ok, runs = with_probe(ds, {0, 0.5, 1}, function(c, sp, p) seen[#seen + 1] = {test = sp == c.s, value = p.v} end)
  check(ok, tostring(runs))
  eq(#seen, 4)
  for k = 1, 3 do check(not seen[k].test, "tuning on validation") end
  check(seen[4].test and seen[4].value == runs[1].params.v, "one test fit, with the chosen setting")
end)

case("cold scenarios validate on folds until enough users are held out, scored over all of them", function()
  local ds = data.synthetic{items = 80, users = 60, ratings = 2000, rank = 2, user_features = 4, seed = 8}
  local saved = study.VALIDATION_NEW
  study.VALIDATION_NEW = 30
  local fits = {}
  local ok, runs = with_probe(ds, {0, 1}, function(c, sp, p)
    local held = {}
    for j, v in ipairs(sp.col_map) do if v == 0 then held[#held + 1] = sp.test:col_labels()[j] end end
    fits[#fits + 1] = {test = sp == c.s, v = p.v, held = table.concat(held, ","), sp = sp}
  end, {scenarios = {"T2b"}})
  local splits_, held = study.validation_splits(splits.split(ds.ratings, "T2b", {seed = 13}).train, "T2b", 13)
  study.VALIDATION_NEW = saved
  check(ok, tostring(runs))
  local n = #splits_
  check(n > 1 and held.users >= 30 and n <= study.VALIDATION_SPLITS, n .. " splits, " .. held.users .. " users")
  eq(runs[1].validation_splits, n)
  eq(#fits, 2 * n + 1) -- every setting on every split, then the test once
  for k = 1, 2 * n do check(not fits[k].test, "tuning on validation") end
  check(fits[2 * n + 1].test and fits[2 * n + 1].v == runs[1].params.v, "one test fit, with the chosen setting")
  -- the folds hold out disjoint sets of users, and the score is the RMSE over all their ratings
  local once = {}
  for k = 1, n do
    for user in fits[k].held:gmatch("[^,]+") do
      check(not once[user], "user " .. user .. " held out by two folds")
      once[user] = true
    end
  end
  local ss, cnt, vr = 0, 0, 0
  for k = 1, n do
    local f = fits[(runs[1].params.v == 0 and 0 or n) + k]
    local pred = models.means(f.sp.train, {shrinkage = f.v}):predict(f.sp.test, f.sp.row_map, f.sp.col_map)
    local r = require("simec.metrics").rmse(pred, f.sp.test)
    ss, cnt, vr = ss + r * r * f.sp.test:nnz(), cnt + f.sp.test:nnz(), vr + f.sp.test:nnz()
  end
  T.near(runs[1].val_rmse, math.sqrt(ss / cnt), 1e-12)
  eq(runs[1].validation_ratings, vr)
  -- T1 draws its validation ratings one by one: one split
  local one = study.validation_splits(ds.ratings, "T1", 13)
  eq(#one, 1)
  -- every fold taken: in T2b the validation ratings are the whole training
  -- side, each once; T3's folds hold out its items in its split's share (15%)
  local trains, every = {}, {}
  study.VALIDATION_NEW = math.maxinteger
  for _, sc in ipairs{"T2b", "T3"} do
    trains[sc] = splits.split(ds.ratings, sc, {seed = 13}).train
    every[sc] = study.validation_splits(trains[sc], sc, 13)
  end
  study.VALIDATION_NEW = saved
  for sc, all in pairs(every) do
    local train = trains[sc]
    eq(#all, study.VALIDATION_SPLITS)
    local users, items, nval = 0, 0, 0
    for _, f in ipairs(all) do
      users, items, nval = users + #f.test_users, items + #f.test_items, nval + f.test:nnz()
    end
    eq(users, train:ncols())
    local share = train:nrows() - math.floor(0.85 * train:nrows()) -- what T3's split holds out
    if sc == "T2b" then eq(nval, train:nnz()) else eq(items, 5 * share) end
  end
  -- a training side of fewer items than folds: one fold per item (4 items: 2 train in T2a)
  local few = data.synthetic{items = 4, users = 30, ratings = 100, seed = 3}
  local ok3, few_runs = pcall(study.run, few, {models = {"mean"}, scenarios = {"T2a"}, progress = false})
  check(ok3, tostring(few_runs))
  eq(few_runs[1].validation_splits, 2)
  -- a model that scores its epochs gets the epoch best over every split, not one split's best
  study.VALIDATION_NEW = 30
  study.MODELS.probe = {
    method = function() return "probe" end,
    grid = "probe",
    fit = function(c, sp)
      local pred = models.means(sp.train):predict(sp.test, sp.row_map, sp.col_map)
      if sp == c.s then return pred end
      local first = sp == c.inners[1]
      return pred, {epochs = first and 1 or 3}, first and {0.5, 0.9, 2} or {2, 0.9, 0.5}
    end,
    uses = function() return "none" end,
  }
  local ok2, epoch_runs = pcall(study.run, ds, {models = {"probe"}, scenarios = {"T2b"}, grids = {probe = {v = {0}}},
                                                progress = false})
  study.MODELS.probe, study.VALIDATION_NEW = nil, saved
  check(ok2, tostring(epoch_runs))
  eq(epoch_runs[1].params.epochs, 2)
  T.near(epoch_runs[1].val_rmse, 0.9, 1e-12)
end)

case("the tuning sample: a large training side is tuned on whole users of it, the final fit uses all of it", function()
  local ds = data.synthetic{items = 80, users = 60, ratings = 2000, rank = 2, user_features = 5, seed = 8}
  local trains = {}
  local function record(c, sp, _, X)
    local labels, counts = {}, c.s.train:col_counts()
    for j, l in ipairs(c.s.train:col_labels()) do labels[l] = counts:get(1, j) end
    local whole = 0
    for _, l in ipairs(sp.train:col_labels()) do whole = whole + labels[l] end
    -- the features handed to the fit are those of sp's users, in sp's order
    local fx_ok, index = X.users:nrows() == sp.train:ncols(), {}
    for j, l in ipairs(ds.ratings:col_labels()) do index[l] = j end
    for j, l in ipairs(sp.train:col_labels()) do
      local mine, theirs = X.users:select_rows{j}:dense(), ds.users.features:select_rows{index[l]}:dense()
      fx_ok = fx_ok and (mine - theirs):norm() == 0
    end
    trains[#trains + 1] = {final = sp == c.s, nnz = sp.train:nnz() + (sp == c.s and 0 or sp.test:nnz()),
                           users = sp.train:ncols(), whole = whole, fx_ok = fx_ok}
  end
  local ok, runs = with_probe(ds, {0, 1}, record, {tune_ratings = 500})
  local ok2, all = with_probe(ds, {0, 1}, record)
  local bad = {with_probe(ds, {0, 1}, record, {tune_ratings = -1})}
  check(ok and ok2, tostring(runs) .. tostring(all))
  eq(#trains, 6)
  -- validation and its training part together are whole users holding at least 500 ratings
  for k = 1, 2 do
    check(trains[k].nnz >= 500 and trains[k].nnz < 600, "about 500 ratings: " .. trains[k].nnz)
    eq(trains[k].nnz, trains[k].whole) -- every sampled user keeps all her training ratings
    check(trains[k].users < 60 * 0.5, "fewer users: " .. trains[k].users)
    check(trains[k].fx_ok, "the sampled users' own features")
  end
  check(trains[3].final and trains[3].nnz == 1400, "the final fit sees the whole training side")
  check(trains[3].fx_ok and trains[4].fx_ok, "features line up in the final fit and unsampled tuning")
  eq(runs[1].tuned_on, trains[1].nnz); eq(runs[1].train_ratings, 1400)
  eq(runs[1].tuned_users, trains[1].users); eq(runs[1].train_users, 60)
  -- below study.TUNE_RATINGS nothing is sampled
  eq(trains[4].nnz, 1400); eq(all[1].tuned_on, 1400); eq(all[1].tuned_users, 60)
  check(not bad[1] and tostring(bad[2].msg):find("tune_ratings must be a non%-negative integer"), tostring(bad[2]))
end)

case("a given split's large training side is tuned on whole users too, with their features", function()
  local ds = data.synthetic{items = 80, users = 60, ratings = 2000, rank = 2, item_features = 5, user_features = 5,
                            seed = 8}
  local s = splits.split(ds.ratings, "T1", {seed = 3})
  ds.given = splits.given(s.train, s.test, ds.items.ids, ds.users.ids)
  local runs = study.run(ds, {models = {"mean", "biases", "svd"}, grids = "quick", tune_ratings = 500, progress = false})
  eq(#runs, 3)
  for _, r in ipairs(runs) do
    check(r.rmse and r.rmse > 0, r.model)
    check(r.tuned_on >= 500 and r.tuned_on < r.train_ratings, "sampled: " .. r.tuned_on)
    check(r.tuned_users < r.train_users and r.train_users == 60, r.tuned_users .. " of " .. r.train_users)
  end
end)

case("fixed bugs: sgd's learning rate however named; fit_split's seed reaches the initial weights", function()
  local function lr(cfg)
    local base = {input = "identity", rows = 3, embedding = 2, output = 3}
    for k, v in pairs(cfg) do base[k] = v end
    return SimEc.new(base):config().lr
  end
  eq(lr{optimizer = "sgd"}, 0.01); eq(lr{optimizer = {"sgd"}}, 0.01); eq(lr{optimizer = {"sgd", lr = 0.3}}, 0.3)
  eq(lr{optimizer = "adamax"}, 0.0005); eq(lr{optimizer = {"adam"}}, 0.0005); eq(lr{}, 0.0005)
  local ds = data.synthetic{items = 60, users = 50, ratings = 1500, rank = 2, item_features = 6, user_features = 4,
                            seed = 2}
  local s = require("simec.splits").split(ds.ratings, "T1")
  local X = {items = ds.items.features}
  local function fit(seed)
    return models.fit_split(s, X, {model = "simec", embedding = 4, epochs = 2, seed = seed, lr = 0.01}):values()
  end
  local a, b = fit(13), fit(14)
  check((a - b):norm() > 0, "another seed, other weights")
  -- seed 13 draws the weights of seed 28, as the study always has
  local mm = models.means(s.train)
  local m = SimEc.new{input = X.items:ncols(), embedding = 4, output = s.train:ncols(), seed = 28,
                      optimizer = {"adamax", lr = 0.01}}
  m:fit(X.items:select_rows(s.train_items), mm:residuals(s.train), {epochs = 2, seed = 13, verbose = false})
  local p = mm:predict(s.test, s.row_map, s.col_map):values() + m:predict_at(X.items, s.test):values()
  T.near((a - p):norm(), 0, 1e-9)
end)

case("without biases+SimEc the blend falls back to the biases", function()
  local ds = data.synthetic{items = 60, users = 50, ratings = 1500, rank = 2, item_features = 6, user_features = 4,
                            seed = 5}
  local runs = study.run(ds, {models = {"mean", "biases", "mcmc", "blend"}, scenarios = {"T1"}, grids = "quick",
                              progress = false})
  local by = {}
  for _, r in ipairs(runs) do by[r.model] = r end
  eq(by.blend.method, "blend(mean, MCMC, biases)")
  check(by.blend.rmse and by.mean.rmse and by.mcmc.rmse and by.biases.rmse, "the blend's parts run first")
  eq(#by.blend.params.weights, 3) -- without SVD in the run, three members
end)

-- the blend names its members as the table does: in T3 the SimEc on the
-- biases' residuals is the two-SimEc
case("the blend's name says which SimEc it holds", function()
  local ds = data.synthetic{items = 60, users = 50, ratings = 1500, rank = 2, item_features = 6, user_features = 4,
                            seed = 5}
  local runs = study.run(ds, {models = {"mean", "biases", "biases_simec", "mcmc", "blend"}, scenarios = {"T2a", "T3"},
                              grids = "quick", progress = false})
  local names = {}
  for _, r in ipairs(runs) do names[r.scenario .. " " .. r.model] = r.method end
  eq(names["T2a biases_simec"], "biases+SimEc(X)")
  eq(names["T2a blend"], "blend(mean, MCMC, biases+SimEc)")
  eq(names["T3 biases_simec"], "biases+two-SimEc")
  eq(names["T3 blend"], "blend(mean, MCMC, biases+two-SimEc)")
end)

case("the blend stacks the means model, MCMC, biases(+SimEc) and SVD with non-negative weights fitted on validation",
     function()
  local ds = data.synthetic{items = 60, users = 50, ratings = 1500, rank = 2, item_features = 6, user_features = 4,
                            seed = 5}
  local runs = study.run(ds, {models = {"mean", "biases", "svd", "mcmc", "blend"}, scenarios = {"T1", "T2b"},
                              grids = "quick", progress = false})
  for _, sc in ipairs{"T1", "T2b"} do
    local by = {}
    for _, r in ipairs(runs) do if r.scenario == sc then by[r.model] = r end end
    eq(by.blend.method, "blend(mean, MCMC, biases, SVD)")
    eq(by.blend.grid, nil) -- nothing to declare: the weights are fitted
    local w = by.blend.params.weights
    eq(#w, 4)
    for _, x in ipairs(w) do check(x >= 0, sc .. " weight " .. x) end
    -- each part alone (its weight one) is one of the fits: the blend never does worse on validation
    for _, part in ipairs{"mean", "mcmc", "biases", "svd"} do
      check(by.blend.val_rmse <= by[part].val_rmse + 1e-12, sc .. " " .. part)
    end
  end
end)

case("a grid of quick settings shows its first and last lines and one a second between", function()
  local ds = data.synthetic{items = 40, users = 30, ratings = 600, rank = 2, item_features = 3, user_features = 3,
                            seed = 2}
  local grids = {biases = {reg_items = {1, 2, 3, 4, 5, 6, 7, 8}, reg_users = {1, 2, 3, 4, 5, 6, 7, 8}, alpha = {1}}}
  local lines = {}
  study.run(ds, {models = {"biases"}, scenarios = {"T1"}, grids = grids,
                 progress = function(l) lines[#lines + 1] = l end})
  local settings = 0
  for _, l in ipairs(lines) do if l:find(": setting %d+ of 64") then settings = settings + 1 end end
  check(settings >= 2 and settings < 10, ("%d setting lines"):format(settings))
  check(lines[1]:find("setting 1 of 64", 1, true), lines[1])
  local last_setting
  for _, l in ipairs(lines) do if l:find(": setting") then last_setting = l end end
  check(last_setting:find("setting 64 of 64", 1, true), last_setting)
end)

case("the other examples' data sets take feature files too (cli.dataset)", function()
  local f = T.write(T.tmpname(), "1\tdirector=A\n2\tdirector=A\n3\tdirector=B\n")
  local d = require("simec.cli").dataset({synthetic = true, item_features = {f}},
                                         {items = 20, users = 10, ratings = 100, item_features = 4, seed = 1})
  eq(d.items.features:ncols(), 6)
  eq(d.items.features:get(3, 6), 1)
  check(d.items.sets[1]:find("(2, pairs)", 1, true), d.items.sets[1])
  local svg = T.tmpname() .. ".svg"
  local o, e, ok = run(BIN .. " examples/explain.lua --synthetic --epochs 1 --svg " .. svg .. " --item-features " .. f)
  os.remove(svg)
  check(ok and o:find("share per feature"), o .. e)
  os.remove(f)
  -- ratings of one's own on another scale (1-10), features with two tokens an item: explain picks a
  -- movie with fewer than three features and fans by four fifths of the top rating; similar_items
  -- queries the most rated items; without --item-features both say what is missing
  local dir = tmpdir()
  local rl, fl, x = {}, {}, 7
  for u = 1, 60 do
    for i = 1, 30 do
      x = (x * 1103515245 + 12345) % 2147483648
      if x % 3 == 0 then rl[#rl + 1] = ("%d,%d,%d"):format(u, i, x % 10 + 1) end
    end
  end
  for i = 1, 30 do fl[#fl + 1] = ("%d\tg%d"):format(i, i % 4); fl[#fl + 1] = ("%d\th%d"):format(i, i % 3) end
  T.write(dir .. "/r.csv", table.concat(rl, "\n") .. "\n")
  T.write(dir .. "/f.tsv", table.concat(fl, "\n") .. "\n")
  o, e, ok = run(BIN .. " examples/explain.lua --ratings " .. dir .. "/r.csv --item-features " .. dir .. "/f.tsv " ..
                 "--epochs 1 --svg " .. dir .. "/x.svg")
  check(ok and o:find("share per feature") and o:find("rated it %d+;"), o .. e)
  for n in o:gmatch("rated it (%d+);") do check(tonumber(n) >= 8, "a fan rated it " .. n) end
  o, e, ok = run(BIN .. " examples/similar_items.lua --ratings " .. dir .. "/r.csv --item-features " .. dir ..
                 "/f.tsv --epochs 1 --svg-prefix " .. dir .. "/s")
  local queries = {}
  for q in o:gmatch("most similar to (item %d+)") do queries[#queries + 1] = q end
  check(ok and #queries == 3 and queries[1] ~= queries[2] and queries[2] ~= queries[3], o .. e)
  -- more items than --max-items: the most rated are kept, and the run says so
  o, e, ok = run(BIN .. " examples/similar_items.lua --ratings " .. dir .. "/r.csv --item-features " .. dir ..
                 "/f.tsv --epochs 1 --max-items 10 --svg-prefix " .. dir .. "/s")
  check(ok and o:find("r.csv: 30 items; the 10 most rated are kept (--max-items", 1, true), o .. e)
  check(o:find("r.csv: 10 items, 7 features", 1, true), o)
  local count = {}
  for _, line in ipairs(rl) do
    local i = line:match("^%d+,(%d+),")
    count[i] = (count[i] or 0) + 1
  end
  local ranked = {}
  for i in pairs(count) do ranked[#ranked + 1] = i end
  table.sort(ranked, function(a, b) return count[a] > count[b] end)
  local listed = 0 -- ties at the tenth count may fall either way
  for q in o:gmatch("\n  item (%d+)") do
    check(count[q] >= count[ranked[10]], q .. " is not among the 10 most rated")
    listed = listed + 1
  end
  eq(listed, 3 * 9) -- each query's nine others
  _, e, ok = run(BIN .. " examples/similar_items.lua --synthetic --max-items 1")
  check(not ok and e:find("--max-items needs an integer of at least 2, got 1", 1, true), e)
  for _, ex in ipairs{"explain", "similar_items"} do
    _, e, ok = run(BIN .. " examples/" .. ex .. ".lua --ratings " .. dir .. "/r.csv")
    check(not ok and e == ex .. ": the data has no item features: give --item-features FILE\n", e)
  end
  os.execute("rm -rf " .. dir)
end)

-- The study: the four tasks (T1 known items and users, T2a new items, T2b
-- new users, T3 both new) on any ratings data, with every model's grid
-- declared here before the run, settings chosen on validation ratings
-- carved from the training side, and the test ratings scored once, for the
-- chosen setting only. The examples are declarations of what to run:
--   require("simec.study").main{prog = "all_tasks", about = "...",
--                               models = {"mean", "biases", "svd", ...}}
-- As a library: ds = study.load(args); runs = study.run(ds, opts).
local simec = require "simec"
local data, splits, models = require "simec.data", require "simec.splits", require "simec.models"
local metrics, report = require "simec.metrics", require "simec.report"
local sparse, matrix = simec.sparse, simec.matrix
local study = {}

-- The study's constants: the means model's shrinkage, the SVD's rank and
-- the ridge from features to its factors, the SimEcs' embedding size,
-- embedding regularisation and optimiser, and the split seed whose splits
-- are the published tables'. Numeric defaults of the models themselves
-- live in the core (SimEc.new, fit, rec.bfm).
study.SHRINKAGE = 1
study.SVD_K = 100
study.RIDGE_ALPHA = 250
study.SIMEC = {embedding = 10, l2_reg_emb = 1e-3, optimizer = "adamax"}
study.SEED = 13
study.SCENARIOS = {"T1", "T2a", "T2b", "T3"}
-- Settings are chosen on whole training users, drawn at random until they
-- hold this many ratings, when the training side has more (the final fit
-- uses all of them): a grid's many fits then cost what they cost on ML-1M,
-- whatever the data's size, the zero-filled models' too (their cost follows
-- items x users, which a sample of ratings would not shrink), and each
-- sampled user's row is as dense as in the data. Every ml-100k and ml-1m
-- training side is smaller, so their runs are unaffected. 0 (--tune-ratings
-- 0) tunes on the whole training side.
study.TUNE_RATINGS = 1000000
-- In the cold scenarios a setting's validation score carries over as far
-- as its held-out items or users go, not its ratings (a user's ratings
-- move together): the new sides are cut into VALIDATION_SPLITS folds,
-- taken in turn until each new side has held out this many in all, and a
-- setting's score is the RMSE over all of their validation ratings. Large
-- data sets hold out more in one fold.
study.VALIDATION_NEW = 1000
study.VALIDATION_SPLITS = 5

-- The grids, fixed before any run: "default", the same for every data set,
-- and "quick", a small one for a classroom. A model's grid may drop values
-- that cannot matter in a scenario (study.grid_for says which).
study.GRIDS = {
  default = {
    biases = {reg_items = {1, 3, 10, 30}, reg_users = {1, 3, 10, 30}, alpha = {1, 10, 100, 1000}},
    simec = {lr = {0.002, 0.01}, epochs = {5, 20}},
    biases_simec = {lr = {0.002, 0.01, 0.03}, epochs = {5, 20, 40}},
    simec_study = {lr = {0.002, 0.01}, l2_reg_emb = {1e-5, 1e-3, 0.1}, embedding = {10, 100},
                   base = {"means", "users"}, max_epochs = {20}},
    mcmc = {k = {0, 8, 16}, features = {"all", "new"}, implicit = {false, "users", "items", "both"}},
    mf = {k = {10, 50, 100}, lr = {0.005, 0.01}, reg = {0.02, 0.05}, max_epochs = {40}},
  },
  quick = {
    biases = {reg_items = {3, 30}, reg_users = {3, 30}, alpha = {1, 1000}},
    simec = {lr = {0.01}, epochs = {10}},
    biases_simec = {lr = {0.01}, epochs = {20}},
    simec_study = {lr = {0.01}, l2_reg_emb = {1e-3}, embedding = {10}, base = {"means"}, max_epochs = {10}},
    mcmc = {k = {8}, features = {"all"}, implicit = {false, "both"}, burn_in = {15}, samples = {35}},
    mf = {k = {50}, lr = {0.01}, reg = {0.05}, max_epochs = {20}},
  },
}

-- A user-facing error: main prints it as one line, without a traceback;
-- a script, the REPL or a notebook that calls the runner shows its message.
local USAGE = {__tostring = function(e) return e.msg end}
function study.fail(fmt, ...)
  error(setmetatable({msg = select("#", ...) > 0 and fmt:format(...) or fmt}, USAGE), 0)
end

-- The first value list holds twice, or nil. A seed or a scenario counted
-- twice would pass for a second run and shrink the spread over seeds.
local function repeated(list)
  local seen = {}
  for _, v in ipairs(list) do
    if seen[v] then return v end
    seen[v] = true
  end
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

-- data.find's folder for name, or a usage error naming the places looked
-- and what to give instead (an example's own data, or the study's)
function study.find_data(name, instead)
  local dir, tried, get = data.find(name)
  if dir then return dir end
  study.fail("no data set %s: looked in %s; %s, or run on synthetic data with --synthetic", name,
             table.concat(tried, ", "), get and "get it with " .. get or instead or
             "give a MovieLens folder, --ratings FILE or --train FILE --test FILE")
end

-- USER,ITEM,RATING field numbers; with pairs (interactions) USER,ITEM
-- too, the rating then false (every value 1)
local function parse_columns(text, pairs)
  local u, i, r = text:match("^(%d+),(%d+),(%d+)$")
  if not u and pairs then
    u, i = text:match("^(%d+),(%d+)$")
    r = u and false
  end
  if not u then
    study.fail("--columns must be USER,ITEM,RATING%s field numbers, e.g. 1,2,3; got %s", pairs and " or USER,ITEM" or "",
               text)
  end
  u, i, r = tonumber(u), tonumber(i), r and tonumber(r)
  for _, f in ipairs{u, i, r or 1} do
    if f < 1 or f > sparse.MAX_FIELDS then
      study.fail("--columns: field numbers run from 1 to %d; got %s", sparse.MAX_FIELDS, text)
    end
  end
  if u == i or r == u or r == i then
    study.fail("--columns: each field number must name another field; got %s", text)
  end
  return u, i, r
end

-- --delim as the reader takes it: a tab can hardly be typed on a command
-- line, so \t and tab name it (and comma, semicolon, pipe, space the
-- others); \t passed on as two characters split nothing, and its error
-- showed it as a tab
local DELIM_NAMES = {["\\t"] = "\t", tab = "\t", comma = ",", semicolon = ";", pipe = "|", space = " "}
local function delimiter(text)
  return text and (DELIM_NAMES[text:lower()] or text)
end

-- The fields a header line names as the user's, the item's and the
-- rating's (USER,ITEM,RATING field numbers, the rating false for pairs
-- without one) and what to say of them; nil when line 1's names say
-- nothing of which is which (fields 1,2,3 then).
local function header_columns(path, names, pairs)
  local at, why, twice = data.header_columns(names)
  if not at then
    if #names >= 3 and twice then study.fail("%s:1: %s; give --columns USER,ITEM,RATING", path, why) end
    return nil
  end
  if not at.rating and not pairs then
    study.fail("%s:1: the header names the user ('%s') and the item ('%s') but no rating among its %d fields; give " ..
               "--columns USER,ITEM,RATING", path, names[at.user], names[at.item], #names)
  end
  local say = ("columns by the header: user '%s' (field %d), item '%s' (field %d), %s"):format(names[at.user],
    at.user, names[at.item], at.item, at.rating and ("rating '%s' (field %d)"):format(names[at.rating], at.rating) or
    "every value 1 (no field is named as a rating)")
  return at.user, at.item, at.rating or false, say
end

-- a ratings file as the options describe it (items x users, labelled);
-- pairs: USER,ITEM columns allowed (interactions without a value)
local function read_ratings(path, args, pairs)
  local u, i, r, say
  if args.columns then u, i, r = parse_columns(args.columns, pairs) end
  if not exists(path) then study.fail("ratings file %s does not exist", path) end
  local names, head
  if args.header then names, head = data.header_fields(path, delimiter(args.delim), pairs and 2 or 3) end
  if not u and names then u, i, r, say = header_columns(path, names, pairs) end
  if u and args.columns and names then -- --columns wins, but not against the header's names unsaid
    local at = data.header_columns(names)
    if at and (at.user ~= u or at.item ~= i) then
      io.stderr:write(("simec: warning: %s:1: --columns %s reads field %d ('%s') as the users and field %d ('%s') " ..
                       "as the items; the header names field %d ('%s') as the users and field %d ('%s') as the " ..
                       "items\n"):format(path, args.columns, u, names[u] or "", i, names[i] or "", at.user,
                       names[at.user], at.item, names[at.item]))
    end
  end
  if not u then u, i, r = parse_columns("1,2,3", pairs) end
  -- a header is never assumed, so neither is a line 1 that reads as a rating skipped unsaid
  if names and r and data.number(names[r] or "") and (names[u] or "") ~= "" and (names[i] or "") ~= "" then
    io.stderr:write(("simec: warning: %s:1: --header skips line 1, which reads as a rating (%s); leave --header " ..
                     "out if it is one\n"):format(path, #head > 60 and head:sub(1, 57) .. "..." or head))
  end
  local ok, R, info = pcall(sparse.read, path, {row = i, col = u, value = r, delim = delimiter(args.delim),
                                               header = args.header or false, duplicates = args.duplicates,
                                               order = true})
  -- the reader names its Lua options and rows and columns; the command line has --header and
  -- --duplicates, users and items
  if not ok then
    local msg = tostring(R):gsub("pass header = true%)", "add --header)")
                           :gsub("row id ('[^']*'), column id ('[^']*')", "user %2, item %1")
                           :gsub('pass duplicates = "mean" or "sum" to combine them', "--duplicates mean or " ..
                                 "sum combines them")
                           :gsub("a table with a row per line and a value per column%? each line must hold one " ..
                                 "entry", "a table of a user per line and an item per column? give a user,item," ..
                                 "rating line per rating (pandas: DataFrame.melt; R: pivot_longer)")
    if pairs and not args.columns then
      msg = msg:gsub("(expected at least 3 fields .-got 2)$", "%1 (--columns 1,2 reads user,item pairs)")
    end
    study.fail("%s", msg)
  end
  if R:nnz() == 0 then study.fail("%s: no ratings", path) end
  info.columns, info.rating_field = say, r
  return R, info
end

-- The feature files of args (item_features, user_features: lists of
-- paths) added to ds's items and users, next to what the data set derives
function study.add_feature_files(ds, args)
  -- the same file twice would give each of its features twice the weight in every model
  for _, what in ipairs{"item", "user"} do
    local given = {}
    for _, path in ipairs(args[what .. "_features"] or {}) do
      if given[path] then study.fail("--%s-features %s is given twice", what, path) end
      given[path] = true
    end
  end
  for _, side in ipairs{"items", "users"} do
    local what = side:sub(1, -2)
    for _, path in ipairs(args[what .. "_features"] or {}) do
      local ok, X, info = pcall(data.features_file, path, ds[side].ids, what)
      if not ok then study.fail("%s", tostring(X)) end
      data.warn_features(path, info, what, "the ratings")
      ds[side].features = ds[side].features and sparse.hstack{ds[side].features, X} or X
      ds[side].sets = ds[side].sets or {}
      local how = info.format == "pairs" and info.header and "pairs under a header" or info.format
      if info.id_field then how = ("%s, ids in field %d"):format(how, info.id_field) end
      if info.categorical > 0 then how = ("%s, %d categorical"):format(how, info.categorical) end
      if #info.lists > 0 then
        how = info.format == "pairs" and how .. ", '|' lists" or ("%s (%d of them '|' lists)"):format(how, #info.lists)
      end
      if info.standardised > 0 then how = ("%s, %d standardised"):format(how, info.standardised) end
      if info.blank > 0 then how = ("%s, %d values missing"):format(how, info.blank) end
      ds[side].sets[#ds[side].sets + 1] = ("%s (%d, %s)"):format(path:match("([^/]+)$"), info.features, how)
    end
  end
end

-- Values a rating column holds by mistake or by a data set's convention,
-- said on stderr from up to ODD_SAMPLE ratings drawn at even steps:
-- - 0 for an interaction without a rating (Book-Crossing: 62% of its
--   lines), ZERO_SHARE or more of them and no rating between 0 and 1,
--   which the study would read as the lowest ratings;
-- - whole numbers between 1e8 and 4e9, as Unix times are (1973 to 2096):
--   a timestamp field read as the ratings.
local ZERO_SHARE, ODD_SAMPLE = 0.2, 100000
local function say_odd_ratings(path, R, field)
  local v = R:values()
  local n = v:nrows()
  local step = math.max(1, n // ODD_SAMPLE)
  local seen, zeros, low, lo, hi, whole = 0, 0, math.huge, math.huge, -math.huge, true
  for k = 1, n, step do
    local x = v:get(k, 1)
    seen = seen + 1
    if x == 0 then zeros = zeros + 1 elseif x > 0 and x < low then low = x end
    lo, hi, whole = math.min(lo, x), math.max(hi, x), whole and x == math.floor(x)
  end
  v:close()
  local sample = step > 1 and (" (in %d of them, drawn evenly)"):format(seen) or ""
  if zeros >= ZERO_SHARE * seen and low >= 1 then
    io.stderr:write(("simec: warning: %s: %.0f%% of the ratings are 0 and none lies between 0 and 1%s: if 0 " ..
                     "means an interaction without a rating (as in Book-Crossing), it is read here as the lowest " ..
                     "rating; drop those lines for a rating study, or study the interactions with " ..
                     "examples/implicit.lua\n"):format(path, 100 * zeros / seen, sample))
  end
  if whole and lo >= 1e8 and hi <= 4e9 then
    io.stderr:write(("simec: warning: %s: the ratings (field %d) run from %.0f to %.0f%s, as Unix times do: is it " ..
                     "a timestamp field? --columns USER,ITEM,RATING chooses the fields\n"):format(path, field, lo, hi,
                     sample))
  end
end

-- The data set of args.ratings, a delimited file read as args.delim,
-- args.header, args.columns and args.duplicates say (with pairs, USER,ITEM
-- columns are allowed: interactions, every value 1).
function study.ratings_dataset(args, pairs)
  local R, info = read_ratings(args.ratings, args, pairs)
  -- the rating studies read values as ratings; the interaction examples (pairs) choose with --threshold
  if not pairs then say_odd_ratings(args.ratings, R, info.rating_field) end
  return setmetatable({name = args.ratings:match("([^/]+)$"), ratings = R, order = info.order, source = args.ratings,
                       columns = info.columns,
                       items = {ids = R:row_labels()}, users = {ids = R:col_labels()}}, data.DataSet)
end

-- The data set of a command line: {name, ratings, order, items = {ids,
-- features, sets}, users = {...}, given = split or nil, source}.
function study.load(args)
  local ds
  if args.synthetic then
    ds = data.synthetic{items = 1682, users = 943, ratings = 100000, item_features = 40, user_features = 30,
                        seed = study.SEED}
    ds.items.sets = {"synthetic (40 binary)"}
    ds.users.sets = {"synthetic (30 binary)"}
    ds.source = "data.synthetic"
  elseif args.ratings then
    ds = study.ratings_dataset(args)
  elseif args.data or not args.train then
    local dir = study.find_data(args.data or "ml-100k")
    local ok, d = pcall(data.movielens, dir, {min_tag_count = args.tags_min, genome_min = args.genome_min or nil})
    if not ok then
      d = tostring(d)
      -- a folder of the user's own files is no release: say how to read one
      if d:find("no MovieLens ratings in", 1, true) then d = d .. "; a ratings file of your own: --ratings FILE" end
      study.fail("%s", d)
    end
    ds = d
    ds.source = dir
    ds.items.sets = {}
    for _, k in ipairs{"genre=", "decade=", "tag=", "genome="} do
      local n = 0
      for _, name in ipairs(ds.items.vocab.names) do if name:sub(1, #k) == k then n = n + 1 end end
      if k == "genome=" and ds.genome then n = ds.genome.tags end
      if n > 0 then ds.items.sets[#ds.items.sets + 1] = ("%s (%d)"):format(k:sub(1, -2), n) end
    end
    if ds.users.features then
      ds.users.sets = {("demographics (%d)"):format(ds.users.features:ncols())}
    end
  end
  if args.train or args.test then
    if not (args.train and args.test) then study.fail("--train and --test go together") end
    local function locate(f)
      if exists(f) or not ds then return f end
      return exists(ds.source .. "/" .. f) and ds.source .. "/" .. f or f
    end
    local trp, tep = locate(args.train), locate(args.test)
    local Rtr = read_ratings(trp, args)
    local Rte = read_ratings(tep, args)
    local ok, s = pcall(splits.given, Rtr, Rte, ds and ds.items.ids, ds and ds.users.ids)
    if not ok then study.fail("%s and %s: %s", args.train, args.test, (tostring(s):gsub("^splits%.given: ", ""))) end
    if not ds then
      ds = setmetatable({name = trp:match("([^/]+)$") .. "+" .. tep:match("([^/]+)$"), source = trp,
                         items = {ids = s.item_ids}, users = {ids = s.user_ids}}, data.DataSet)
    end
    ds.given = s
    ds.given_name = ("%s / %s"):format(args.train, args.test)
  end
  study.add_feature_files(ds, args)
  local drop = args.no_features
  if drop then
    if drop ~= "items" and drop ~= "users" and drop ~= "both" then
      study.fail("--no-features must be items, users or both, got %s", drop)
    end
    for _, side in ipairs{"items", "users"} do
      if drop == side or drop == "both" then ds[side].features, ds[side].sets = nil, nil end
    end
  end
  for _, side in ipairs{"items", "users"} do
    local X = ds[side].features
    if X and X:ncols() == 0 then ds[side].features, ds[side].sets = nil, nil end
  end
  return ds
end

-- Models ------------------------------------------------------------------

local NEW = {T1 = {}, T2a = {items = true}, T2b = {users = true}, T3 = {items = true, users = true}}

-- whether the sides a scenario has new have features; else the reason
local function new_sides_have(c)
  for _, side in ipairs{"items", "users"} do
    if NEW[c.sc][side] and not c.X[side] then return false, ("needs %s features"):format(side:sub(1, -2)) end
  end
  return true
end

local function sides_used(X, which)
  local t = {}
  for _, side in ipairs{"items", "users"} do
    if X[side] and (which == nil or which[side]) then t[#t + 1] = side end
  end
  return #t > 0 and table.concat(t, "+") or "none"
end

local function simec_opts(c, p, extra)
  local o = {embedding = p.embedding or study.SIMEC.embedding, l2_reg_emb = p.l2_reg_emb or study.SIMEC.l2_reg_emb,
             optimizer = study.SIMEC.optimizer, lr = p.lr, epochs = p.epochs, seed = c.seed}
  for k, v in pairs(extra) do o[k] = v end
  return o
end

-- Each model: method(c) its row's name; applies(c) true, or false, why and
-- whether the model does not serve the task by design (its row is then left
-- out of the table; the JSON keeps it);
-- grid its key in study.GRIDS (nil: nothing to choose); fit(c, sp, X, p)
-- the predictions at sp.test of the model fitted on sp.train with setting
-- p (X: features of sp's full space), extras found while fitting (the
-- best epoch) and, from a model that scores every epoch on sp.test, the
-- RMSE after each (pooled over the validation splits to choose the
-- epoch); uses(c, p) the feature sets the row used; after the models it
-- needs chosen first, optional_after those it uses when they are run.
study.MODELS = {}
local M = study.MODELS

M.mean = {
  method = function() return "mean" end,
  fit = function(_, sp) return models.means(sp.train, {shrinkage = study.SHRINKAGE}):predict(sp.test, sp.row_map,
                                                                                               sp.col_map) end,
  uses = function() return "none" end,
}

-- the means model's predictions at sp.test and the rank-k SVD of its
-- residuals (k capped by the shape)
local function mean_svd(sp, k)
  local mm = models.means(sp.train, {shrinkage = study.SHRINKAGE})
  local resid = mm:residuals(sp.train)
  return mm:predict(sp.test, sp.row_map, sp.col_map), models.svd(resid, math.min(k, math.min(resid:shape()) - 1))
end

-- the means model with other shrinkages, and SVD at a small rank (the study's baseline tables)
for _, sh in ipairs{0, 0.1, 0.5, 0.9} do
  M[("mean_s%g"):format(sh)] = {
    method = function() return ("mean(s=%g)"):format(sh) end,
    fit = function(_, sp) return models.means(sp.train, {shrinkage = sh}):predict(sp.test, sp.row_map, sp.col_map) end,
    uses = function() return "none" end,
  }
end

M.svd_k10 = {
  method = function() return "mean+SVD(k=10)" end,
  applies = function(c) if c.sc ~= "T1" then return false, "SVD alone predicts known items and users", true end return true end,
  fit = function(_, sp)
    local base, sv = mean_svd(sp, 10)
    return base + sv:predict(sp.test, sp.row_map, sp.col_map)
  end,
  uses = function() return "none" end,
}

M.biases = {
  method = function(c) return sides_used(c.X) == "none" and "biases" or "biases+features" end,
  grid = "biases",
  fit = function(_, sp, X, p)
    return models.biases(sp.train, {reg_items = p.reg_items, reg_users = p.reg_users, alpha = p.alpha,
                                    items = X.items and X.items:select_rows(sp.train_items),
                                    users = X.users and X.users:select_rows(sp.train_users)})
      :predict(sp.test, sp.row_map, sp.col_map, X)
  end,
  uses = function(c) return sides_used(c.X) end,
}

M.svd = {
  method = function(c) return c.sc == "T1" and "mean+SVD" or c.sc == "T3" and "mean+SVD+regression(both)" or
                              "mean+SVD+regression" end,
  applies = new_sides_have,
  fit = function(c, sp, X)
    local base, sv = mean_svd(sp, study.SVD_K)
    if c.sc == "T1" then return base + sv:predict(sp.test, sp.row_map, sp.col_map) end
    local ro = {alpha = study.RIDGE_ALPHA}
    if NEW[c.sc].items then ro.items = X.items:select_rows(sp.train_items) end
    if NEW[c.sc].users then ro.users = X.users:select_rows(sp.train_users) end
    return base + models.svd_regression(sv, ro):predict(sp.test, sp.row_map, sp.col_map, X)
  end,
  uses = function(c) return c.sc == "T1" and "none" or sides_used(c.X, NEW[c.sc]) end,
}

-- one-sided SimEc: items (T1, T2a; identity input in T1 without item
-- features) or users (T2b); T3 has no side to serve
local function one_sided(c)
  if c.sc == "T3" then return false, "one side cannot serve T3", true end
  return new_sides_have(c)
end
local function simec_name(c, kind)
  if kind == "two_simec" then return "two-SimEc" end
  if c.sc == "T1" and not c.X.items then return "SimEc(I)" end
  return "SimEc(X)"
end
local function one_sided_uses(c)
  if c.sc == "T2b" then return "users" end
  return c.X.items and "items" or "none"
end

for _, missing in ipairs{"zero", "mask"} do
  local suffix = missing == "mask" and " masked" or ""
  M["simec" .. (missing == "mask" and "_masked" or "")] = {
    method = function(c) return "mean+" .. simec_name(c, "simec") .. suffix end,
    applies = one_sided,
    grid = "simec",
    fit = function(c, sp, X, p) return models.fit_split(sp, X, simec_opts(c, p, {model = "simec", missing = missing})) end,
    uses = one_sided_uses,
  }
  M["two_simec" .. (missing == "mask" and "_masked" or "")] = {
    method = function() return "mean+two-SimEc" .. suffix end,
    applies = new_sides_have,
    grid = "simec",
    fit = function(c, sp, X, p) return models.fit_split(sp, X, simec_opts(c, p, {model = "two_simec",
                                                                                  missing = missing})) end,
    uses = function(c) return sides_used(c.X) end,
  }
end

-- the zero-filled SimEc on the residuals of the learned biases (their
-- setting as chosen for the biases row)
M.biases_simec = {
  method = function(c) return "biases+" .. simec_name(c, c.sc == "T3" and "two_simec" or "simec") end,
  applies = new_sides_have,
  after = {"biases"},
  grid = "biases_simec",
  fit = function(c, sp, X, p)
    local b = c.chosen.biases
    return models.fit_split(sp, X, simec_opts(c, p, {model = c.sc == "T3" and "two_simec" or "simec",
                                                     missing = "zero", base = "biases", reg_items = b.reg_items,
                                                     reg_users = b.reg_users, bias_alpha = b.alpha}))
  end,
  uses = function(c) return sides_used(c.X) end,
}

-- the study's own SimEc rows (identity or feature input, zero-filled or
-- masked), embedding, regularisation, learning rate and, in T2a, the base
-- chosen on validation, and the epoch too: one run of max_epochs scored
-- after every epoch
for _, input in ipairs{"I", "X"} do
  for _, missing in ipairs{"zero", "mask"} do
    M[("simec_%s%s"):format(input:lower(), missing == "mask" and "_masked" or "")] = {
      method = function() return ("mean+SimEc(%s)%s"):format(input, missing == "mask" and " masked" or "") end,
      applies = function(c)
        if c.sc ~= "T1" and c.sc ~= "T2a" then return false, "the study's SimEc rows are T1 and T2a", true end
        if input == "I" and c.sc ~= "T1" then return false, "identity input needs known items", true end
        if input == "X" and not c.X.items then return false, "needs item features" end
        return true
      end,
      grid = "simec_study",
      fit = function(c, sp, X, p)
        local best, best_epoch, best_pred = math.huge, 0, nil
        local o = simec_opts(c, p, {model = "simec", missing = missing, epochs = p.epochs or p.max_epochs,
                                    input = input == "I" and "identity" or nil,
                                    base = c.sc == "T2a" and p.base == "users" and "users" or "means"})
        if p.epochs then return models.fit_split(sp, X, o) end
        local curve = {}
        o.on_epoch = function(e, predict)
          local pred = predict()
          local r = metrics.rmse(pred, sp.test)
          curve[e] = r
          if r < best then best, best_epoch, best_pred = r, e, pred end
        end
        models.fit_split(sp, X, o)
        return best_pred, {epochs = best_epoch}, curve
      end,
      uses = function() return input == "I" and "none" or "items" end,
    }
  end
end

M.mcmc = {
  method = function() return "MCMC" end,
  grid = "mcmc",
  fit = function(_, sp, X, p)
    return models.fit_split(sp, X, {model = "mcmc", k = p.k, features = p.features, implicit = p.implicit,
                                    burn_in = p.burn_in, samples = p.samples, seed = sp.seed})
  end,
  uses = function(c, p)
    local which = p.features == "new" and NEW[c.sc] or nil
    local u = sides_used(c.X, which)
    if p.implicit then
      local what = p.implicit == true and "users" or p.implicit
      u = (u == "none" and "" or u .. "+") .. "implicit(" .. what .. ")"
    end
    return u
  end,
}

-- biased matrix factorisation by SGD (models.mf), the factorisation
-- rating studies compare against; no features (a new item or user gets
-- the mean and the other side's bias). The epoch is chosen too: a run of
-- max_epochs scored after each gives the runner its curve.
M.mf = {
  method = function() return "biased MF (SGD)" end,
  grid = "mf",
  fit = function(_, sp, X, p)
    local o = {model = "mf", k = p.k, lr = p.lr, reg = p.reg, seed = sp.seed, epochs = p.epochs or p.max_epochs}
    if p.epochs then return models.fit_split(sp, X, o) end
    o.trace = true
    local pred, trace = models.fit_split(sp, X, o)
    local curve = {}
    for e = 1, trace:nrows() do curve[e] = trace:get(e) end
    return pred, nil, curve
  end,
  uses = function() return "none" end,
}

-- The means model, MCMC, the best-placed other row and SVD(+regression)
-- (where it runs) stacked: non-negative weights fitted by least squares on
-- the members' predictions for every validation split's ratings
-- (models.stack). The weights are the blend's chosen setting; its
-- validation RMSE is that of the fit, as a grid's best point's is. The
-- means model is a member because without features for the new side the
-- learned biases and MCMC can predict new items worse than it does, and
-- the stack can then only choose among the worse ones (docs/study.md).
local function blend_members(c)
  return {"mean", "mcmc", c.pred.biases_simec and "biases_simec" or "biases", c.pred.svd and "svd" or nil}
end
-- the members' short names; T3's SimEc on the biases' residuals is the two-SimEc
local BLEND_NAMES = {mean = "mean", mcmc = "MCMC", biases_simec = "biases+SimEc", biases = "biases", svd = "SVD"}

M.blend = {
  method = function(c)
    local names = {}
    for j, id in ipairs(blend_members(c)) do
      names[j] = id == "biases_simec" and c.sc == "T3" and "biases+two-SimEc" or BLEND_NAMES[id]
    end
    return ("blend(%s)"):format(table.concat(names, ", "))
  end,
  after = {"mean", "mcmc", "biases"},
  optional_after = {"biases_simec", "svd"},
  fit = function(c, sp, _, p)
    local ids, k_of = blend_members(c), nil
    for k, inner in ipairs(c.inners) do if sp == inner then k_of = k end end
    local w = p.weights
    if not w then -- tuning: the weights fitted on every validation split at once
      if not c.blend_weights then
        local cols, truth = {}, {}
        for j, id in ipairs(ids) do
          local parts = {}
          for k = 1, #c.inners do parts[k] = c.val[id][k]:values() end
          cols[j] = matrix.vstack(parts)
        end
        for k, inner in ipairs(c.inners) do truth[k] = inner.test:values() end
        c.blend_weights = models.stack(cols, matrix.vstack(truth))
      end
      w = c.blend_weights
    end
    local out
    for j, id in ipairs(ids) do
      local part = k_of and c.val[id][k_of] or c.pred[id]
      out = out and out + part * w[j] or part * w[j]
    end
    return out, {weights = w}
  end,
  uses = function() return "as its parts" end,
}

-- The grid model id runs with in scenario sc: values that cannot matter
-- there are dropped (implicit feedback where users are new; "new" features
-- in T3, where every side is new; the base where items are known).
function study.grid_for(id, c, grid_set)
  local key = M[id].grid
  if not key then return nil end
  local g = {}
  for k, v in pairs(grid_set[key] or study.fail("grid set has no %s grid", key)) do g[k] = v end
  if key == "mcmc" then
    -- implicit feedback of a side only where that side has no new members
    local kept = {}
    for _, v in ipairs(g.implicit or {false}) do
      local sides = models.implicit_sides(v) or study.fail("grid: implicit %s is not a value of fit_split's",
                                                          tostring(v))
      local ok = true
      for _, side in ipairs(sides) do ok = ok and not NEW[c.sc][side] end
      if ok then kept[#kept + 1] = v end
    end
    g.implicit = #kept > 0 and kept or {false}
    -- which sides' features to use cannot matter where there are none
    if c.sc == "T3" or sides_used(c.X or {}) == "none" then g.features = {"all"} end
  elseif key == "simec_study" and c.sc ~= "T2a" then
    g.base = nil
  elseif key == "biases" and sides_used(c.X or {}) == "none" then
    g.alpha = nil -- the ridge from features to biases, without features
  end
  return g
end

-- splits.split for the study: a data set too small for a scenario's
-- split (no training or no test ratings left) ends the run with one line
-- naming the scenario, not a traceback
local function split(R, sc, opts, what)
  local ok, s = pcall(splits.split, R, sc, opts)
  if not ok then
    study.fail("%s: %s: %s (the data is too small for this scenario; --scenarios chooses others)", sc, what,
               (tostring(s):gsub("^splits%.split: ", "")))
  end
  if s.test:nnz() == 0 then
    study.fail("%s: %s: no test ratings (the data is too small for this scenario; --scenarios chooses others)", sc,
               what)
  end
  return s
end

-- The validation splits of scenario sc carved from the ratings R: in T1 the
-- scenario's split with the split seed (its validation ratings are drawn
-- one by one); in the cold scenarios the folds of that seed's permutation
-- of each new side into study.VALIDATION_SPLITS, in turn until each new side
-- has held out study.VALIDATION_NEW items or users in all. With folds no
-- item or user is held out twice, and with every fold taken each is held
-- out once, so the level the scores and the blend's weights see is the
-- training side's, not a sample's. Returns the splits and the held-out
-- count of each new side.
function study.validation_splits(R, sc, seed)
  local list, held = {}, {}
  for side in pairs(NEW[sc]) do held[side] = 0 end
  -- a side of fewer items or users than folds gets one fold each
  local folds = study.VALIDATION_SPLITS
  for side in pairs(held) do folds = math.min(folds, side == "items" and R:nrows() or R:ncols()) end
  repeat
    local inner = split(R, sc, next(held) and {seed = seed, fold = #list + 1, folds = folds} or {seed = seed},
                        "the validation split of the training ratings")
    list[#list + 1] = inner
    local enough = true
    for side in pairs(NEW[sc]) do
      held[side] = held[side] + #(side == "items" and inner.test_items or inner.test_users)
      enough = enough and held[side] >= study.VALIDATION_NEW
    end
  until enough or #list >= folds
  return list, held
end

-- The RMSE over all validation splits' ratings, from each split's RMSE
local function pooled(rmses, inners)
  local ss, n = 0, 0
  for k, r in ipairs(rmses) do
    local m = inners[k].test:nnz()
    ss, n = ss + r * r * m, n + m
  end
  return math.sqrt(ss / n)
end

local function grid_size(g)
  local n = 1
  for _, v in pairs(g) do n = n * #v end
  return n
end

-- Running -----------------------------------------------------------------

local function peak_mb()
  local f = io.open("/proc/self/status")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  local kb = text:match("VmHWM:%s*(%d+)")
  return kb and tonumber(kb) / 1024 or nil
end

local function clock() return simec.clock() end

local function fmt_time(s)
  if s < 60 then return ("%.0fs"):format(s) end
  return ("%dm%02ds"):format(s // 60, math.floor(s % 60))
end

-- models in an order where each comes after those it needs
-- (optional_after: those it uses when they run too)
local function ordered(ids)
  local out, seen, requested = {}, {}, {}
  for _, id in ipairs(ids) do requested[id] = true end
  local function add(id)
    if seen[id] then return end
    local m = M[id] or study.fail("unknown model %s (models: %s)", id, table.concat(study.model_names(), ", "))
    seen[id] = true
    for _, dep in ipairs(m.after or {}) do add(dep) end
    for _, dep in ipairs(m.optional_after or {}) do if requested[dep] then add(dep) end end
    out[#out + 1] = id
  end
  for _, id in ipairs(ids) do add(id) end
  return out
end

function study.model_names()
  local t = {}
  for k in pairs(M) do t[#t + 1] = k end
  table.sort(t)
  return t
end

-- The unit the models see ratings in: the power of two nearest a quarter
-- of the ratings' range, so 1 on MovieLens's scales (1-5, 0.5-5), where
-- dividing by it changes nothing, and 2 for 1-10, 32 for 0-100. The
-- grids' learning rates, regularisation and priors are made for the 1-5
-- scale; a power of two scales exactly.
function study.rating_unit(R)
  local v = R:values()
  local lo, hi = v:min(), v:max()
  v:close()
  local range = hi - lo
  if not (range > 0 and range < math.huge) then return 1 end
  return 2.0 ^ math.floor(math.log(range / 4, 2) + 0.5)
end

-- the rating unit of a data set: its given training file's, or its ratings'
-- (kept per matrix: the header line, the run and the JSON each ask, and
-- each answer copies the matrix's values)
local units = setmetatable({}, {__mode = "k"})
local function unit_of(ds)
  local R = ds.given and ds.given.train or ds.ratings
  units[R] = units[R] or study.rating_unit(R)
  return units[R]
end

-- Runs the study on ds: opts.models (ids), scenarios, seeds, grids ("default"
-- | "quick" | a grid set), tune_ratings (default study.TUNE_RATINGS),
-- progress (a function(line) or false; default: a line on stderr each, in
-- a notebook one line updated in place), on_scored (a function(run, split,
-- predictions at split.test, unit) called as each model is scored; the
-- models' values times unit are the data's). Returns the runs: one row per
-- seed, scenario and model.
function study.run(ds, opts)
  if type(ds) ~= "table" or not (ds.ratings or ds.given) or type(ds.items) ~= "table" or type(ds.users) ~= "table" then
    study.fail("study.run: expected a data set (study.load, data.movielens, data.synthetic), got %s",
               type(ds) == "table" and "a table without ratings, items and users" or type(ds))
  end
  if type(opts) ~= "table" or type(opts.models) ~= "table" or #opts.models == 0 then
    study.fail("study.run: opts.models must be a list of model ids (%s)", table.concat(study.model_names(), ", "))
  end
  local grid_set = type(opts.grids) == "table" and opts.grids or study.GRIDS[opts.grids or "default"] or
                   study.fail("unknown grid set %s (default or quick)", tostring(opts.grids))
  local ids = ordered(opts.models)
  local progress = opts.progress
  if progress == nil then progress = require("simec.notebook").progress() end
  local scenarios = opts.scenarios or (ds.given and {"T1"} or study.SCENARIOS)
  for _, list in ipairs{{"seed", opts.seeds or {}}, {"scenario", scenarios}} do
    local twice = repeated(list[2])
    if twice then study.fail("study.run: %s %s is given twice", list[1], tostring(twice)) end
  end
  local tune_max = opts.tune_ratings or study.TUNE_RATINGS
  if math.type(tune_max) ~= "integer" or tune_max < 0 then
    study.fail("tune_ratings must be a non-negative integer (0: the whole training side), got %s", tostring(tune_max))
  end
  local runs, t_start = {}, clock()
  local X = {items = ds.items.features, users = ds.users.features}
  -- the models see the ratings in study.rating_unit; errors are reported in
  -- the data's own
  local unit = unit_of(ds)
  local ratings, given = ds.ratings, ds.given
  if unit ~= 1 then
    ratings = ratings and ratings:scale(1 / unit)
    if given then
      given = setmetatable({}, getmetatable(ds.given))
      for k, v in pairs(ds.given) do given[k] = v end
      given.train, given.test = ds.given.train:scale(1 / unit), ds.given.test:scale(1 / unit)
    end
  end
  for _, seed in ipairs(opts.seeds or {study.SEED}) do
    for _, sc in ipairs(scenarios) do
      local s = given or split(ratings, sc, {seed = seed, order = ds.order}, "the split of the ratings")
      s.seed = seed
      local tune_from, tune_users, users_in = s.train, nil, s.train_users
      if tune_max > 0 and s.train:nnz() > tune_max then
        tune_from, tune_users = splits.sample_users(s.train, tune_max, seed)
        users_in = {}
        for k, j in ipairs(tune_users) do users_in[k] = s.train_users[j] end
        if progress then
          progress(("[seed %d %s] settings chosen on %d of the %d training users (%d of the %d training ratings)")
            :format(seed, sc, #tune_users, s.train:ncols(), tune_from:nnz(), s.train:nnz()))
        end
      end
      local inners, held = study.validation_splits(tune_from, sc, seed)
      local val_ratings = 0
      for _, inner in ipairs(inners) do val_ratings = val_ratings + inner.test:nnz() end
      if progress and #inners > 1 then
        local parts = {}
        for _, side in ipairs{"items", "users"} do
          if held[side] then parts[#parts + 1] = ("%d %s"):format(held[side], side) end
        end
        progress(("[seed %d %s] validation: %d folds of the training side, %s held out, %d ratings")
          :format(seed, sc, #inners, table.concat(parts, " and "), val_ratings))
      end
      local X_in = {items = X.items and X.items:select_rows(s.train_items),
                    users = X.users and X.users:select_rows(users_in)}
      local c = {sc = sc, seed = seed, s = s, inners = inners, X = X, chosen = {}, val = {}, pred = {}}
      for _, id in ipairs(ids) do
        local m, t = M[id], clock()
        local ok, why, structural = true, nil, nil
        if m.applies then ok, why, structural = m.applies(c) end
        local label = ("[seed %d %s] %s"):format(seed, sc, m.method(c))
        if not ok then
          runs[#runs + 1] = {seed = seed, scenario = sc, model = id, method = m.method(c), skipped = why,
                             structural = structural or nil}
          if progress and not structural then progress(("%s: skipped (%s)"):format(label, why)) end
        else
          local grid = study.grid_for(id, c, grid_set)
          local best, val_score, n, i = {}, nil, grid and grid_size(grid) or 1, 0
          local shown = t -- when a setting's line was last shown
          local function evaluate(p)
            i = i + 1
            local preds, rmses, curves, extra = {}, {}, {}, nil
            for k, inner in ipairs(inners) do
              local curve
              preds[k], extra, curve = m.fit(c, inner, X_in, p)
              rmses[k], curves[k] = metrics.rmse(preds[k], inner.test), curve
            end
            local r = pooled(rmses, inners)
            if #curves > 0 then -- the epoch that is best over every split
              local best_e, best_v
              for e = 1, #curves[1] do
                local at = {}
                for k = 1, #inners do at[k] = curves[k][e] end
                local v = pooled(at, inners)
                if not best_v or v < best_v then best_e, best_v = e, v end
              end
              r, extra = best_v, {epochs = best_e}
            end
            if not val_score or r < val_score then val_score, c.val[id] = r, preds end
            -- the first and last setting's lines, and one a second between
            -- them: a grid of quick settings (the blend's) would flood stderr
            if progress and n > 1 and (i == 1 or i == n or clock() - shown >= 1) then
              local el = clock() - t
              shown = clock()
              progress(("%s: setting %d of %d, validation RMSE %.4f (best %.4f), %s, ETA %s"):format(label, i, n,
                       r * unit, val_score * unit, fmt_time(el), fmt_time(el / i * (n - i))))
            end
            return r, extra
          end
          if grid then
            best = models.tune(grid, evaluate)
          else -- a model that fits its setting on validation (the blend) returns it as extras
            local _, extra = evaluate({})
            best = extra or {}
          end
          c.chosen[id] = best
          local pred = m.fit(c, s, X, best)
          c.pred[id] = pred
          local row = {seed = seed, scenario = sc, model = id, method = m.method(c), params = best,
                       val_rmse = val_score * unit, rmse = metrics.rmse(pred, s.test) * unit,
                       mae = metrics.mae(pred, s.test) * unit,
                       seconds = clock() - t, features = m.uses(c, best), grid = grid, peak_mb = peak_mb(),
                       tuned_on = tune_from:nnz(), train_ratings = s.train:nnz(),
                       tuned_users = tune_from:ncols(), train_users = s.train:ncols(),
                       validation_splits = #inners, validation_ratings = val_ratings,
                       given_split = given and true or nil}
          runs[#runs + 1] = row
          if opts.on_scored then opts.on_scored(row, s, pred, unit) end
          if progress then
            progress(("%s: validation %.4f, test RMSE %.4f (%s; %s in all)"):format(label, row.val_rmse, row.rmse,
                     fmt_time(row.seconds), fmt_time(clock() - t_start)))
          end
        end
      end
    end
  end
  return runs
end

-- Summaries ---------------------------------------------------------------

local mean_sd = metrics.mean_sd

-- One row per scenario and method, over seeds: mean and standard deviation
-- of RMSE and MAE, and the per-seed settings.
function study.summary(runs)
  local rows, index = {}, {}
  for _, r in ipairs(runs) do
    local key = r.scenario .. "\0" .. r.method
    local row = index[key]
    if not row then
      row = {scenario = r.scenario, method = r.method, model = r.model, runs = {}}
      index[key] = row
      rows[#rows + 1] = row
    end
    row.runs[#row.runs + 1] = r
  end
  for _, row in ipairs(rows) do
    local rm, ma, se, va, seeds = {}, {}, {}, {}, {}
    for _, r in ipairs(row.runs) do
      if r.skipped then row.skipped, row.structural = r.skipped, r.structural
      else
        rm[#rm + 1], ma[#ma + 1], se[#se + 1], va[#va + 1] = r.rmse, r.mae, r.seconds, r.val_rmse
        seeds[#seeds + 1] = r.seed
      end
    end
    if #rm > 0 then
      row.n, row.seeds = #rm, seeds
      row.rmse, row.rmse_sd = mean_sd(rm)
      row.mae, row.mae_sd = mean_sd(ma)
      row.seconds = mean_sd(se)
      row.val_rmse = mean_sd(va)
      row.features = row.runs[1].features
      row.skipped, row.structural = nil, nil
    end
  end
  return rows
end

-- Per scenario, the best row (lowest mean test RMSE) against the means
-- model and the SVD row: the mean paired difference over seeds and its
-- standard error.
local function baseline(row) return row.model == "mean" or row.model == "svd" end

function study.compare(runs, summary)
  local out = report.array()
  for _, sc in ipairs(study.SCENARIOS) do
    local best
    for _, row in ipairs(summary) do
      if row.scenario == sc and row.rmse and (not best or row.rmse < best.rmse) then best = row end
    end
    if best then
      -- on a given split every seed scores the same test ratings: the
      -- spread is the models' and the validation splits' randomness only
      local entry = {scenario = sc, best = best.method, best_is_baseline = baseline(best), against = report.array(),
                     given_split = best.runs[1].given_split}
      for _, other in ipairs(summary) do
        if other ~= best and other.scenario == sc and other.rmse and baseline(other) then
          local by_seed, d = {}, {}
          for _, r in ipairs(other.runs) do by_seed[r.seed] = r.rmse end
          for _, r in ipairs(best.runs) do
            if by_seed[r.seed] then d[#d + 1] = by_seed[r.seed] - r.rmse end
          end
          local m, sd = mean_sd(d)
          entry.against[#entry.against + 1] = {method = other.method, gain = m, se = #d > 1 and sd / math.sqrt(#d) or nil,
                                               n = #d}
        end
      end
      out[#out + 1] = entry
    end
  end
  return out
end

local function chosen_text(p)
  if not p then return "" end
  local keys = {}
  for k in pairs(p) do keys[#keys + 1] = k end
  table.sort(keys)
  local t = {}
  for _, k in ipairs(keys) do
    local v = p[k]
    if type(v) == "table" then -- a list of numbers: the blend's weights
      local parts = {}
      for j, x in ipairs(v) do parts[j] = ("%.3g"):format(x) end
      v = table.concat(parts, "/")
    end
    t[#t + 1] = ("%s %s"):format(k, tostring(v))
  end
  return table.concat(t, ", ")
end

-- The table: one seed shows the chosen settings, several mean +- sd.
function study.print(ds, runs, out)
  out = out or io.write
  local summary = study.summary(runs)
  local multi, width = false, 30
  for _, row in ipairs(summary) do
    if row.n and row.n > 1 then multi = true end
    width = math.max(width, #row.method)
  end
  local m = "%-" .. width .. "s"
  out(("%-5s " .. m .. " %-17s %-17s %9s %8s  %-22s %s\n"):format("task", "method", "RMSE", "MAE", "val RMSE",
      "seconds", "features", multi and "" or "chosen on validation"))
  for _, row in ipairs(summary) do
    if row.structural then -- a model that does not serve this task by design
    elseif row.skipped then
      out(("%-5s " .. m .. " %s\n"):format(row.scenario, row.method, "skipped: " .. row.skipped))
    else
      local rm = multi and ("%.4f ± %.4f"):format(row.rmse, row.rmse_sd) or ("%.4f"):format(row.rmse)
      local ma = multi and ("%.4f ± %.4f"):format(row.mae, row.mae_sd) or ("%.4f"):format(row.mae)
      out(("%-5s " .. m .. " %-17s %-17s %9.4f %8.2f  %-22s %s\n"):format(row.scenario, row.method, rm, ma,
          row.val_rmse, row.seconds, row.features, multi and "" or chosen_text(row.runs[1].params)))
    end
  end
  if multi then
    for _, e in ipairs(study.compare(runs, summary)) do
      if e.best_is_baseline then
        out(("%s: the best row is %s, a baseline: no other row beats it\n"):format(e.scenario, e.best))
      end
      for _, a in ipairs(e.against) do
        -- a standard error from two seeds rests on one difference of two, and one from a given split's seeds
        -- leaves out the test set's noise: neither weighs a gain
        local verdict = (not a.se or e.given_split) and "" or a.n < 3 and ": two seeds are too few to weigh the gain"
                        or a.gain > 2 * a.se and ": more than two standard errors" or ": within two standard errors"
        out(("%s: %s beats %s by %.4f RMSE (standard error %s over %d seeds%s)%s\n"):format(e.scenario, e.best,
            a.method, a.gain, a.se and ("%.4f"):format(a.se) or "-", a.n, e.given_split and " of one given split: " ..
            "the test ratings are the same at every seed, so it measures the models' randomness, not the test set's"
            or "", verdict))
      end
    end
  end
  return summary
end

-- The JSON of a run (DESIGN section 8, extended): results are the per
-- method summaries, runs the per-seed rows.
function study.json(path, ds, runs, meta)
  local summary = study.summary(runs)
  local results = {}
  for _, row in ipairs(summary) do
    if row.rmse then
      local params = row.n == 1 and row.runs[1].params or {per_seed = {}}
      if row.n > 1 then
        for _, r in ipairs(row.runs) do params.per_seed[#params.per_seed + 1] = r.params end
      end
      results[#results + 1] = {scenario = row.scenario, method = row.method, model = row.model, rmse = row.rmse,
                               mae = row.mae, rmse_sd = row.rmse_sd, mae_sd = row.mae_sd, val_rmse = row.val_rmse,
                               seconds = row.seconds, n_seeds = row.n, seeds = row.seeds, features = row.features,
                               params = params, peak_mb = row.runs[#row.runs].peak_mb}
    else
      results[#results + 1] = {scenario = row.scenario, method = row.method, model = row.model, skipped = row.skipped}
    end
  end
  local run_rows = {}
  for _, r in ipairs(runs) do
    run_rows[#run_rows + 1] = {seed = r.seed, scenario = r.scenario, method = r.method, model = r.model,
                               rmse = r.rmse, mae = r.mae, val_rmse = r.val_rmse, seconds = r.seconds,
                               params = r.params, grid = r.grid, features = r.features, skipped = r.skipped,
                               by_design = r.structural, tuned_on = r.tuned_on, train_ratings = r.train_ratings,
                               tuned_users = r.tuned_users, train_users = r.train_users,
                               validation_splits = r.validation_splits, validation_ratings = r.validation_ratings,
                               peak_mb = r.peak_mb}
  end
  local R = ds.ratings or (ds.given and ds.given.train)
  local fields = {
    seeds = meta.seeds, simec_version = simec.version, grids = meta.grid_name, models = meta.models,
    tune_ratings = meta.tune_ratings or study.TUNE_RATINGS,
    runs = run_rows, comparisons = study.compare(runs, summary), peak_mb = peak_mb(), seconds = meta.seconds,
    data = {name = ds.name, source = ds.source, items = R and R:nrows(), users = R and R:ncols(),
            ratings = R and R:nnz(), given_split = ds.given_name, rating_unit = R and unit_of(ds),
            test_ratings = ds.given and ds.given.test:nnz(), cold_test_ratings = ds.given and ds.given.cold_ratings,
            item_features = report.array(ds.items.sets), user_features = report.array(ds.users.sets)},
    protocol = "settings chosen on validation ratings carved from the training side by the scenario's own split " ..
               "(seeded as the outer split; in the cold scenarios the new sides cut into " .. study.VALIDATION_SPLITS ..
               " folds, taken in turn until each new side has held out " .. study.VALIDATION_NEW ..
               " items or users, scored over all their ratings), from whole training users drawn at random until they " ..
               "hold tune_ratings ratings when the side has more (0: never sampled); the final fit on the whole " ..
               "training side; test ratings scored once, for the chosen setting",
  }
  report.json(path, ds.name, results, fields)
end

-- The command line ---------------------------------------------------------

local function list_of(text, what, noun, allowed)
  local out = {}
  for item in text:gmatch("[^,]+") do
    if allowed and not allowed[item] then
      local names = {}
      for k in pairs(allowed) do names[#names + 1] = k end
      table.sort(names)
      study.fail("--%s: unknown %s %s (choose from %s)", what, noun, item, table.concat(names, ", "))
    end
    out[#out + 1] = item
  end
  if #out == 0 then study.fail("--%s needs a comma-separated list", what) end
  local twice = repeated(out)
  if twice then study.fail("--%s: %s %s is given twice", what, noun, twice) end
  return out
end

-- "1-5", "13", "1,4,9" -> a list of seeds
function study.parse_seeds(text)
  local out = {}
  for part in text:gmatch("[^,]+") do
    local a, b = part:match("^(%d+)%-(%d+)$")
    if a then
      a, b = tonumber(a), tonumber(b)
      if b < a or b - a > 1000 then study.fail("--seeds: bad range %s", part) end
      for k = a, b do out[#out + 1] = k end
    elseif part:match("^%d+$") then
      out[#out + 1] = tonumber(part)
    else
      study.fail("--seeds: expected numbers and ranges like 1-5 or 1,3,13; got %s", part)
    end
  end
  if #out == 0 then study.fail("--seeds: no seeds in %s", text) end
  local twice = repeated(out)
  if twice then study.fail("--seeds: seed %d is given twice (in %s)", twice, text) end
  return out
end

-- what --item-features and --user-features take, and how a file of your
-- own is read, for every example's --help
study.OPTION_HELP = {
  item_features = "Item features: 'id<TAB>token' pairs or an id column and named value columns. Repeatable.",
  user_features = "User features, as --item-features. Repeatable.",
  delim = "Its field delimiter (default: detected; \\t or tab for a tab, space for any run of blanks).",
  header = "Its first line is a header; names such as userId, item_id, ISBN, rating or score there say which " ..
           "field is which, unless --columns does.",
  columns_by_header = "Without it, a --header line's names choose them.",
  duplicates = "A user's item on two lines: error (default), mean (their mean rating) or sum.",
}
study.DUPLICATES = {"error", "mean", "sum"}

-- The parser every study example shares (argparse: Debian's lua-argparse).
function study.parser(spec)
  local argparse, cli = require "argparse", require "simec.cli"
  local p = argparse(spec.prog, spec.about)
  p:argument("data", "A MovieLens folder or release name (ml-100k, ml-1m, ml-10m, ml-20m, ml-25m, ml-latest, " ..
             "ml-latest-small): the path given, else data/NAME, else ../shared/data/NAME."):args("?")
  p:flag("--synthetic", "Run on the built-in synthetic data (ml-100k-sized, with item and user features).")
  p:option("--ratings", "A delimited ratings file of your own (user, item, rating per line).")
  p:option("--delim", study.OPTION_HELP.delim)
  p:flag("--header", study.OPTION_HELP.header)
  p:option("--columns", "USER,ITEM,RATING field numbers (default 1,2,3). " .. study.OPTION_HELP.columns_by_header)
  p:option("--duplicates", study.OPTION_HELP.duplicates):choices(study.DUPLICATES)
  p:option("--train", "A given training file (e.g. u1.base); with --test runs T1 on that split.")
  p:option("--test", "The given test file (e.g. u1.test).")
  p:option("--item-features", study.OPTION_HELP.item_features):count("*")
  p:option("--user-features", study.OPTION_HELP.user_features):count("*")
  p:option("--no-features", "Ignore the features of a side: items, users or both.")
  p:option("--tags-min", "Tags used on at least this many items become item features.", "5")
   :convert(cli.integer("--tags-min", 1))
  p:option("--genome-min", "Tag-genome relevance kept as an item feature from this score (20m, 25m, latest).",
           "0.5"):convert(cli.number("--genome-min"))
  p:option("--scenarios", "Comma-separated tasks: " .. table.concat(spec.scenarios or study.SCENARIOS, ",") .. ".")
  p:option("--models", "Comma-separated models (default: " .. table.concat(spec.models, ",") .. ").")
  p:option("--seeds", "Split seeds, e.g. 1-5 or 13 (default 13): mean ± sd per row over them.", "13")
  p:flag("--quick", "The small declared grid (a classroom run).")
  p:option("--tune-ratings", "Choose settings on random training users holding this many ratings when there " ..
           "are more (0: all of them).", tostring(study.TUNE_RATINGS))
   :convert(cli.integer("--tune-ratings", 0, "a non-negative integer (0: the whole training side)"))
  p:option("--json", "Write the results as JSON to this file.")
  p:option("--predictions", "Write every scored test rating to this CSV file: seed, scenario, model, method, user, " ..
           "item, rating, prediction (for paired tests between models).")
  p:flag("--quiet", "No progress on stderr.")
  return p
end

-- One source of data at most (DATA given or not, --synthetic, --ratings),
-- and the options that describe a file only with a file to read (files:
-- what reads them, for the message)
function study.check_source(args, data_given, files)
  local n = (args.synthetic and 1 or 0) + (args.ratings and 1 or 0) + (data_given and 1 or 0)
  if n > 1 then study.fail("give one of DATA, --synthetic and --ratings") end
  if (args.delim or args.header or args.columns or args.duplicates) and not (args.ratings or args.train) then
    study.fail("--delim, --header, --columns and --duplicates describe %s", files)
  end
end

local function check_args(args, spec)
  study.check_source(args, args.data, "--ratings or --train/--test files")
  local drop = args.no_features
  for _, side in ipairs{"item", "user"} do
    if (drop == side .. "s" or drop == "both") and #(args[side .. "_features"] or {}) > 0 then
      study.fail("--no-features %s contradicts --%s-features", drop, side)
    end
  end
end

-- The columns of --predictions, and the lines of one scored run: every
-- test rating of split s with the model's prediction, in the data's units
-- (unit: study.run's), ids as the data writes them
study.PREDICTION_COLUMNS = "seed,scenario,model,method,user,item,rating,prediction"
local function csv_field(v)
  v = tostring(v)
  return v:find('[,"\r\n]') and '"' .. v:gsub('"', '""') .. '"' or v
end
function study.write_predictions(w, run, s, pred, unit)
  local items = s.test:row_labels() or s.item_ids
  local users = s.test:col_labels() or s.user_ids
  local pv <close> = sparse.is(pred) and pred:values() or pred:reshape(pred:nrows() * pred:ncols(), 1)
  local head = ("%d,%s,%s,%s,"):format(run.seed, run.scenario, run.model, csv_field(run.method))
  local lines, k = {}, 0
  for i, j, v in s.test:triplets() do
    k = k + 1
    lines[#lines + 1] = ("%s%s,%s,%.10g,%.10g\n"):format(head, csv_field(users[j]), csv_field(items[i]), v * unit,
                                                      pv:get(k, 1) * unit)
    if #lines == 4096 then
      w:write(table.concat(lines))
      lines = {}
    end
  end
  w:write(table.concat(lines))
end

-- Parses arg, loads the data, runs, prints the table, writes the JSON.
-- Usage errors print one line and exit 2; a run returns its summary.
function study.main(spec, argv)
  argv = argv or arg
  local ok, res = xpcall(function()
    local parser = study.parser(spec)
    local pok, args = parser:pparse(argv)
    if not pok then study.fail("%s (see --help)", args) end
    check_args(args, spec)
    local unwritable = report.unwritable(args) -- --json, checked before the run
    if unwritable then study.fail("%s", unwritable) end
    local allowed = {}
    for _, id in ipairs(study.model_names()) do allowed[id] = true end
    local scen_allowed = {}
    for _, sc in ipairs(spec.scenarios or study.SCENARIOS) do scen_allowed[sc] = true end
    local model_ids = args.models and list_of(args.models, "models", "model", allowed) or spec.models
    local scenarios = args.scenarios and list_of(args.scenarios, "scenarios", "scenario", scen_allowed) or spec.scenarios
    if (args.train or args.test) and scenarios then
      for _, sc in ipairs(scenarios) do
        if sc ~= "T1" then study.fail("a given split (--train/--test) runs T1 only, not %s", sc) end
      end
    end
    local seeds = study.parse_seeds(args.seeds)
    local t0 = clock()
    local ds = study.load(args)
    local R = ds.ratings or ds.given.train
    do -- interactions, not ratings: every model would score a perfect 0
      local v <close> = R:values()
      local lo, hi = R:nnz() > 0 and v:min(), R:nnz() > 0 and v:max()
      if lo and lo == hi then
        study.fail("every rating in %s is %g: there is nothing to predict; examples/implicit.lua ranks items for " ..
                   "interactions without ratings (--ratings FILE --columns 1,2)", ds.name, lo)
      end
    end
    local given = ""
    if ds.given then
      local g = ds.given
      local new = {}
      for _, side in ipairs{{g.test_items, "item"}, {g.test_users, "user"}} do
        if #side[1] > 0 then new[#new + 1] = ("%d %s%s"):format(#side[1], side[2], #side[1] == 1 and "" or "s") end
      end
      given = (" (given split %s: %d test ratings%s)"):format(ds.given_name, g.test:nnz(), g.cold_ratings > 0 and
        (", %d of them of %s the training set lacks, predicted as new ones"):format(g.cold_ratings,
          table.concat(new, " and ")) or "")
      -- a test file that writes the training set's ids otherwise would
      -- turn known users into new ones without a word
      for _, side in ipairs{{g.test_items, g.train_items, g.item_ids, "item"},
                            {g.test_users, g.train_users, g.user_ids, "user"}} do
        local function labels(list)
          local t = {}
          for k, i in ipairs(list) do t[k] = side[3][i] end
          return t
        end
        local hint = data.near_hint(labels(side[1]), labels(side[2]), ("the training set's %s"):format(side[4]))
        if hint then
          io.stderr:write(("simec: warning: %s: %s; that %s is predicted as a new one\n"):format(ds.given_name,
            hint, side[4]))
        end
      end
    end
    print(("%s: %d items x %d users, %d ratings%s; item features: %s; user features: %s (%.1fs to load)"):format(
      ds.name, R:nrows(), R:ncols(), R:nnz(), given,
      ds.items.sets and table.concat(ds.items.sets, ", ") or "none",
      ds.users.sets and table.concat(ds.users.sets, ", ") or "none", clock() - t0))
    if ds.columns then print(ds.columns) end
    local dup = ds.items.duplicate_titles
    if dup and #dup > 0 then
      print(("%d titles are listed under more than one item id (e.g. %s: %s); they stay separate items")
        :format(#dup, dup[1].title, table.concat(dup[1].ids, ", ")))
    end
    local unit = unit_of(ds)
    local seeds_text = "split seeds " .. args.seeds
    if ds.given then
      seeds_text = #seeds == 1 and ("the given split, seed %s (of the validation split and the models' random " ..
                                    "starts)"):format(args.seeds)
                   or ("the given split, seeds %s (they vary the validation split and the models' random starts, " ..
                       "not the test ratings)"):format(args.seeds)
    end
    print(("%s, %s grid, validation from the training side%s"):format(seeds_text,
          args.quick and "quick" or "default",
          unit ~= 1 and ("; the models see the ratings divided by %g (errors in the data's units)"):format(unit) or ""))
    local opts = {models = model_ids, scenarios = scenarios, seeds = seeds, grids = args.quick and "quick" or "default",
                  tune_ratings = args.tune_ratings}
    if args.quiet then opts.progress = false end
    -- written as each model is scored, in place only when the run ends
    local pred_file <close> = args.predictions and simec.atomic_file(args.predictions) or nil
    if pred_file then
      pred_file:write(study.PREDICTION_COLUMNS, "\n")
      opts.on_scored = function(...) study.write_predictions(pred_file, ...) end
    end
    local runs = study.run(ds, opts)
    local summary = study.print(ds, runs)
    local seconds = clock() - t0
    print(("total %s (tuning included), seeds %s, %s grid"):format(fmt_time(seconds), args.seeds,
          args.quick and "quick" or "default"))
    local sampled
    for _, r in ipairs(runs) do
      if r.tuned_on and r.tuned_on < r.train_ratings then sampled = r end
    end
    if sampled then
      print(("settings chosen on %d of %d training users (%d ratings) where a training side has more (--tune-ratings)")
        :format(sampled.tuned_users, sampled.train_users, sampled.tuned_on))
    end
    local seen, order = {}, {}
    for _, r in ipairs(runs) do
      if (r.validation_splits or 1) > 1 and not seen[r.scenario] then
        seen[r.scenario] = true
        order[#order + 1] = ("%s %d"):format(r.scenario, r.validation_splits)
      end
    end
    if #order > 0 then
      print(("validation folds (until %d new items or users are held out): %s"):format(study.VALIDATION_NEW,
            table.concat(order, ", ")))
    end
    if args.json then
      local wok, werr = pcall(study.json, args.json, ds, runs, {seeds = seeds,
                              grid_name = args.quick and "quick" or "default", models = model_ids,
                              seconds = seconds, tune_ratings = args.tune_ratings})
      if not wok then study.fail("%s", tostring(werr)) end
      print("wrote " .. args.json)
    end
    if pred_file then
      pred_file:commit()
      print("wrote " .. args.predictions)
    end
    return summary
  end, function(e)
    if getmetatable(e) == USAGE or simec.interrupted(e) then return e end -- a Ctrl-C is no fault to trace
    return debug.traceback(tostring(e), 2)
  end)
  if ok then return res end
  if getmetatable(res) == USAGE then
    io.stderr:write(spec.prog, ": ", res.msg, "\n")
    os.exit(2)
  end
  error(res, 0)
end

require("simec.help").add{
  "study", "The study's runner: the four tasks on any ratings data, every model's grid declared before the run, " ..
  "settings chosen on validation ratings from the training side, test scored once; tables and JSON.",
  "study.main{prog, about, models = {...} [, scenarios]}", "An example's whole command line: parses arg " ..
  "(--help lists the options), loads the data, runs, prints the table, writes --json and --predictions.",
  "study.load(args)", "The data set a command line names: MovieLens release, --ratings, --train/--test, " ..
  "--synthetic, with feature files.",
  "study.run(ds, {models, scenarios, seeds, grids = \"default\" | \"quick\", tune_ratings, progress, on_scored})",
  "The runs: " ..
  "one row per seed, scenario and model with test and validation RMSE, MAE, chosen settings, seconds, features " ..
  "used, and the training ratings and users the settings were chosen on (whole users holding tune_ratings, " ..
  "default study.TUNE_RATINGS, when the training side has more; 0: never sampled), and the validation splits " ..
  "they were chosen on. The models see the ratings divided by study.rating_unit; errors are in the data's units. " ..
  "on_scored(run, split, predictions, unit), when given, sees each model's test predictions as it is scored.",
  "study.write_predictions(w, run, split, predictions, unit)", "Writes a scored run's test ratings and " ..
  "predictions (data's units) to w (simec.atomic_file or an io file) as CSV lines under study.PREDICTION_COLUMNS " ..
  "(seed, scenario, model, method, user, item, rating, prediction): --predictions FILE.",
  "study.rating_unit(R)", "The unit the study's models see ratings in: the power of two nearest a quarter of " ..
  "their range (1 for 1-5 and 0.5-5, 2 for 1-10, 16 or 32 for 0-100), so that grids made for 1-5 fit any scale.",
  "study.validation_splits(R, sc, seed)", "The validation splits of scenario sc carved from ratings R: in the cold " ..
  "scenarios the folds of each new side into study.VALIDATION_SPLITS, in turn until each new side has held out " ..
  "study.VALIDATION_NEW items or users (T1: one split); also the held-out counts.",
  "study.summary(runs)", "Mean and standard deviation per scenario and method over seeds.",
  "study.compare(runs, summary)", "Per scenario the best row against the means and SVD rows (the others, when it " ..
  "is one of them): paired gain and its standard error over seeds; given_split when every seed scored one given " ..
  "split's test ratings (the error is then the models' randomness only).",
  "study.add_feature_files(ds, args)", "Adds the feature files args.item_features and args.user_features (lists " ..
  "of paths: pairs or columns) to the data set's items and users.",
  "study.ratings_dataset(args [, pairs])", "The data set of the file args.ratings, read as args.delim, " ..
  "args.header, args.columns and args.duplicates say; with pairs, USER,ITEM columns (every value 1) are allowed. " ..
  "Errors are usage errors naming the file and line.",
  "study.check_source(args, data_given, files)", "Usage errors for more than one of DATA, --synthetic and " ..
  "--ratings, and for --delim, --header, --columns or --duplicates without a file to read (files: what reads them).",
  "study.find_data(name [, instead])", "data.find's folder for a data set, or a usage error naming the places " ..
  "looked and what to do: the get-data.sh command for a known name, else instead (default: the study's MovieLens " ..
  "folder or files).",
  "study.grid_for(id, c, grid_set)", "The grid a model runs with in a scenario (values that cannot matter there " ..
  "dropped).",
  "study.parse_seeds(text)", "\"1-5\", \"13\" or \"1,4,9\" as a list of seeds.",
  "study.parser(spec)", "The argparse parser every study example shares.",
  "study.print(ds, runs [, out])", "The table: chosen settings for one seed, mean ± sd and paired comparisons " ..
  "for several; returns the summary.",
  "study.json(path, ds, runs, meta)", "The run as JSON (DESIGN section 8, extended: results, runs with grids, " ..
  "data, comparisons).",
  "study.fail(fmt, ...)", "Raises a usage error: study.main prints it as one line and exits 2.",
  "study.model_names()", "The ids of the models the runner knows, sorted.",
  "study.GRIDS", "The declared grids: default and quick.",
  "study.TUNE_RATINGS", "Training sides with more ratings are tuned on random whole users holding this many " ..
  "(the final fit uses all).",
  "study.VALIDATION_NEW", "Items or users each new side holds out for validation in all (the cold scenarios take " ..
  "their folds in turn until then, at most study.VALIDATION_SPLITS).",
  "study.OPTION_HELP", "The --help text of the options every example shares: --item-features, --user-features, " ..
  "and how a file of your own is read (--delim, --header, --duplicates).",
  "study.DUPLICATES", "The choices of --duplicates: error, mean, sum.",
  "study.MODELS", "The models the runner knows, by id.",
}

return study

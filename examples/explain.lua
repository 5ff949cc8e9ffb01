-- Why would a user like a movie? A linear SimEc learns the residuals of the
-- means model from the movies' features (all ratings, masked loss); LRP
-- (epsilon rule, eps = 0: for a linear SimEc the exact decomposition) splits
-- one user's predicted residual for one movie into its features. Picks a
-- movie with several genres and two users who rated it highly, prints both
-- explanations and writes a bar chart of the first.
--   simec examples/explain.lua [DATA_DIR | --synthetic | --ratings FILE --item-features F] [--svg FILE]
--                              [--epochs N]
local cli, models = require "simec.cli", require "simec.models"
local opts = cli.parse(arg, cli.ratings_options({synthetic = "flag",
                             svg = {"string", "The bar chart's SVG file (default explain.svg)."},
                             epochs = "integer", item_features = "list"}, "Ratings of your own (user, item, rating " ..
                             "per line; give --item-features too).", "USER,ITEM,RATING field numbers (default 1,2,3)."),
                       "explain")
local ds = cli.dataset(opts, {items = 1682, users = 943, ratings = 100000, item_features = 40, seed = 13})
local R, X = ds.ratings, ds.items.features
if not X then cli.fail("explain", "the data has no item features: give --item-features FILE") end
local names = {}
for k = 1, X:ncols() do names[k] = X:col_label(k) end

local mm = models.means(R)
local m = SimEc.new{input = X:ncols(), embedding = 20, output = R:ncols(), missing = "mask", l2_reg_emb = 1e-3,
                    optimizer = {"adamax", lr = 0.01}, seed = 28}
m:fit(X, mm:residuals(R), {epochs = opts.epochs or 10, verbose = false, seed = 13})

-- the most rated movie with at least three features (fewer when no item
-- has three), and the two users with the most ratings among those who gave
-- it four fifths of the top rating or more (4 of 5 on MovieLens)
local counts, movie, best, need = R:row_counts(), nil, -1, 0
for i = 1, R:nrows() do need = math.max(need, math.min(3, X:row(i):nrows())) end
for i = 1, R:nrows() do
  if X:row(i):nrows() >= need and counts:get(i) > best then movie, best = i, counts:get(i) end
end
local ucounts, fans, top_rating = R:col_counts(), {}, R:values():max()
local cols = R:row(movie) -- the column indices of the movie's ratings
for k = 1, cols:nrows() do
  local u = math.tointeger(cols:get(k))
  if R:get(movie, u) >= 0.8 * top_rating then fans[#fans + 1] = u end
end
table.sort(fans, function(a, b) return ucounts:get(1, a) > ucounts:get(1, b) or
                                       (ucounts:get(1, a) == ucounts:get(1, b) and a < b) end)
local title = ds.items.titles and ds.items.titles[movie] or ("item " .. R:row_label(movie))
print(("%s (%d ratings, features: %s)"):format(title, best, table.concat((function()
  local t, c = {}, X:row(movie)
  for k = 1, c:nrows() do t[#t + 1] = names[math.tointeger(c:get(k))] end
  return t
end)(), ", ")))

local x = X:select_rows({movie})
for n = 1, math.min(2, #fans) do
  local u = fans[n]
  local rel = lrp.explain(m, x, {output = u, rule = "epsilon", eps = 0})
  local resid = m:predict_at(x, sparse.from_triplets({1}, {u}, 1, {rows = 1, cols = R:ncols()})):values():get(1)
  local base = mm:predict(sparse.from_triplets({movie}, {u}, 1, {rows = R:nrows(), cols = R:ncols()})):values():get(1)
  print(("\nuser %s (rated it %g; %d ratings): predicted %.3f = means %.3f + SimEc %+.3f, whose share per feature:")
    :format(R:col_label(u), R:get(movie, u), ucounts:get(1, u), base + resid, base, resid))
  local top = lrp.top(rel, names, 10)
  for _, t in ipairs(top) do
    if t[2] ~= 0 then print(("  %-28s %+.4f"):format(t[1], t[2])) end
  end
  if n == 1 then
    local path = opts.svg or "explain.svg"
    local v, lab = {}, {}
    for _, t in ipairs(top) do if t[2] ~= 0 then v[#v + 1], lab[#lab + 1] = t[2], t[1] end end
    plot.bar(v, lab, {title = ("%s: user %s"):format(title, R:col_label(u)), xlabel = "relevance", file = path})
    print("wrote " .. path)
  end
end

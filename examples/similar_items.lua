-- Similar movies from content: the rating-based similarity of two movies
-- (cosine of their rows of rating residuals) is what we would like to know;
-- content-based similarity (cosine of their feature vectors) is what a new
-- movie offers. A SimEc maps the features to an embedding whose product
-- with its last layer approximates the rating-based similarities, so a
-- movie's similarities follow from its features alone. Prints how well
-- each agrees with the rating-based similarities (Pearson and Spearman over
-- the pairs), writes scatter plots and lists the top-10 similar movies of
-- three well-known titles.
-- The similarities are dense items x items matrices, several of them:
-- data with more items than --max-items (default 2000, 32 MB a
-- matrix) keeps its most rated ones, and says so.
--   simec examples/similar_items.lua [DATA_DIR | --synthetic | --ratings FILE --item-features F] [--epochs N]
--                                    [--max-items N] [--svg-prefix P]
local cli, models, metrics = require "simec.cli", require "simec.models", require "simec.metrics"
local MAX_ITEMS = 2000
local opts = cli.parse(arg, cli.ratings_options({synthetic = "flag", epochs = "integer",
                             max_items = {"integer", ("Keep the N most rated items when there are more (default %d; " ..
                                          "each similarity matrix is N x N)."):format(MAX_ITEMS), 2},
                             svg_prefix = {"string", "Prefix of the SVG scatter plots written (default similar)."},
                             item_features = "list"}, "Ratings of your own (user, item, rating per line; give " ..
                             "--item-features too).", "USER,ITEM,RATING field numbers (default 1,2,3)."),
                       "similar_items")
local ds = cli.dataset(opts, {items = 1682, users = 943, ratings = 100000, item_features = 40, seed = 13})
local R, X = ds.ratings, ds.items.features
if not X then cli.fail("similar_items", "the data has no item features: give --item-features FILE") end
local prefix = opts.svg_prefix or "similar"

-- R's items by their number of ratings, most first (ties by position)
local function most_rated(M)
  local counts, order = M:row_counts(), {}
  for i = 1, M:nrows() do order[i] = i end
  table.sort(order, function(a, b)
    return counts:get(a) > counts:get(b) or (counts:get(a) == counts:get(b) and a < b)
  end)
  return order
end
local by_count, titles = most_rated(R), ds.items.titles or {}
local max_items = opts.max_items or MAX_ITEMS
if R:nrows() > max_items then
  local keep = {table.unpack(by_count, 1, max_items)}
  table.sort(keep)
  print(("%s: %d items; the %d most rated are kept (--max-items; each similarity matrix is N x N)")
    :format(ds.name, R:nrows(), max_items))
  local kept_titles = {}
  for k, i in ipairs(keep) do kept_titles[k] = titles[i] end
  R, X, titles = R:select_rows(keep), X:select_rows(keep), kept_titles
  by_count = most_rated(R)
end

-- cosine similarities of the rows of a sparse matrix, from the Gram matrix
-- of its transpose (never a dense copy of the rows: items x users can be
-- far larger than items x items)
local function cosine_rows(M)
  local G = M:t():gram()
  local d = matrix.zeros(G:nrows(), 1)
  for i = 1, G:nrows() do d:set(i, 1, math.max(math.sqrt(G:get(i, i)), 1e-12)) end
  return G:div(d):div(d:t())
end
local t0 = simec.clock()
local S_rating = cosine_rows(models.means(R):residuals(R))
local S_content = cosine_rows(X)

-- s_ll_reg > 0 also pulls W_ll^T W_ll towards the similarities, so that
-- the embeddings' dot products approximate them too (the SimEc paper's
-- remedy for embeddings of new items)
local function simec_model(s_ll_reg)
  local m = SimEc.new{input = X:ncols(), embedding = 50, output = R:nrows(), missing = "zero", l2_reg_emb = 1e-6,
                      s_ll_reg = s_ll_reg, S_ll = s_ll_reg > 0 and S_rating or nil,
                      optimizer = {"adam", lr = 0.002}, seed = 28}
  m:fit(X, S_rating, {epochs = opts.epochs or 30, batch_size = 32, verbose = false, seed = 13})
  return m
end
local m, m_sll = simec_model(0), simec_model(100)
local S_simec = m:predict(X)
local function embedding_dots(model) local Y = model:transform(X); return Y * Y:t() end
local function last_layer_dots(model) local V = model:layers()[2].W; return V:t() * V end
print(("%s: %d items, %d features; similarities and SimEcs in %.1fs"):format(ds.name, R:nrows(), X:ncols(),
                                                                           simec.clock() - t0))

local ur = metrics.upper(S_rating)
print(("%-44s %8s %8s"):format("agreement with rating-based", "pearson", "spearman"))
for _, c in ipairs{{"content-based (feature cosine)", S_content}, {"SimEc from features: predictions", S_simec},
                   {"  its embeddings' dot products", embedding_dots(m)},
                   {"SimEc with s_ll_reg = 100: predictions", m_sll:predict(X)},
                   {"  its embeddings' dot products", embedding_dots(m_sll)},
                   {"  its last layer's W_ll^T W_ll", last_layer_dots(m_sll)}} do
  local u = metrics.upper(c[2])
  print(("%-44s %8.3f %8.3f"):format(c[1], metrics.pearson(u, ur), metrics.spearman(u, ur)))
end

-- scatter plots of 5000 random pairs
local g, n = rng.new(13), R:nrows()
local xr, xc, xs = {}, {}, {}
for k = 1, 5000 do
  local i, j = g:integers(1, n + 1), g:integers(1, n + 1)
  xr[k], xc[k], xs[k] = S_rating:get(i, j), S_content:get(i, j), S_simec:get(i, j)
end
plot.scatter(xc, xr, {title = "content vs rating similarity", xlabel = "content-based", ylabel = "rating-based",
                      file = prefix .. "_content.svg"})
plot.scatter(xs, xr, {title = "SimEc vs rating similarity", xlabel = "SimEc (from features)", ylabel = "rating-based",
                      file = prefix .. "_simec.svg"})
print(("wrote %s_content.svg, %s_simec.svg"):format(prefix, prefix))

local function title(i) return titles[i] or ("item " .. R:row_label(i)) end
-- three well-known titles; on data without them, the most rated items
for k, want in ipairs{"Star Wars (1977)", "Toy Story (1995)", "Fargo (1996)"} do
  local q
  for i = 1, n do if titles[i] == want then q = i; break end end
  q = q or by_count[math.min(k, n)]
  local top = math.min(11, n) -- the query and ten others, where there are so many
  local idx = S_simec:select_rows({q}):topk(top)
  local list = {}
  for k = 1, top do
    local j = math.tointeger(idx:get(1, k))
    if j ~= q and #list < 10 then list[#list + 1] = title(j) end
  end
  print(("\nmost similar to %s (SimEc, from features):\n  %s"):format(title(q), table.concat(list, "\n  ")))
end

-- Truncated SVD of residuals, and SVD + regression from features to its
-- factors for new items and users.
local simec = require "simec"
local rec = require "simec.rec"
local svd = simec.svd
local models = require "simec.models"
local common = require "simec.models.common"
local check_sparse, sides, feature_sides = common.check_sparse, common.sides, common.feature_sides

-- Truncated SVD of residuals: predictions U S Vt at given positions.
local SVD = {}
SVD.__index = SVD

function models.svd(residuals, k, opts)
  check_sparse(residuals, "residuals")
  local U, s, Vt = svd.truncated(residuals, k, opts)
  return setmetatable({U = U, s = s, Vt = Vt, k = k, US = U:mul(s:t())}, SVD)
end

-- (U S Vt) at the positions of pattern (full space) through the maps
function SVD:predict(pattern, row_map, col_map)
  return rec.sample(self.US, self.Vt, pattern, row_map or models.identity(pattern:nrows()),
                    col_map or models.identity(pattern:ncols()))
end


-- SVD + regression (the study's "SVD+reg"): ridge from feature vectors to
-- the SVD factors, so every item (and, with user features, every user)
-- gets its factors from its features.
--   r = models.svd_regression(sv, {items = Xi_train, users = Xu_train, alpha = 250})
-- alpha is required: the study's 250 lives in simec.study (study.RIDGE_ALPHA).
--   p = r:predict(test, s.row_map, s.col_map, {items = Xi_full, users = Xu_full})
local SVDReg = {}
SVDReg.__index = SVDReg

function models.svd_regression(sv, opts)
  opts = opts or {}
  if getmetatable(sv) ~= SVD then error("models.svd_regression: expects a models.svd model", 2) end
  if not opts.items and not opts.users then error("models.svd_regression: give items and/or users features", 2) end
  if type(opts.alpha) ~= "number" or not (opts.alpha >= 0) then
    error(("models.svd_regression: alpha must be a non-negative number (the study's is 250), got %s"):format(
      tostring(opts.alpha)), 2)
  end
  local r = setmetatable({svd = sv, alpha = opts.alpha}, SVDReg)
  if opts.items then r.items = models.ridge(opts.items, sv.U, r.alpha, opts) end
  if opts.users then r.users = models.ridge(opts.users, sv.Vt:t(), r.alpha, opts) end
  return r
end

function SVDReg:predict(pattern, row_map, col_map, X)
  X = X or {}
  local sv = self.svd
  local left, right, rmap, cmap = sv.US, sv.Vt, row_map, col_map
  if self.items then
    if not X.items then error("svd_regression:predict: needs the item features of the full space", 2) end
    left = self.items:predict(X.items):mul(sv.s:t())
    rmap = models.identity(pattern:nrows())
  end
  if self.users then
    if not X.users then error("svd_regression:predict: needs the user features of the full space", 2) end
    right = self.users:predict(X.users):t()
    cmap = models.identity(pattern:ncols())
  end
  return rec.sample(left, right, pattern, rmap or models.identity(pattern:nrows()),
                    cmap or models.identity(pattern:ncols()))
end


SVD.__name = "SVD model"
function SVD:__tostring()
  return ("SVD model: rank %d of %s, singular values %.4g .. %.4g"):format(self.k,
    sides(self.U:nrows(), self.Vt:ncols()), self.s:max(), self.s:min())
end
SVDReg.__name = "SVD + regression model"
function SVDReg:__tostring()
  local from = feature_sides(self)
  return ("SVD + regression model: rank %d, factors of new %s by ridge (alpha %g)"):format(self.svd.k,
    table.concat(from, " and "), self.alpha)
end

require("simec.help").add{
  "models.svd(residuals, k [, opts])", "A truncated SVD of the residuals (svd.truncated options). An SVD object.",
  "models.svd_regression(sv, {items = X, users = X, alpha = 250})", "Ridge from item (user) features to the SVD's " ..
  "factors, so new items (users) get factors from their features (alpha required). An SVDReg object.",
  "SVD:predict(pattern, row_map, col_map)", "U S Vt at the stored positions of pattern only.",
  "SVDReg:predict(pattern, row_map, col_map [, {items = X, users = X}])", "U S Vt with the factors of every item " ..
  "(user) predicted from its features.",
}

return require("simec.help").classes{SVD = SVD, SVDReg = SVDReg}

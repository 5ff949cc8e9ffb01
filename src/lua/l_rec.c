/* simec.rec (recommender primitives over every rating) and the "svd" module. */
#include <stdio.h>
#include <string.h>
#include "alloc.h"
#include "bfm.h"
#include "mf.h"
#include "bind.h"
#include "ials.h"
#include "rec.h"
#include "relations.h"
#include "ridge.h"

/* A map argument: a list or matrix of n entries, each a 1-based target
 * index in 1..limit or 0 (none); returned 0-based with -1 for none, in
 * GC-owned memory. nil gives NULL (identity). */
static int64_t *checkmap(lua_State *L, int arg, size_t n, int64_t limit, const char *what)
{
    bind_vector v;
    int64_t *out;
    size_t i;
    if (lua_isnoneornil(L, arg))
        return NULL;
    bind_checkvector(L, arg, &v, "rec", what);
    if (v.n != n)
        luaL_error(L, "%s has %I entries, expected %I", what, (LUAI_UACINT)v.n, (LUAI_UACINT)n);
    out = lua_newuserdatauv(L, (n ? n : 1) * sizeof *out, 0);
    for (i = 0; i < n; i++) {
        double x = bind_vector_at(&v, i);
        if (!(x >= 0 && x <= (double)limit) || x != (double)(int64_t)x)
            luaL_error(L, "%s entry %I must be an index in 0..%I", what, (LUAI_UACINT)(i + 1), (LUAI_UACINT)limit);
        out[i] = (int64_t)x - 1;
    }
    lua_replace(L, arg);
    return out;
}

/* rec.split(A, row_map, train_rows, col_map, train_cols [, {rng =, order =, test_from =, test_to =}])
 * -> train, test; with the options, the list of ratings (order: file order) is
 * permuted with rng and the ratings at permuted positions [test_from, test_to)
 * (0-based) are test. */
static int r_split(lua_State *L)
{
    spm *A = bind_checkspm(L, 1), *train, *test;
    int64_t trows = (int64_t)bind_checksize(L, 3, "train_rows"), tcols = (int64_t)bind_checksize(L, 5, "train_cols");
    int64_t *rmap = checkmap(L, 2, (size_t)A->rows, trows, "row map");
    int64_t *cmap = checkmap(L, 4, (size_t)A->cols, tcols, "column map");
    unsigned char *mask = NULL;
    core_err e;
    if (!rmap || !cmap)
        return luaL_error(L, "split: row and column maps are required");
    if (lua_istable(L, 6)) {
        rng *g;
        mat *order = NULL;
        int64_t nlines, from, to;
        lua_getfield(L, 6, "rng");
        g = bind_checkrng(L, -1);
        lua_getfield(L, 6, "order");
        if (!lua_isnil(L, -1))
            order = bind_checkmat(L, -1);
        from = (int64_t)bind_optint(L, 6, "test_from", -1, 0, LUA_MAXINTEGER, "split");
        to = (int64_t)bind_optint(L, 6, "test_to", -1, 0, LUA_MAXINTEGER, "split");
        if (from < 0 || to < 0)
            return luaL_error(L, "split: the pairs options need test_from and test_to");
        nlines = order ? (int64_t)(order->rows * order->cols) : SPM_NNZ(A);
        if (order && (order->cols != 1 || (order->rows > 1 && order->ld != 1)))
            return luaL_error(L, "split: order must be a contiguous column (as sparse.read returns it)");
        mask = lua_newuserdatauv(L, (size_t)(SPM_NNZ(A) ? SPM_NNZ(A) : 1), 0);
        BIND_ONCE(L, &e, rec_pairs_mask(mask, SPM_NNZ(A), order ? order->x : NULL, nlines, g, from, to, &e));
    }
    train = bind_newspm(L);
    test = bind_newspm(L);
    BIND_CALL(L, &e, rec_split(train, test, A, rmap, trows, cmap, tcols, mask, &e));
    return 2;
}

static const double *colvec(lua_State *L, int t, const char *k, int64_t *n)
{
    mat *m;
    lua_getfield(L, t, k);
    m = bind_testmat(L, -1);
    if (!m || (m->rows != 1 && m->cols != 1))
        luaL_error(L, "bias model field '%s' must be a vector matrix", k);
    if (m->cols == 1 && m->rows > 1 && m->ld != 1)
        luaL_error(L, "bias model field '%s' must be contiguous", k);
    *n = (int64_t)(m->rows * m->cols);
    lua_pop(L, 1); /* the model table keeps it alive */
    return m->x;
}

/* a required number field of the bias model table at t */
static double number_field(lua_State *L, int t, const char *k)
{
    double v;
    lua_getfield(L, t, k);
    if (lua_type(L, -1) != LUA_TNUMBER)
        luaL_error(L, "bias model field '%s' must be a number, got %s", k, bind_typename(L, -1));
    v = lua_tonumber(L, -1);
    lua_pop(L, 1);
    return v;
}

/* The model table at arg: {mu =, s =, row_mean =, row_count =, col_mean =, col_count =} */
static void checkbias(lua_State *L, int arg, rec_bias *b)
{
    int64_t n1, n2;
    luaL_checktype(L, arg, LUA_TTABLE);
    b->mu = number_field(L, arg, "mu");
    b->s = number_field(L, arg, "s");
    b->row_mean = colvec(L, arg, "row_mean", &b->nrows);
    b->row_count = colvec(L, arg, "row_count", &n1);
    b->col_mean = colvec(L, arg, "col_mean", &b->ncols);
    b->col_count = colvec(L, arg, "col_count", &n2);
    if (n1 != b->nrows || n2 != b->ncols)
        luaL_error(L, "bias model: means and counts differ in length");
}

/* rec.bias_predict(model, P [, row_map, col_map]) -> sparse with P's structure.
 * model = {mu =, s =, row_mean =, row_count =, col_mean =, col_count =} */
static int r_bias_predict(lua_State *L)
{
    rec_bias b;
    spm *P = bind_checkspm(L, 2), *out;
    int64_t *rmap, *cmap;
    core_err e;
    checkbias(L, 1, &b);
    rmap = checkmap(L, 3, (size_t)P->rows, b.nrows, "row map");
    cmap = checkmap(L, 4, (size_t)P->cols, b.ncols, "column map");
    if (!rmap && P->rows != b.nrows)
        return luaL_error(L, "bias model has %I rows, pattern %I (pass a row map)", (LUAI_UACINT)b.nrows,
                          (LUAI_UACINT)P->rows);
    if (!cmap && P->cols != b.ncols)
        return luaL_error(L, "bias model has %I columns, pattern %I (pass a column map)", (LUAI_UACINT)b.ncols,
                          (LUAI_UACINT)P->cols);
    out = bind_newspm(L);
    BIND_CALL(L, &e, rec_bias_predict(out, &b, P, rmap, cmap, &e));
    return 1;
}

/* rec.bias_residuals(model, A): A minus the model at A's positions */
static int r_bias_residuals(lua_State *L)
{
    rec_bias b;
    spm *A = bind_checkspm(L, 2), *out;
    core_err e;
    checkbias(L, 1, &b);
    if (A->rows != b.nrows || A->cols != b.ncols)
        return luaL_error(L, "bias model: shapes do not match the %Ix%I matrix", (LUAI_UACINT)A->rows,
                          (LUAI_UACINT)A->cols);
    out = bind_newspm(L);
    BIND_CALL(L, &e, rec_bias_residuals(out, &b, A, &e));
    return 1;
}

/* rec.stats(A) -> sum, row_mean, row_count, col_mean, col_count (one pass) */
static int r_stats(lua_State *L)
{
    spm *A = bind_checkspm(L, 1);
    mat *rm, *rc, *cm, *cc;
    double sum;
    core_err e;
    rm = bind_newmat(L);
    rc = bind_newmat(L);
    cm = bind_newmat(L);
    cc = bind_newmat(L);
    BIND_CALL(L, &e, rec_stats(A, &sum, rm, rc, cm, cc, &e));
    lua_pushnumber(L, sum);
    lua_insert(L, 2);
    return 5;
}

/* rec.sample(A, B, P, row_map, col_map): (A*B) at P's positions through the maps */
static int r_sample(lua_State *L)
{
    mat *A = bind_checkmat(L, 1), *B = bind_checkmat(L, 2);
    spm *P = bind_checkspm(L, 3), *out;
    int64_t *rmap = checkmap(L, 4, (size_t)P->rows, (int64_t)A->rows, "row map");
    int64_t *cmap = checkmap(L, 5, (size_t)P->cols, (int64_t)B->cols, "column map");
    core_err e;
    if (!rmap || !cmap)
        return luaL_error(L, "sample: row and column maps are required (use sparse.sample without maps)");
    out = bind_newspm(L);
    BIND_CALL(L, &e, spm_sample_mapped(out, A, B, P, rmap, cmap, &e));
    return 1;
}

/* rec.ridge(X, Y, alpha [, intercept [, method]]) -> W, b, method, iterations */
static int r_ridge(lua_State *L)
{
    static const char *const methods[] = {"auto", "cholesky", "cg", NULL};
    spm *XS = bind_testspm(L, 1);
    mat *XD = XS ? NULL : bind_testmat(L, 1), *Y = bind_checkmat(L, 2), *W, *b;
    double alpha = luaL_checknumber(L, 3);
    int intercept = lua_isnoneornil(L, 4) ? 1 : lua_toboolean(L, 4);
    int method = luaL_checkoption(L, 5, "auto", methods);
    ridge_info info;
    core_err e;
    if (!XS && !XD)
        return luaL_typeerror(L, 1, "sparse or matrix");
    lua_settop(L, 5);
    W = bind_newmat(L);
    b = bind_newmat(L);
    BIND_CALL(L, &e, ridge_fit(W, b, XS, XD, Y, alpha, intercept,
                               method == 0 ? RIDGE_AUTO : method == 1 ? RIDGE_CHOLESKY : RIDGE_CG, &info, &e));
    lua_pushstring(L, info.method == RIDGE_CG ? "cg" : "cholesky");
    lua_pushinteger(L, info.iterations);
    return 4;
}

/* rec.ials_side(X, G, alpha, lambda [, {cg_steps = 0, start = F}]) -> F:
 * X's rows' factors given its columns' G; cg_steps 0 solves exactly, n > 0
 * takes n conjugate-gradient steps from start (zeros without it) */
static int r_ials_side(lua_State *L)
{
    spm *X = bind_checkspm(L, 1);
    mat *G = bind_checkmat(L, 2), *F, *start = NULL;
    double alpha = luaL_checknumber(L, 3), lambda = luaL_checknumber(L, 4);
    int64_t steps = 0;
    core_err e;
    lua_settop(L, 5);
    if (!lua_isnil(L, 5)) {
        luaL_checktype(L, 5, LUA_TTABLE);
        steps = (int64_t)bind_optsize(L, 5, "cg_steps", 0, "ials_side");
        lua_getfield(L, 5, "start");
        if (!lua_isnil(L, -1))
            start = bind_checkmat(L, -1);
        lua_pop(L, 1);
    }
    if (X->cols != (int64_t)G->rows)
        return luaL_error(L, "ials_side: X is %Ix%I, the factors G %Ix%I: G needs a row per column of X",
                          (lua_Integer)X->rows, (lua_Integer)X->cols, (lua_Integer)G->rows, (lua_Integer)G->cols);
    if (start && (start->rows != (size_t)X->rows || start->cols != G->cols))
        return luaL_error(L, "ials_side: start is %Ix%I, expected %Ix%I", (lua_Integer)start->rows,
                          (lua_Integer)start->cols, (lua_Integer)X->rows, (lua_Integer)G->cols);
    F = bind_newmat(L);
    if (start)
        BIND_CALL(L, &e, mat_copy(F, start, &e));
    else
        BIND_CALL(L, &e, mat_init(F, (size_t)X->rows, G->cols, &e));
    BIND_CALL(L, &e, ials_side(F, X, G, alpha, lambda, steps, &e));
    return 1;
}

/* rec.synthetic(P, Q, bi, bu, mu, noise, skew, nratings, rng) -> items x users ratings */
static int r_synthetic(lua_State *L)
{
    mat *P = bind_checkmat(L, 1), *Q = bind_checkmat(L, 2), *bi = bind_checkmat(L, 3), *bu = bind_checkmat(L, 4);
    double mu = luaL_checknumber(L, 5), noise = luaL_checknumber(L, 6), skew = luaL_checknumber(L, 7);
    lua_Integer n = luaL_checkinteger(L, 8);
    rng *g = bind_checkrng(L, 9);
    spm *R = bind_newspm(L);
    core_err e;
    BIND_ONCE(L, &e, rec_synthetic(R, P, Q, bi, bu, mu, noise, skew, (int64_t)n, g, &e));
    return 1;
}

/* rec.implicit(R, col_map, n) -> n x items: each user's training items, 1/sqrt(count) */
static int r_implicit(lua_State *L)
{
    spm *R = bind_checkspm(L, 1), *out;
    int64_t n = lua_isnoneornil(L, 3) ? R->cols : (int64_t)bind_checksize(L, 3, "n");
    int64_t *map = checkmap(L, 2, (size_t)n, R->cols, "column map");
    core_err e;
    out = bind_newspm(L);
    BIND_CALL(L, &e, rec_implicit(out, R, map, n, &e));
    return 1;
}

/* With options (argument 3) trace = true, a new n x 1 matrix for the
 * trace on the stack (n < 1: the error why_not); else NULL, nothing pushed */
static mat *opt_trace(lua_State *L, int64_t n, const char *why_not)
{
    mat *trace;
    core_err e;
    if (!bind_optbool(L, 3, "trace", 0))
        return NULL;
    if (n < 1)
        luaL_error(L, "%s", why_not);
    trace = bind_newmat(L);
    BIND_CALL(L, &e, mat_init(trace, (size_t)n, 1, &e));
    return trace;
}

/* The predictions on top, then the trace below them if there is one */
static int traced_result(lua_State *L, const mat *trace)
{
    if (!trace)
        return 1;
    lua_insert(L, -2);
    return 2;
}

/* Option key of table t: a map from n_full full-space indices to n_train
 * training ones (0: new), checked, or NULL when absent; the checked map
 * (or nil) stays on the stack, which keeps it alive */
static const int64_t *opt_map(lua_State *L, int t, const char *key, int64_t n_full, int64_t n_train)
{
    lua_getfield(L, t, key);
    return lua_isnil(L, -1) ? NULL : checkmap(L, lua_gettop(L), (size_t)n_full, n_train, key);
}

/* One side of rec.bfm: features (sparse or nil), map, ids flag. */
static void bfm_side_opts(lua_State *L, int t, const char *prefix, int64_t n_full, int64_t n_train, bfm_side *s)
{
    char key[32];
    snprintf(key, sizeof key, "%s_features", prefix);
    lua_getfield(L, t, key);
    s->F = lua_isnil(L, -1) ? NULL : bind_checkspm(L, -1);
    lua_pop(L, 1); /* the options table keeps it alive */
    snprintf(key, sizeof key, "%s_ids", prefix);
    s->ids = bind_optbool(L, t, key, 1);
    snprintf(key, sizeof key, "%s_map", prefix);
    s->map = opt_map(L, t, key, n_full, n_train);
    s->n_full = n_full;
}

/* rec.bfm(R, P, {k = 8, burn_in = 50, samples = 150, init_std = 0.1, seed = 1,
 * row_features, row_map, row_ids = true, col_features, col_map, col_ids = true,
 * link = false, trace = false}) -> predictions at P's positions [, trace (samples x 1)] */
static int r_bfm(lua_State *L)
{
    spm *R = bind_checkspm(L, 1), *P = bind_checkspm(L, 2), *out;
    bfm_side side[2];
    bfm_opts o;
    mat *trace = NULL;
    core_err e;
    luaL_checktype(L, 3, LUA_TTABLE);
    lua_settop(L, 3);
    bfm_opts_default(&o);
    o.k = (int64_t)bind_optsize(L, 3, "k", (size_t)o.k, "bfm");
    o.burn_in = (int64_t)bind_optsize(L, 3, "burn_in", (size_t)o.burn_in, "bfm");
    o.samples = (int64_t)bind_optsize(L, 3, "samples", (size_t)o.samples, "bfm");
    o.seed = (uint32_t)bind_optsize(L, 3, "seed", o.seed, "bfm");
    o.link = bind_optbool(L, 3, "link", o.link);
    o.init_std = bind_optnum(L, 3, "init_std", o.init_std, "bfm");
    bfm_side_opts(L, 3, "row", P->rows, R->rows, &side[0]);
    bfm_side_opts(L, 3, "col", P->cols, R->cols, &side[1]);
    trace = opt_trace(L, o.samples, "bfm: samples must be at least 1");
    out = bind_newspm(L);
    BIND_CALL(L, &e, bfm_run(out, trace ? trace->x : NULL, R, side, P, &o, &e));
    return traced_result(L, trace);
}

/* rec.mf(R, P, {k = 100, epochs = 20, lr = 0.005, reg = 0.02, reg_bias = 0.02, biases = true,
 * init_std = 0.1, seed = 1, row_map, col_map, trace = false}) -> predictions at P's positions
 * [, trace (epochs x 1)] */
static int r_mf(lua_State *L)
{
    spm *R = bind_checkspm(L, 1), *P = bind_checkspm(L, 2), *out;
    const int64_t *map[2];
    int64_t n_full[2];
    mf_opts o;
    mat *trace = NULL;
    core_err e;
    luaL_checktype(L, 3, LUA_TTABLE);
    lua_settop(L, 3);
    mf_opts_default(&o);
    o.k = (int64_t)bind_optsize(L, 3, "k", (size_t)o.k, "mf");
    o.epochs = (int64_t)bind_optsize(L, 3, "epochs", (size_t)o.epochs, "mf");
    o.seed = (uint32_t)bind_optsize(L, 3, "seed", o.seed, "mf");
    o.lr = bind_optnum(L, 3, "lr", o.lr, "mf");
    o.reg = bind_optnum(L, 3, "reg", o.reg, "mf");
    o.reg_bias = bind_optnum(L, 3, "reg_bias", o.reg_bias, "mf");
    o.init_std = bind_optnum(L, 3, "init_std", o.init_std, "mf");
    o.biases = bind_optbool(L, 3, "biases", o.biases);
    n_full[0] = P->rows, n_full[1] = P->cols;
    map[0] = opt_map(L, 3, "row_map", P->rows, R->rows);
    map[1] = opt_map(L, 3, "col_map", P->cols, R->cols);
    trace = opt_trace(L, o.epochs, "mf: a trace needs epochs >= 1");
    out = bind_newspm(L);
    BIND_CALL(L, &e, mf_run(out, trace ? trace->x : NULL, R, map, n_full, P, &o, &e));
    return traced_result(L, trace);
}

/* rec.gip_kernel(Y, bandwidth) -> the GIP kernel of Y's rows (relations.h) */
static int r_gip_kernel(lua_State *L)
{
    spm *Y = bind_checkspm(L, 1);
    double bandwidth = luaL_checknumber(L, 2);
    mat *K = bind_newmat(L);
    core_err e;
    BIND_CALL(L, &e, gip_kernel(K, Y, bandwidth, &e));
    return 1;
}

/* rec.wnn_profiles(Y, S, T) -> the queries' profiles (relations.h) */
static int r_wnn_profiles(lua_State *L)
{
    spm *Y = bind_checkspm(L, 1);
    mat *S = bind_checkmat(L, 2), *out;
    double T = luaL_checknumber(L, 3);
    core_err e;
    out = bind_newmat(L);
    BIND_CALL(L, &e, wnn_profiles(out, Y, S, T, &e));
    return 1;
}

/* rec.kronrls(Y, Kd, Kt, sigma) -> wd, Ud, wt, Ut, C (relations.h) */
static int r_kronrls(lua_State *L)
{
    spm *Y = bind_checkspm(L, 1);
    mat *Kd = bind_checkmat(L, 2), *Kt = bind_checkmat(L, 3), *out[5];
    double sigma = luaL_checknumber(L, 4);
    kronrls k;
    core_err e;
    int i;
    for (i = 0; i < 5; i++)
        out[i] = bind_newmat(L);
    BIND_CALL(L, &e, kronrls_fit(&k, Y, Kd, Kt, sigma, &e));
    *out[0] = k.wd, *out[1] = k.Ud, *out[2] = k.wt, *out[3] = k.Ut, *out[4] = k.C;
    return 5;
}

/* rec.kronrls_fitted(wd, Ud, wt, Ut, C [, P]) -> the fitted values, dense
 * (without P) or at P's stored positions */
static int r_kronrls_fitted(lua_State *L)
{
    kronrls k;
    spm *P = lua_isnoneornil(L, 6) ? NULL : bind_checkspm(L, 6), *at = NULL;
    mat *dense = NULL;
    core_err e;
    k.wd = *bind_checkmat(L, 1), k.Ud = *bind_checkmat(L, 2), k.wt = *bind_checkmat(L, 3);
    k.Ut = *bind_checkmat(L, 4), k.C = *bind_checkmat(L, 5);
    if (k.wd.rows != k.C.rows || k.Ud.rows != k.C.rows || k.Ud.cols != k.C.rows || k.wt.rows != k.C.cols ||
        k.Ut.rows != k.C.cols || k.Ut.cols != k.C.cols)
        return luaL_error(L, "kronrls_fitted: the eigenbases do not match C");
    if (P)
        at = bind_newspm(L);
    else
        dense = bind_newmat(L);
    BIND_CALL(L, &e, kronrls_fitted(dense, at, &k, P, &e));
    return 1;
}

/* rec.nrlmf(Y, Sd, St [, {c, k, n, factors, lambda_d, lambda_t, alpha, beta, theta, iterations, seed}])
 * -> {U, V, iterations, and every setting used}: the core's defaults fill
 * what the options leave out */
static int r_nrlmf(lua_State *L)
{
    spm *Y = bind_checkspm(L, 1);
    mat *Sd = bind_checkmat(L, 2), *St = bind_checkmat(L, 3), *U, *V;
    nrlmf_opts o;
    int64_t its = 0;
    core_err e;
    lua_settop(L, 4);
    if (lua_isnil(L, 4)) {
        lua_newtable(L);
        lua_replace(L, 4);
    }
    luaL_checktype(L, 4, LUA_TTABLE);
    nrlmf_opts_default(&o);
    o.c = bind_optnum(L, 4, "c", o.c, "nrlmf");
    o.lambda_d = bind_optnum(L, 4, "lambda_d", o.lambda_d, "nrlmf");
    o.lambda_t = bind_optnum(L, 4, "lambda_t", o.lambda_t, "nrlmf");
    o.alpha = bind_optnum(L, 4, "alpha", o.alpha, "nrlmf");
    o.beta = bind_optnum(L, 4, "beta", o.beta, "nrlmf");
    o.theta = bind_optnum(L, 4, "theta", o.theta, "nrlmf");
    o.k = (int64_t)bind_optsize(L, 4, "k", (size_t)o.k, "nrlmf");
    o.n = (int64_t)bind_optsize(L, 4, "n", (size_t)o.n, "nrlmf");
    o.factors = bind_optint(L, 4, "factors", o.factors, 1, LUA_MAXINTEGER, "nrlmf");
    o.iterations = (int64_t)bind_optsize(L, 4, "iterations", (size_t)o.iterations, "nrlmf");
    o.seed = (uint32_t)bind_optint(L, 4, "seed", o.seed, 0, 0xffffffffLL, "nrlmf");
    lua_createtable(L, 0, 14);
    U = bind_newmat(L);
    lua_setfield(L, -2, "U");
    V = bind_newmat(L);
    lua_setfield(L, -2, "V");
    BIND_CALL(L, &e, nrlmf_fit(U, V, &its, Y, Sd, St, &o, &e));
#define SETNUM(name, v) (lua_pushnumber(L, (v)), lua_setfield(L, -2, name))
#define SETINT(name, v) (lua_pushinteger(L, (lua_Integer)(v)), lua_setfield(L, -2, name))
    SETNUM("c", o.c), SETNUM("lambda_d", o.lambda_d), SETNUM("lambda_t", o.lambda_t), SETNUM("alpha", o.alpha);
    SETNUM("beta", o.beta), SETNUM("theta", o.theta), SETINT("k", o.k), SETINT("n", o.n);
    SETINT("factors", o.factors), SETINT("seed", o.seed), SETINT("iterations", its);
#undef SETNUM
#undef SETINT
    return 1;
}

static const luaL_Reg rec_funcs[] = {
    {"split", r_split}, {"bias_predict", r_bias_predict}, {"sample", r_sample}, {"ridge", r_ridge},
    {"ials_side", r_ials_side},
    {"synthetic", r_synthetic}, {"bias_residuals", r_bias_residuals}, {"stats", r_stats}, {"bfm", r_bfm},
    {"mf", r_mf}, {"implicit", r_implicit}, {"gip_kernel", r_gip_kernel}, {"wnn_profiles", r_wnn_profiles},
    {"kronrls", r_kronrls},
    {"kronrls_fitted", r_kronrls_fitted}, {"nrlmf", r_nrlmf}, {NULL, NULL}};

static const char *const rec_help[] = {
    "rec", "The per-rating C kernels under the Lua modules (splits, models, data): primitives, not a stable API.",
    "rec.split(R, row_map, train_rows, col_map, train_cols, ...)", "Splits R's ratings into train (in the train "
    "index space given by the maps) and test (used by splits.split).",
    "rec.bias_predict(means, pattern, row_map, col_map)", "Global + shrunk item and user means at the pattern's "
    "positions (used by models.means).",
    "rec.bias_residuals(means, train)", "train minus the means model at its stored entries.",
    "rec.stats(R)", "Sum, row means and counts, column means and counts of the stored values.",
    "rec.ials_side(X, G, alpha, lambda [, {cg_steps = 0, start = F}])", "iALS's half-step: the factors of X's rows "
    "given its columns' G (X's columns x k), confidence 1 + alpha on stored entries; cg_steps 0 solves exactly, n > 0 "
    "takes n conjugate-gradient steps from start (zeros without it).",
    "rec.sample(A, B, P, row_map, col_map)", "sparse.sample with index maps from P's rows/columns to A's rows and B's "
    "columns (0: contributes 0).",
    "rec.ridge(X, Y, alpha [, intercept, method])", "Multi-output ridge regression weights (Cholesky or conjugate gradients).",
    "rec.bfm(R, P, opts)", "Bayesian factorization model by Gibbs sampling: predictions at P's positions, "
    "averaged over the sweeps after burn-in (used by models.mcmc; opts as there, with row_/col_ features, map, ids).",
    "rec.mf(R, P, opts)", "Matrix factorisation by SGD over blocks of ratings: predictions at P's positions (used "
    "by models.mf; opts as there, with row_map and col_map).",
    "rec.implicit(R, col_map [, n])", "Each of n users' training items (R: items x users), weighted 1/sqrt(count) "
    "(used by models.implicit).",
    "rec.gip_kernel(Y, bandwidth)", "The GIP kernel of Y's rows (used by models.gip_kernel).",
    "rec.wnn_profiles(Y, S, T)", "Weighted nearest-neighbour profiles of S's rows (used by models.wnn_profiles).",
    "rec.kronrls(Y, Kd, Kt, sigma)", "KronRLS's fit: the kernels' eigenvalues and vectors wd, Ud, wt, Ut and the "
    "filtered projection C (used by models.kronrls).",
    "rec.kronrls_fitted(wd, Ud, wt, Ut, C [, P])", "KronRLS's fitted values, dense, or at P's stored positions (used "
    "by KronRLS:fitted).",
    "rec.nrlmf(Y, Sd, St [, opts])", "NRLMF's fit: a table of U, V, the AdaGrad iterations run and every setting used, "
    "the core's defaults filling the rest (used by models.nrlmf; opts as there).",
    "rec.synthetic(P, Q, bi, bu, mu, noise, skew, n, rng)", "n ratings from a low-rank model with biases and Zipf "
    "popularity (used by data.synthetic).",
    NULL};

int luaopen_simec_rec(lua_State *L)
{
    bind_add_help(L, rec_help);
    luaL_newlib(L, rec_funcs);
    return 1;
}

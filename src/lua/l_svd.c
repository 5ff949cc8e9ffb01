/* The svd module: truncated SVD of sparse or dense matrices (svd.h). */
#include <limits.h>
#include "bind.h"
#include "svd.h"

static void svd_options(lua_State *L, int t, svd_opts *o)
{
    static const char *const methods[] = {"arpack", "randomized", "lanczos", "auto", NULL}; /* the enum's order */
    static const char *const precisions[] = {"double", "single", "auto", NULL};
    int p;
    svd_opts_default(o);
    if (!lua_isnoneornil(L, t))
        luaL_checktype(L, t, LUA_TTABLE);
    o->method = bind_optname(L, t, "method", methods, o->method, "svd");
    o->tol = bind_optnum(L, t, "tol", o->tol, "svd");
    o->seed = (uint32_t)bind_optint(L, t, "seed", o->seed, 0, 0xffffffffLL, "svd");
    o->maxiter = (int)bind_optint(L, t, "maxiter", o->maxiter, 0, INT_MAX, "svd");
    o->ncv = (int)bind_optint(L, t, "ncv", o->ncv, 0, INT_MAX, "svd");
    o->block = (int)bind_optint(L, t, "block", o->block, 0, INT_MAX, "svd");
    o->oversample = (int)bind_optint(L, t, "oversample", o->oversample, 0, INT_MAX, "svd");
    o->power_iters = (int)bind_optint(L, t, "power_iters", o->power_iters, 0, SVD_MAX_POWER, "svd");
    p = bind_optname(L, t, "precision", precisions, o->single == SVD_AUTO ? 2 : o->single, "svd");
    o->single = p == 2 ? SVD_AUTO : p;
}

static int truncated(lua_State *L, int vectors)
{
    spm *S = bind_testspm(L, 1);
    mat *D = S ? NULL : bind_testmat(L, 1), *U, *s, *Vt;
    size_t k = bind_checksize(L, 2, "k");
    svd_opts o;
    core_err e;
    if (!S && !D)
        return luaL_typeerror(L, 1, "sparse or matrix");
    svd_options(L, 3, &o);
    o.want_vectors = vectors;
    lua_settop(L, 3);
    U = bind_newmat(L);
    s = bind_newmat(L);
    Vt = bind_newmat(L);
    BIND_CALL(L, &e, svd_truncated(U, s, Vt, S, D, k, &o, &e));
    if (!vectors) {
        lua_pushvalue(L, 5);
        return 1;
    }
    return 3; /* U, s, Vt */
}

static int svd_truncated_l(lua_State *L) { return truncated(L, 1); }
static int svd_values_l(lua_State *L) { return truncated(L, 0); }

static const luaL_Reg svd_funcs[] = {{"truncated", svd_truncated_l}, {"values", svd_values_l}, {NULL, NULL}};

static const char *const svd_help[] = {
    "svd", "Truncated singular value decompositions of sparse or dense matrices.",
    "svd.truncated(A, k [, opts])", "U (rows x k), s (k x 1, descending) and Vt (k x cols). opts.method = \"auto\" "
    "(default: \"lanczos\" on sparse matrices of at least 2^22 entries or 4096 rows and columns, else, or given ncv or "
    "maxiter, \"arpack\"), \"arpack\" (implicitly "
    "restarted Lanczos as scipy's svds; tol, ncv, maxiter, seed), \"lanczos\" (block Lanczos on the Gram operator, "
    "a block of vectors a pass over A, until the k values are within tol (1e-8) relative; block 32, ncv max(20 k, 32 block) + 2 block, "
    "then ARPACK) or \"randomized\" (block Krylov on the Gram operator; oversample 10, power_iters 5); precision "
    "\"auto\" | \"single\" | \"double\", seed.",
    "svd.values(A, k [, opts])", "The k largest singular values only (k x 1), options as svd.truncated.",
    NULL};

int luaopen_simec_svd(lua_State *L)
{
    bind_add_help(L, svd_help);
    luaL_newlib(L, svd_funcs);
    return 1;
}

/* "lrp": layer-wise relevance propagation for SimEc models. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "bind.h"
#include "lrp.h"

/* lrp.explain(model, X, {output = j | "all", rule = "epsilon", eps, alpha, beta, gamma}) */
static int l_explain(lua_State *L)
{
    simec *m = bind_checksimec(L, 1);
    simec_input x;
    lrp_opts o;
    lua_Integer j;
    mat *R;
    core_err e;
    bind_checkinput(L, m, 2, &x, "lrp.explain");
    luaL_checktype(L, 3, LUA_TTABLE);
    lrp_opts_default(&o);
    lua_getfield(L, 3, "output");
    if (lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), "all") == 0)
        j = 0;
    else if (!lua_isinteger(L, -1))
        return luaL_error(L, "lrp.explain: output must be the index of an output (1..%d) or \"all\"",
                          m->theta ? (int)m->cfg.out_dim : 0);
    else if ((j = lua_tointeger(L, -1)) < 1)
        return luaL_error(L, "lrp: output %d out of range 1..%d", (int)j, (int)m->cfg.out_dim);
    o.rule = bind_optname(L, 3, "rule", lrp_rule_names, o.rule, "lrp.explain");
    o.eps = bind_optnum(L, 3, "eps", o.eps, "lrp.explain");
    o.alpha = bind_optnum(L, 3, "alpha", o.alpha, "lrp.explain");
    o.beta = bind_optnum(L, 3, "beta", o.beta, "lrp.explain");
    o.gamma = bind_optnum(L, 3, "gamma", o.gamma, "lrp.explain");
    R = bind_newmat(L);
    BIND_CALL(L, &e, lrp_explain(m, &x, j ? (size_t)(j - 1) : LRP_ALL, &o, R, &e));
    return 1;
}

typedef struct rel {
    double v;
    size_t i;
} rel;

static int by_magnitude(const void *a, const void *b)
{
    double x = fabs(((const rel *)a)->v), y = fabs(((const rel *)b)->v);
    size_t i = ((const rel *)a)->i, j = ((const rel *)b)->i;
    return x < y ? 1 : x > y ? -1 : (i > j) - (i < j); /* ties keep feature order */
}

/* lrp.top(relevances, names, n): the n features with the largest |relevance|
 * as {{name, relevance}, ...}, those of relevance 0 left out; relevances is
 * a vector (or one row) */
static int l_top(lua_State *L)
{
    mat *R = bind_checkmat(L, 1);
    size_t len = R->rows == 1 ? R->cols : R->cols == 1 ? R->rows : 0, k, n;
    rel *v;
    luaL_checktype(L, 2, LUA_TTABLE);
    if (!len)
        return luaL_error(L, "lrp.top: relevances must be a vector (one row or column), got %dx%d", (int)R->rows,
                          (int)R->cols);
    if ((size_t)luaL_len(L, 2) != len)
        return luaL_error(L, "lrp.top: %d names for %d relevances", (int)luaL_len(L, 2), (int)len);
    n = (size_t)luaL_optinteger(L, 3, 10);
    if (n > len)
        n = len;
    v = lua_newuserdatauv(L, len * sizeof *v, 0);
    for (k = 0; k < len; k++)
        v[k].v = R->rows == 1 ? MAT_AT(R, 0, k) : MAT_AT(R, k, 0), v[k].i = k;
    qsort(v, len, sizeof *v, by_magnitude);
    while (n > 0 && v[n - 1].v == 0) /* features that took no part are no explanation */
        n--;
    lua_createtable(L, (int)n, 0);
    for (k = 0; k < n; k++) {
        lua_createtable(L, 2, 0);
        lua_geti(L, 2, (lua_Integer)v[k].i + 1);
        lua_rawseti(L, -2, 1);
        lua_pushnumber(L, v[k].v);
        lua_rawseti(L, -2, 2);
        lua_rawseti(L, -2, (lua_Integer)k + 1);
    }
    return 1;
}

static const char *const help[] = {
    "lrp", "Layer-wise relevance propagation: which input features make a SimEc's output.",
    "lrp.explain(model, X, {output = j | \"all\", rule, eps, alpha, beta, gamma})", "A matrix (rows of X x input "
    "features) of each feature's relevance for the pre-activation of output j (\"all\": the sum of the outputs). "
    "rule: epsilon (default, eps 1e-6), z, zplus, alpha_beta (alpha 2, beta 1), gamma (0.25). A layer's bias is spread "
    "evenly over the row's active inputs, so for a linear SimEc with eps = 0 the relevances are the exact "
    "decomposition of the prediction.",
    "lrp.top(relevances, names, n)", "The n features with the largest |relevance| (none of relevance 0) as "
    "{{name, relevance}, ...}; "
    "relevances is one row or column.",
    NULL};

int luaopen_simec_lrp(lua_State *L)
{
    static const luaL_Reg funcs[] = {{"explain", l_explain}, {"top", l_top}, {NULL, NULL}};
    bind_add_help(L, help);
    luaL_newlib(L, funcs);
    return 1;
}

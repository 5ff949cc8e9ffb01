/* "lrp": layer-wise relevance propagation for SimEc models. */
#include <string.h>
#include "bind.h"
#include "lrp.h"

/* lrp.explain(model, X, {output = j, rule = "epsilon", eps, alpha, beta, gamma}) */
static int l_explain(lua_State *L)
{
    simec *m = luaL_checkudata(L, 1, "SimEc");
    simec_input x;
    lrp_opts o;
    lua_Integer j;
    mat *R;
    core_err e;
    int k;
    memset(&x, 0, sizeof x);
    if ((x.S = bind_testspm(L, 2)))
        x.n = (size_t)x.S->rows;
    else if ((x.D = bind_testmat(L, 2)))
        x.n = x.D->rows;
    else
        return luaL_error(L, "lrp.explain: X must be a matrix or a sparse matrix of input features, got %s",
                          bind_typename(L, 2));
    luaL_checktype(L, 3, LUA_TTABLE);
    lrp_opts_default(&o);
    lua_getfield(L, 3, "output");
    if (!lua_isinteger(L, -1))
        return luaL_error(L, "lrp.explain: output must be the index of an output (1..%d)",
                          m->theta ? (int)m->cfg.out_dim : 0);
    j = lua_tointeger(L, -1);
    if (j < 1)
        return luaL_error(L, "lrp: output %d out of range 1..%d", (int)j, (int)m->cfg.out_dim);
    lua_getfield(L, 3, "rule");
    if (!lua_isnil(L, -1)) {
        const char *name = luaL_checkstring(L, -1);
        for (k = 0; lrp_rule_names[k] && strcmp(name, lrp_rule_names[k]) != 0; k++)
            ;
        if (!lrp_rule_names[k])
            return luaL_error(L, "lrp.explain: unknown rule '%s' (valid: epsilon, z, zplus, alpha_beta, gamma)", name);
        o.rule = k;
    }
    lua_getfield(L, 3, "eps");
    o.eps = luaL_optnumber(L, -1, o.eps);
    lua_getfield(L, 3, "alpha");
    o.alpha = luaL_optnumber(L, -1, o.alpha);
    lua_getfield(L, 3, "beta");
    o.beta = luaL_optnumber(L, -1, o.beta);
    lua_getfield(L, 3, "gamma");
    o.gamma = luaL_optnumber(L, -1, o.gamma);
    if (o.eps < 0 || o.gamma < 0 || o.beta < 0 || o.alpha < 0)
        return luaL_error(L, "lrp.explain: eps, alpha, beta and gamma must be non-negative");
    R = bind_newmat(L);
    BIND_CALL(L, &e, lrp_explain(m, &x, (size_t)(j - 1), &o, R, &e));
    bind_account(L, (double)R->rows * (double)R->cols * 8);
    return 1;
}

int luaopen_simec_lrp(lua_State *L)
{
    static const luaL_Reg funcs[] = {{"explain", l_explain}, {NULL, NULL}};
    luaL_newlib(L, funcs);
    return 1;
}

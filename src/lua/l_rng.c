/* "rng": MT19937 with NumPy's legacy draws (np.random.seed / RandomState). */
#include <string.h>
#include "bind.h"
#include "rng.h"

static int r_new(lua_State *L)
{
    lua_Integer s = luaL_checkinteger(L, 1);
    rng *r;
    luaL_argcheck(L, s >= 0 && s <= 0xffffffffLL, 1, "seed must be between 0 and 2^32-1");
    r = lua_newuserdatauv(L, sizeof *r, 0);
    rng_seed(r, (uint32_t)s);
    luaL_setmetatable(L, RNG_T);
    return 1;
}

static int r_uniform(lua_State *L)
{
    lua_pushnumber(L, rng_uniform(bind_checkrng(L, 1)));
    return 1;
}

static int r_normal(lua_State *L)
{
    lua_pushnumber(L, rng_normal(bind_checkrng(L, 1)));
    return 1;
}

/* integers(lo, hi): uniform in [lo, hi), as np.random.randint(lo, hi) */
static int r_integers(lua_State *L)
{
    rng *r = bind_checkrng(L, 1);
    lua_Integer lo = luaL_checkinteger(L, 2), hi = luaL_checkinteger(L, 3);
    if (hi <= lo)
        return luaL_error(L, "integers: empty range [%I, %I)", (LUAI_UACINT)lo, (LUAI_UACINT)hi);
    lua_pushinteger(L, lo + (lua_Integer)rng_interval(r, (uint64_t)(hi - 1) - (uint64_t)lo));
    return 1;
}

/* permutation(n): a table of 1..n in the order of np.random.permutation(n) + 1 */
static int r_permutation(lua_State *L)
{
    rng *r = bind_checkrng(L, 1);
    size_t n = bind_checksize(L, 2, "n"), i;
    size_t *p = lua_newuserdatauv(L, (n ? n : 1) * sizeof *p, 0);
    rng_permutation(r, p, n);
    lua_createtable(L, n < (1u << 30) ? (int)n : 0, 0);
    for (i = 0; i < n; i++) {
        lua_pushinteger(L, (lua_Integer)p[i] + 1);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* shuffle(t): in place, as np.random.shuffle on a list */
static int r_shuffle(lua_State *L)
{
    rng *r = bind_checkrng(L, 1);
    lua_Integer n, i;
    luaL_checktype(L, 2, LUA_TTABLE);
    n = luaL_len(L, 2);
    for (i = n; i > 1; i--) {
        lua_Integer j = (lua_Integer)rng_interval(r, (uint64_t)(i - 1)) + 1;
        lua_geti(L, 2, i);
        lua_geti(L, 2, j);
        lua_seti(L, 2, i);
        lua_seti(L, 2, j);
    }
    lua_settop(L, 2);
    return 1;
}

static int r_tostring(lua_State *L)
{
    rng *r = bind_checkrng(L, 1);
    lua_pushfstring(L, "rng (MT19937, position %d)", r->pos);
    return 1;
}

static const luaL_Reg funcs[] = {{"new", r_new}, {NULL, NULL}};
static const luaL_Reg meth[] = {{"uniform", r_uniform}, {"normal", r_normal}, {"integers", r_integers},
                                {"permutation", r_permutation}, {"shuffle", r_shuffle}, {NULL, NULL}};

static const char *const help[] = {
    "rng", "Random streams identical to NumPy's legacy RandomState (MT19937).",
    "rng.new(seed)", "A generator seeded as np.random.RandomState(seed), 0 <= seed < 2^32.",
    "rng:uniform()", "A uniform [0, 1) draw (random_sample).",
    "rng:normal()", "A standard normal draw (standard_normal, the legacy polar method).",
    "rng:integers(lo, hi)", "A uniform integer in [lo, hi), as randint(lo, hi).",
    "rng:permutation(n)", "A Lua list of 1..n in the order of np.random.permutation(n) + 1.",
    "rng:shuffle(t)", "Shuffles the Lua list t in place, as np.random.shuffle.",
    NULL};

int luaopen_simec_rng(lua_State *L)
{
    bind_add_help(L, help);
    luaL_newmetatable(L, RNG_T);
    lua_pushcfunction(L, r_tostring);
    lua_setfield(L, -2, "__tostring");
    luaL_newlib(L, meth);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    luaL_newlib(L, funcs);
    return 1;
}

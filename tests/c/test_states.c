/* The binding keeps its state per Lua state: two states in one process
 * (two notebooks' kernels, a host embedding simec twice) do not disturb
 * each other's unseeded random draws or collection threshold. */
#include <lauxlib.h>
#include <lualib.h>
#include "check.h"
#include "bind.h"

static lua_State *open_state(void)
{
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    luaL_requiref(L, "simec", luaopen_simec, 0);
    lua_setglobal(L, "S");
    return L;
}

/* runs code, which leaves a number in the global x; returns it */
static double run(lua_State *L, const char *code)
{
    double x;
    if (luaL_dostring(L, code) != LUA_OK) {
        fprintf(stderr, "%s\n", lua_tostring(L, -1));
        return -1;
    }
    lua_getglobal(L, "x");
    x = lua_tonumber(L, -1);
    lua_pop(L, 1);
    return x;
}

static void test_rng_per_state(void)
{
    lua_State *a = open_state(), *b = open_state(), *c = open_state();
    double want, got;
    /* c: the sequence a would draw alone */
    run(c, "S.matrix.seed(5); S.matrix.rand(1, 3)");
    want = run(c, "x = S.matrix.rand(1, 3):sum()");
    /* a and b interleaved, b with its own seed */
    run(a, "S.matrix.seed(5); S.matrix.rand(1, 3)");
    run(b, "S.matrix.seed(7); S.matrix.rand(1, 100)");
    got = run(a, "x = S.matrix.rand(1, 3):sum()");
    CHECK(want > 0);
    CHECK(got == want);
    CHECK(bind_state_of(a) != bind_state_of(b));
    CHECK(bind_state_of(a) == bind_state_of(a));
    lua_close(a), lua_close(b), lua_close(c);
}

int main(void)
{
    RUN(test_rng_per_state);
    return check_summary();
}

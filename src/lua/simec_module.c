/* luaopen_simec: the single exported symbol of simec.so (and what the host
 * calls): registers every type and returns the module table. */
#include <time.h>
#include "alloc.h"
#include "bind.h"

/* simec.memory() -> bytes held by the core now, its high-water mark, the ceiling (0: none) */
/* simec.clock() -> seconds of wall time from a monotonic clock */
static int l_clock(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    lua_pushnumber(L, (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9);
    return 1;
}

static int l_memory(lua_State *L)
{
    if (lua_toboolean(L, 1))
        core_mem_reset_peak();
    lua_pushinteger(L, (lua_Integer)core_mem_in_use());
    lua_pushinteger(L, (lua_Integer)core_mem_peak());
    lua_pushinteger(L, (lua_Integer)core_mem_limit());
    return 3;
}

static const struct {
    const char *name, *module;
    lua_CFunction open;
} types[] = {{"matrix", "simec.matrix", luaopen_simec_matrix}, {"sparse", "simec.sparse", luaopen_simec_sparse}};

int luaopen_simec(lua_State *L)
{
    size_t k;
    lua_createtable(L, 0, 4);
    for (k = 0; k < sizeof types / sizeof *types; k++) {
        luaL_requiref(L, types[k].module, types[k].open, 0);
        lua_setfield(L, -2, types[k].name);
    }
    lua_pushcfunction(L, l_clock);
    lua_setfield(L, -2, "clock");
    lua_pushcfunction(L, l_memory);
    lua_setfield(L, -2, "memory");
    lua_pushliteral(L, SIMEC_VERSION);
    lua_setfield(L, -2, "version");
    return 1;
}

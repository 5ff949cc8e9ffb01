/* luaopen_simec: the single exported symbol of simec.so (and what the host
 * calls): registers every type and returns the module table. */
#include "bind.h"

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
    lua_pushliteral(L, SIMEC_VERSION);
    lua_setfield(L, -2, "version");
    return 1;
}

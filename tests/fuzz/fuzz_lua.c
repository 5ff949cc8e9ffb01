/* libFuzzer targets for the Lua-side parsers (lua/simec/data.lua: MovieLens
 * item, user, movie and tag files, CSV quoting, feature pair files, the
 * Yamanishi DTI tables), one binary per FUZZ_LUA (a function name in
 * tests/fuzz/targets.lua). Run from the repository root. A loader must load
 * the input or raise an error message; a crash, sanitizer report, hang or
 * error that is not a string is a finding. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include "alloc.h"

int luaopen_simec(lua_State *L);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static lua_State *L;
static char dir[64];

/* the targets remove their files after each input, so the directory is
 * empty when the run ends; a crash keeps it beside the finding */
static void remove_dir(void)
{
    rmdir(dir);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/simec-fuzz-lua-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    atexit(remove_dir);
    core_mem_set_limit((size_t)256 << 20);
    L = luaL_newstate();
    luaL_openlibs(L);
    luaL_requiref(L, "simec", luaopen_simec, 1);
    lua_pop(L, 1);
    if (luaL_dostring(L, "package.path = 'lua/?.lua;' .. package.path") != LUA_OK ||
        luaL_dofile(L, "tests/fuzz/targets.lua") != LUA_OK) {
        fprintf(stderr, "fuzz_lua: %s (run from the repository root)\n", lua_tostring(L, -1));
        abort();
    }
    lua_getfield(L, -1, FUZZ_LUA);
    if (!lua_isfunction(L, -1)) {
        fprintf(stderr, "fuzz_lua: no target '%s' in tests/fuzz/targets.lua\n", FUZZ_LUA);
        abort();
    }
    lua_setfield(L, LUA_REGISTRYINDEX, "fuzz_target");
    lua_pop(L, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!L)
        setup();
    lua_getfield(L, LUA_REGISTRYINDEX, "fuzz_target");
    lua_pushlstring(L, (const char *)data, size);
    lua_pushstring(L, dir);
    if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
        if (lua_type(L, -1) != LUA_TSTRING || lua_rawlen(L, -1) == 0) {
            fprintf(stderr, "fuzz_lua: an error that is not a message (%s)\n", luaL_typename(L, -1));
            abort();
        }
        lua_pop(L, 1);
    }
    lua_gc(L, LUA_GCCOLLECT, 0);
    return 0;
}

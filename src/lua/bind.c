#include <stdio.h>
#include <string.h>
#include "alloc.h"
#include "bind.h"

size_t bind_dense_limit = (size_t)4 << 30;

int bind_raise(lua_State *L, const core_err *e)
{
    if (e->code == CORE_EINTR)
        core_interrupt_flag = 0;
    return luaL_error(L, "%s", e->msg[0] ? e->msg : "unknown error");
}

void bind_account(lua_State *L, double bytes)
{
    /* a step proportional to the hidden allocation, so loops that drop big
     * matrices collect them before memory runs out */
    if (bytes >= 65536.0)
        lua_gc(L, LUA_GCSTEP, (int)(bytes / 1024.0 > 1e6 ? 1e6 : bytes / 1024.0));
}

size_t bind_checkindex(lua_State *L, int arg, size_t n, const char *what, const char *shape)
{
    lua_Integer i = luaL_checkinteger(L, arg);
    if ((lua_Unsigned)i - 1u >= (lua_Unsigned)n)
        luaL_error(L, "%s index %I out of range for a %s", what, (LUAI_UACINT)i, shape);
    return (size_t)(i - 1);
}

size_t bind_checksize(lua_State *L, int arg, const char *what)
{
    lua_Integer v = luaL_checkinteger(L, arg);
    if (v < 0 || (lua_Unsigned)v > (lua_Unsigned)MAT_DIM_MAX)
        luaL_argerror(L, arg, lua_pushfstring(L, "%s must be between 0 and 2^40, got %I", what, (LUAI_UACINT)v));
    return (size_t)v;
}

size_t *bind_checkindices(lua_State *L, int arg, size_t *n)
{
    mat *m = bind_testmat(L, arg);
    size_t i, cnt;
    size_t *out;
    if (m) {
        cnt = m->rows * m->cols;
        out = lua_newuserdatauv(L, (cnt ? cnt : 1) * sizeof *out, 0);
        for (i = 0; i < cnt; i++) {
            double v = m->cols == 1 ? MAT_AT(m, i, 0) : MAT_AT(m, i / m->cols, i % m->cols);
            if (!(v >= 1 && v <= 9007199254740992.0) || v != (double)(size_t)v) {
                char b[32];
                snprintf(b, sizeof b, "%.17g", v);
                luaL_argerror(L, arg, lua_pushfstring(L, "index %s at position %I is not a positive integer", b,
                                                      (LUAI_UACINT)(i + 1)));
            }
            out[i] = (size_t)v - 1;
        }
        lua_replace(L, arg);
        *n = cnt;
        return out;
    }
    luaL_checktype(L, arg, LUA_TTABLE);
    cnt = (size_t)luaL_len(L, arg);
    out = lua_newuserdatauv(L, (cnt ? cnt : 1) * sizeof *out, 0);
    for (i = 0; i < cnt; i++) {
        int isnum;
        lua_Integer v;
        lua_geti(L, arg, (lua_Integer)i + 1);
        v = lua_tointegerx(L, -1, &isnum);
        if (!isnum || v < 1)
            luaL_argerror(L, arg, lua_pushfstring(L, "index list entry %I is not a positive integer",
                                                  (LUAI_UACINT)(i + 1)));
        out[i] = (size_t)(v - 1);
        lua_pop(L, 1);
    }
    lua_replace(L, arg);
    *n = cnt;
    return out;
}

const char *bind_typename(lua_State *L, int arg)
{
    if (luaL_getmetafield(L, arg, "__name") == LUA_TSTRING) {
        const char *s = lua_tostring(L, -1); /* the metatable keeps it alive */
        lua_pop(L, 1);
        return s;
    }
    return luaL_typename(L, arg);
}

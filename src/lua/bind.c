#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "alloc.h"
#include "bind.h"
#include "simec_model.h"

size_t bind_dense_limit = (size_t)4 << 30;

#define INTERRUPT_KEY "simec.interrupt_error"

int bind_raise(lua_State *L, const core_err *e)
{
    if (e->code == CORE_EINTR)
        return bind_raise_interrupt(L, e->msg);
    return luaL_error(L, "%s", e->msg[0] ? e->msg : "unknown error");
}

int bind_raise_interrupt(lua_State *L, const char *msg)
{
    core_interrupt_flag = 0;
    luaL_where(L, 1);
    lua_pushstring(L, msg);
    lua_concat(L, 2);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, INTERRUPT_KEY);
    return lua_error(L);
}

int bind_is_interrupt(lua_State *L, int idx)
{
    int same;
    idx = lua_absindex(L, idx);
    lua_getfield(L, LUA_REGISTRYINDEX, INTERRUPT_KEY);
    same = lua_type(L, -1) == LUA_TSTRING && lua_rawequal(L, idx, -1);
    lua_pop(L, 1);
    return same;
}

void bind_forget_interrupt(lua_State *L)
{
    lua_pushnil(L);
    lua_setfield(L, LUA_REGISTRYINDEX, INTERRUPT_KEY);
}

/* The GC sees a matrix as a small userdata, not the buffer it owns. A
 * step proportional to the core memory allocated helps the incremental
 * collector; allocations under 1 MiB add to a debt that takes its step
 * once it reaches 1 MiB, as a step per allocation would, in generational
 * mode (the host's default), be a minor collection per matrix operation,
 * while no step at all lets a loop of mid-sized operations (a blend's
 * sums of 20,000-entry predictions) leave its dropped matrices to pile
 * up, each new one in fresh pages: ten times the operations' own cost.
 * As steps do not free every dropped matrix in time in generational mode
 * (frequent minor collections promote some to the old generation, where
 * only a major collection frees them), a full collection also runs
 * whenever the core's memory has doubled since the last one (and is above
 * 256 MiB). */
#define GC_FLOOR ((size_t)256 << 20)

/* What the binding keeps per Lua state, in its registry: two states in
 * one process share nothing but the core's memory account. */
bind_state *bind_state_of(lua_State *L)
{
    bind_state *s;
    if (lua_getfield(L, LUA_REGISTRYINDEX, "simec.state") == LUA_TUSERDATA) {
        s = lua_touserdata(L, -1);
        lua_pop(L, 1);
        return s;
    }
    lua_pop(L, 1);
    s = lua_newuserdatauv(L, sizeof *s, 0);
    rng_seed(&s->g, (uint32_t)time(NULL));
    s->gc_threshold = GC_FLOOR;
    s->gc_debt = 0;
    lua_setfield(L, LUA_REGISTRYINDEX, "simec.state");
    return s;
}

static void account(lua_State *L, double bytes)
{
    bind_state *s = bind_state_of(L);
    size_t in_use;
    if (bytes < 1048576.0) {
        s->gc_debt += bytes;
        if (s->gc_debt < 1048576.0)
            return;
        bytes = s->gc_debt;
    }
    s->gc_debt = 0;
    lua_gc(L, LUA_GCSTEP, (int)(bytes / 1024.0 > 1e6 ? 1e6 : bytes / 1024.0));
    in_use = core_mem_in_use();
    if (in_use > s->gc_threshold) {
        lua_gc(L, LUA_GCCOLLECT);
        in_use = core_mem_in_use();
        s->gc_threshold = in_use > ((size_t)128 << 20) ? 2 * in_use : GC_FLOOR;
    }
}

size_t bind_mem_in_use(void) { return core_mem_in_use(); }

void bind_finish(lua_State *L, int rc, const core_err *e, size_t before)
{
    size_t now;
    if (rc)
        bind_raise(L, e);
    now = core_mem_in_use();
    if (now > before)
        account(L, (double)(now - before));
}

/* ---- the userdata types: one constructor and one check each (a closed
 * object is an error, never a NULL pointer) ---- */

static void *newudata(lua_State *L, size_t size, const char *tname)
{
    void *u = lua_newuserdatauv(L, size, 0);
    memset(u, 0, size);
    luaL_setmetatable(L, tname);
    return u;
}

/* u itself, or an error when it is a closed object */
static void *open_or_error(lua_State *L, void *u, int closed, const char *what)
{
    if (u && closed)
        luaL_error(L, "attempt to use a closed %s", what);
    return u;
}

mat *bind_newmat(lua_State *L) { return newudata(L, sizeof(mat), MATRIX_T); }

mat *bind_testmat(lua_State *L, int arg)
{
    mat *m = luaL_testudata(L, arg, MATRIX_T);
    return open_or_error(L, m, m && !m->st, "matrix");
}

mat *bind_checkmat(lua_State *L, int arg)
{
    mat *m = luaL_checkudata(L, arg, MATRIX_T);
    return open_or_error(L, m, !m->st, "matrix");
}

spm *bind_newspm(lua_State *L) { return newudata(L, sizeof(spm), SPARSE_T); }

spm *bind_testspm(lua_State *L, int arg)
{
    spm *s = luaL_testudata(L, arg, SPARSE_T);
    return open_or_error(L, s, s && !s->p, "sparse matrix");
}

spm *bind_checkspm(lua_State *L, int arg)
{
    spm *s = luaL_checkudata(L, arg, SPARSE_T);
    return open_or_error(L, s, !s->p, "sparse matrix");
}

rng *bind_checkrng(lua_State *L, int arg)
{
    return luaL_checkudata(L, arg, RNG_T);
}

simec *bind_checksimec(lua_State *L, int arg)
{
    simec *m = luaL_checkudata(L, arg, SIMEC_T);
    if (!m->theta)
        luaL_error(L, "SimEc: the model was closed");
    return m;
}

/* ---- arguments ---- */

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

void bind_checkvector(lua_State *L, int arg, bind_vector *v, const char *who, const char *what)
{
    v->L = L, v->arg = lua_absindex(L, arg), v->who = who, v->what = what;
    if ((v->m = bind_testmat(L, arg)))
        v->n = v->m->rows * v->m->cols;
    else if (lua_istable(L, arg))
        v->n = (size_t)luaL_len(L, arg);
    else
        luaL_error(L, "%s: %s must be a list or a matrix, got %s", who, what, bind_typename(L, arg));
}

double bind_vector_at(const bind_vector *v, size_t i)
{
    double x;
    int isnum;
    if (v->m)
        return MAT_AT(v->m, i / v->m->cols, i % v->m->cols);
    lua_geti(v->L, v->arg, (lua_Integer)i + 1);
    x = lua_tonumberx(v->L, -1, &isnum);
    if (!isnum)
        luaL_error(v->L, "%s: %s[%I] is a %s, expected a number", v->who, v->what, (LUAI_UACINT)(i + 1),
                   bind_typename(v->L, -1));
    lua_pop(v->L, 1);
    return x;
}

size_t *bind_checkindices(lua_State *L, int arg, size_t *n, const char *who)
{
    bind_vector v;
    size_t i, *out;
    bind_checkvector(L, arg, &v, who, "index list");
    out = lua_newuserdatauv(L, (v.n ? v.n : 1) * sizeof *out, 0);
    for (i = 0; i < v.n; i++) {
        double x = bind_vector_at(&v, i);
        if (!(x >= 1 && x <= 9007199254740992.0) || x != (double)(size_t)x) {
            char b[32];
            snprintf(b, sizeof b, "%.17g", x);
            luaL_error(L, "%s: index list entry %I is %s, expected a positive integer", who, (LUAI_UACINT)(i + 1), b);
        }
        out[i] = (size_t)x - 1;
    }
    lua_replace(L, arg);
    *n = v.n;
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

void bind_add_help(lua_State *L, const char *const *h)
{
    luaL_getsubtable(L, LUA_REGISTRYINDEX, "simec.help");
    for (; h[0]; h += 2) {
        const char *paren = strpbrk(h[0], "({");
        lua_pushlstring(L, h[0], paren ? (size_t)(paren - h[0]) : strlen(h[0]));
        lua_createtable(L, 2, 0);
        lua_pushstring(L, h[0]);
        lua_rawseti(L, -2, 1);
        lua_pushstring(L, h[1]);
        lua_rawseti(L, -2, 2);
        lua_rawset(L, -3);
    }
    lua_pop(L, 1);
}

/* pushes "a, b, c" for the NULL-terminated names */
static const char *push_names(lua_State *L, const char *const *names)
{
    luaL_Buffer b;
    int i;
    luaL_buffinit(L, &b);
    for (i = 0; names[i]; i++) {
        if (i)
            luaL_addstring(&b, ", ");
        luaL_addstring(&b, names[i]);
    }
    luaL_pushresult(&b);
    return lua_tostring(L, -1);
}

int bind_checkname(lua_State *L, const char *prefix, const char *what, const char *name, const char *const *names)
{
    int i;
    for (i = 0; names[i]; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return luaL_error(L, "%s: unknown %s '%s' (valid: %s)", prefix, what, name, push_names(L, names));
}

/* Field k of the options table at t, pushed; 0 (nothing pushed) when t is
 * not a table or the field is nil: every reader then returns its default. */
static int optfield(lua_State *L, int t, const char *k)
{
    if (!lua_istable(L, t))
        return 0;
    if (lua_getfield(L, t, k) == LUA_TNIL) {
        lua_pop(L, 1);
        return 0;
    }
    return 1;
}

/* the value on top named for a message: itself when it prints as a value,
 * else its type ("table", "matrix") */
static int opterror(lua_State *L, const char *who, const char *k, const char *want)
{
    int t = lua_type(L, -1);
    const char *got = t == LUA_TNUMBER || t == LUA_TSTRING || t == LUA_TBOOLEAN ? luaL_tolstring(L, -1, NULL)
                                                                                : bind_typename(L, -1);
    return luaL_error(L, "%s: %s must be %s, got %s", who, k, want, got);
}

double bind_optnum(lua_State *L, int t, const char *k, double d, const char *who)
{
    double v = 0;
    if (!optfield(L, t, k))
        return d;
    if (lua_type(L, -1) != LUA_TNUMBER || !isfinite(v = lua_tonumber(L, -1)) || v < 0)
        opterror(L, who, k, "a non-negative number");
    lua_pop(L, 1);
    return v;
}

lua_Integer bind_optint(lua_State *L, int t, const char *k, lua_Integer d, lua_Integer lo, lua_Integer hi,
                        const char *who)
{
    lua_Integer v = 0;
    int isint = 0;
    if (!optfield(L, t, k))
        return d;
    if (lua_isboolean(L, -1) && !lua_toboolean(L, -1) && lo <= 0)
        isint = 1; /* false: none (a field number, a count) */
    else if (lua_type(L, -1) == LUA_TNUMBER)
        v = lua_tointegerx(L, -1, &isint); /* 1e6 is an integer too */
    if (!isint || v < lo || v > hi) {
        char want[96];
        if (hi == LUA_MAXINTEGER)
            snprintf(want, sizeof want, lo == 0 ? "a non-negative integer" : "an integer of at least " LUA_INTEGER_FMT,
                     (LUAI_UACINT)lo);
        else
            snprintf(want, sizeof want, "an integer in " LUA_INTEGER_FMT ".." LUA_INTEGER_FMT, (LUAI_UACINT)lo,
                     (LUAI_UACINT)hi);
        opterror(L, who, k, want);
    }
    lua_pop(L, 1);
    return v;
}

size_t bind_optsize(lua_State *L, int t, const char *k, size_t d, const char *who)
{
    return (size_t)bind_optint(L, t, k, (lua_Integer)d, 0, LUA_MAXINTEGER, who);
}

const char *bind_optstr(lua_State *L, int t, const char *k, const char *d, const char *who)
{
    const char *s;
    if (!optfield(L, t, k))
        return d;
    if (lua_type(L, -1) != LUA_TSTRING)
        opterror(L, who, k, "a string");
    s = lua_tostring(L, -1);
    lua_pop(L, 1); /* the string stays alive in the options table */
    return s;
}

int bind_optbool(lua_State *L, int t, const char *k, int d)
{
    int v;
    if (!optfield(L, t, k))
        return d;
    v = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
}

int bind_optname(lua_State *L, int t, const char *k, const char *const *names, int d, const char *who)
{
    int i;
    if (!optfield(L, t, k))
        return d;
    if (lua_type(L, -1) != LUA_TSTRING) {
        char want[200];
        snprintf(want, sizeof want, "a name (valid: %s)", push_names(L, names));
        lua_pop(L, 1);
        opterror(L, who, k, want);
    }
    i = bind_checkname(L, who, k, lua_tostring(L, -1), names);
    lua_pop(L, 1);
    return i;
}

/* pins: registry table object -> count, weak keys (a pinned object is kept
 * alive by its guard's list anyway) */
static void push_pins(lua_State *L)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, "simec.pins") == LUA_TTABLE)
        return;
    lua_pop(L, 1);
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, "simec.pins");
}

static int unpin_all(lua_State *L)
{
    lua_Integer i, n = luaL_len(L, 1);
    push_pins(L);
    for (i = 1; i <= n; i++) {
        lua_Integer c;
        lua_geti(L, 1, i);
        lua_pushvalue(L, -1);
        lua_rawget(L, -3);
        c = lua_tointeger(L, -1) - 1;
        lua_pop(L, 1);
        if (c > 0)
            lua_pushinteger(L, c);
        else
            lua_pushnil(L);
        lua_rawset(L, -3);
    }
    return 0;
}

int bind_pin_scope(lua_State *L)
{
    lua_newtable(L);
    if (luaL_newmetatable(L, "simec.pin_scope")) {
        lua_pushcfunction(L, unpin_all);
        lua_setfield(L, -2, "__close");
    }
    lua_setmetatable(L, -2);
    lua_toclose(L, -1);
    return lua_gettop(L);
}

void bind_pin(lua_State *L, int scope, int idx)
{
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) != LUA_TUSERDATA)
        return;
    push_pins(L);
    lua_pushvalue(L, idx);
    lua_pushvalue(L, idx);
    lua_rawget(L, -3);
    lua_pushinteger(L, lua_tointeger(L, -1) + 1);
    lua_remove(L, -2);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    lua_pushvalue(L, idx);
    lua_rawseti(L, scope, luaL_len(L, scope) + 1);
}

void bind_check_unpinned(lua_State *L, int idx, const char *what)
{
    int pinned;
    idx = lua_absindex(L, idx);
    push_pins(L);
    lua_pushvalue(L, idx);
    pinned = lua_rawget(L, -2) != LUA_TNIL;
    lua_pop(L, 2);
    if (pinned)
        luaL_error(L, "cannot close %s: a running call uses it (fit's on_epoch, apply's function); close it after "
                   "that call returns", what);
}

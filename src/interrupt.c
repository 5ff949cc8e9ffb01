#include <signal.h>
#include <lauxlib.h>
#include "bind.h"
#include "core.h"
#include "interrupt.h"

static lua_State *armed_L;
/* The coroutine running inside the armed chunk (NULL: its main thread).
 * A Lua hook belongs to one thread, so the handler hooks this one too: a
 * loop in a coroutine would not see the main thread's hook. */
static lua_State *volatile running_co;
#define STOP_MASK (LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT)
/* the kernel: interrupts come from the notebook, often more than one, and
 * one that arrives between cells must not end the process */
static int keep_alive;

/* Runs at the next Lua instruction after SIGINT; does nothing when a C
 * loop already delivered the interrupt (and cleared the flag). */
static void lstop(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    lua_sethook(L, NULL, 0, 0);
    if (core_interrupt_flag)
        bind_raise_interrupt(L, "interrupted!");
}

static void on_sigint(int sig)
{
    lua_State *co = running_co;
    if (!keep_alive && core_interrupt_flag) { /* the last one is not delivered yet: this one terminates */
        signal(sig, SIG_DFL);
        raise(sig); /* on return from the handler, which blocks it meanwhile */
        return;
    }
    core_interrupt_flag = 1;
    if (armed_L)
        lua_sethook(armed_L, lstop, STOP_MASK, 1);
    if (armed_L && co)
        lua_sethook(co, lstop, STOP_MASK, 1);
}

/* coroutine.resume and the functions coroutine.wrap returns, as the
 * library's (lcorolib.c) with running_co set to the coroutine while it
 * runs: lua_resume never raises, so it is always put back. They call
 * lua_resume themselves rather than the library's functions in a
 * protected call, which would cost a C level a resume and halve how deep
 * coroutines nest (197 -> 99). */
static int resume_tracked(lua_State *L, lua_State *co, int narg)
{
    lua_State *prev = running_co;
    int status, nres;
    if (!lua_checkstack(co, narg)) {
        lua_pushliteral(L, "too many arguments to resume");
        return -1;
    }
    lua_xmove(L, co, narg);
    running_co = co;
    if (core_interrupt_flag && armed_L) /* a Ctrl-C that came just before */
        lua_sethook(co, lstop, STOP_MASK, 1);
    status = lua_resume(co, L, narg, &nres);
    running_co = prev;
    if (status == LUA_OK || status == LUA_YIELD) {
        if (!lua_checkstack(L, nres + 1)) {
            lua_pop(co, nres);
            lua_pushliteral(L, "too many results to resume");
            return -1;
        }
        lua_xmove(co, L, nres);
        return nres;
    }
    lua_xmove(co, L, 1); /* the error */
    return -1;
}

static int tracked_resume(lua_State *L)
{
    lua_State *co;
    int r;
    luaL_checktype(L, 1, LUA_TTHREAD);
    co = lua_tothread(L, 1);
    r = resume_tracked(L, co, lua_gettop(L) - 1);
    lua_pushboolean(L, r >= 0);
    lua_insert(L, r < 0 ? -2 : -(r + 1));
    return r < 0 ? 2 : r + 1;
}

/* an error goes on with the caller's position, as the library's does, but
 * an interrupt's stays the kept value */
static int tracked_wrapped(lua_State *L)
{
    lua_State *co = lua_tothread(L, lua_upvalueindex(1));
    int r = resume_tracked(L, co, lua_gettop(L)), stat;
    if (r >= 0)
        return r;
    stat = lua_status(co);
    if (stat != LUA_OK && stat != LUA_YIELD) { /* an error in the coroutine: close its to-be-closed variables */
#if LUA_VERSION_RELEASE_NUM >= 50406
        stat = lua_closethread(co, L);
#else
        stat = lua_resetthread(co);
#endif
        lua_xmove(co, L, 1);
    }
    if (stat != LUA_ERRMEM && lua_type(L, -1) == LUA_TSTRING && !bind_is_interrupt(L, -1)) {
        luaL_where(L, 1);
        lua_insert(L, -2);
        lua_concat(L, 2);
    }
    return lua_error(L);
}

static int tracked_wrap(lua_State *L)
{
    lua_State *co;
    luaL_checktype(L, 1, LUA_TFUNCTION);
    co = lua_newthread(L);
    lua_pushvalue(L, 1);
    lua_xmove(L, co, 1);
    lua_pushcclosure(L, tracked_wrapped, 1);
    return 1;
}

void interrupt_track_coroutines(lua_State *L)
{
    if (lua_getglobal(L, "coroutine") != LUA_TTABLE) {
        lua_pop(L, 1);
        return;
    }
    lua_pushcfunction(L, tracked_resume);
    lua_setfield(L, -2, "resume");
    lua_pushcfunction(L, tracked_wrap);
    lua_setfield(L, -2, "wrap");
    lua_pop(L, 1);
}

void interrupt_keep_alive(void)
{
    keep_alive = 1;
    signal(SIGINT, SIG_IGN);
}

void interrupt_arm(lua_State *L)
{
    struct sigaction sa;
    armed_L = L;
    running_co = NULL;
    core_interrupt_flag = 0;
    bind_forget_interrupt(L);
    sa.sa_handler = on_sigint;
    sa.sa_flags = 0;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

void interrupt_disarm(lua_State *L)
{
    struct sigaction sa;
    sa.sa_handler = keep_alive ? SIG_IGN : SIG_DFL;
    sa.sa_flags = 0;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    if (lua_gethook(L) == lstop)
        lua_sethook(L, NULL, 0, 0);
    core_interrupt_flag = 0;
    armed_L = NULL;
    running_co = NULL;
}

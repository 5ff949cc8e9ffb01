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

/* coroutine.resume, and the function coroutine.wrap returns, run the
 * library's own (upvalue 1) on coroutine co with running_co set to it, and
 * put it back however the call ends. The library's function runs in a
 * protected call so that running_co is restored before an error goes on;
 * the error then gets the position wrap's own function would give it (the
 * caller's), an interrupt's excepted, which stays the kept value. */
static int run_tracked(lua_State *L, lua_State *co, int wrapped)
{
    lua_State *prev = running_co;
    int n = lua_gettop(L), status;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    running_co = co;
    if (core_interrupt_flag && armed_L) /* a Ctrl-C that came just before */
        lua_sethook(co, lstop, STOP_MASK, 1);
    status = lua_pcall(L, n, LUA_MULTRET, 0);
    running_co = prev;
    if (status == LUA_OK)
        return lua_gettop(L);
    if (wrapped && lua_type(L, -1) == LUA_TSTRING && !bind_is_interrupt(L, -1)) {
        luaL_where(L, 1);
        lua_insert(L, -2);
        lua_concat(L, 2);
    }
    return lua_error(L);
}

static int tracked_resume(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTHREAD);
    return run_tracked(L, lua_tothread(L, 1), 0);
}

static int tracked_wrapped(lua_State *L) { return run_tracked(L, lua_tothread(L, lua_upvalueindex(2)), 1); }

/* coroutine.wrap(f): the library's function for f, tracked; upvalue 1 is
 * the library's wrap, which keeps the coroutine as its function's first
 * upvalue */
static int tracked_wrap(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_settop(L, 1);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 1, 1);
    if (lua_getupvalue(L, 1, 1) == NULL || lua_type(L, -1) != LUA_TTHREAD)
        return luaL_error(L, "coroutine.wrap: the library's function keeps no coroutine");
    lua_pushcclosure(L, tracked_wrapped, 2);
    return 1;
}

void interrupt_track_coroutines(lua_State *L)
{
    if (lua_getglobal(L, "coroutine") != LUA_TTABLE) {
        lua_pop(L, 1);
        return;
    }
    lua_getfield(L, -1, "resume");
    lua_pushcclosure(L, tracked_resume, 1);
    lua_setfield(L, -2, "resume");
    lua_getfield(L, -1, "wrap");
    lua_pushcclosure(L, tracked_wrap, 1);
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

#include <signal.h>
#include <lauxlib.h>
#include "bind.h"
#include "core.h"
#include "interrupt.h"

static lua_State *armed_L;
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
    int mask = LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT;
    if (!keep_alive)
        signal(sig, SIG_DFL); /* a second Ctrl-C terminates */
    core_interrupt_flag = 1;
    if (armed_L)
        lua_sethook(armed_L, lstop, mask, 1);
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
}

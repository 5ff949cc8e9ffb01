/* SIGINT while a chunk runs: a Lua hook stops Lua code, and the core's flag
 * stops long C loops at a consistent point. A second Ctrl-C before the first
 * is delivered kills the process (as lua.c). */
#ifndef SIMEC_INTERRUPT_H
#define SIMEC_INTERRUPT_H

#include <lua.h>

void interrupt_arm(lua_State *L);    /* before running a chunk */
void interrupt_disarm(lua_State *L); /* after it returned */
/* The kernel's rule: SIGINT between chunks is ignored, and every one while
 * a chunk runs interrupts it (none terminates the process). */
void interrupt_keep_alive(void);
/* coroutine.resume and coroutine.wrap's functions tell the handler which
 * coroutine runs, so that a loop in one stops too (after luaL_openlibs) */
void interrupt_track_coroutines(lua_State *L);

#endif

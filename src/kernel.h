/* simec as a Jupyter kernel: the messaging protocol 5.3 over ZeroMQ
 * (shell, control, iopub, stdin and heartbeat), one Lua state for the
 * kernel's life. Built when libzmq, jansson and libcrypto are found;
 * otherwise both entry points say so and fail. */
#ifndef SIMEC_KERNEL_H
#define SIMEC_KERNEL_H

#include <lua.h>

/* Serves the connection file's sockets until a shutdown request; the
 * state is set up as for a script (modules, globals). Returns 0 on a clean
 * shutdown, 1 with a message on stderr otherwise. */
int kernel_run(lua_State *L, const char *connection_file);

/* simec --install-kernel [--user | --prefix P] [--bin PATH]: writes the
 * kernelspec (kernel.json and logos) as kernels/simec under the Jupyter
 * data directory: P/share/jupyter, ~/.local/share/jupyter with --user,
 * else /usr/local/share/jupyter; the kernel it starts is PATH (default:
 * this simec). Returns the exit status. */
int kernel_install(int argc, char **argv);

#endif

#include <stdarg.h>
#include <stdio.h>
#include "core.h"

volatile sig_atomic_t core_interrupt_flag = 0;

int core_err_set(core_err *e, int code, const char *fmt, ...)
{
    va_list ap;
    if (!e)
        return code;
    e->code = code;
    e->at[0] = e->at[1] = -1;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return code;
}

const char *core_fmt_bytes(char *buf, size_t len, double bytes)
{
    static const char *unit[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    int u = 0;
    if (bytes < 1024) {
        snprintf(buf, len, "%.0f bytes", bytes);
        return buf;
    }
    while (bytes >= 1024 && u < 6) {
        bytes /= 1024;
        u++;
    }
    snprintf(buf, len, "%.1f %s", bytes, unit[u]);
    return buf;
}

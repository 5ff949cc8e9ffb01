#include <stdlib.h>
#include "core.h"

/* Read at each call (a model's run asks once), so a test can compare the
 * forms of a loop in one process by setting SIMEC_WIDE between runs. */
int core_wide(void)
{
#ifdef SIMEC_WIDE
    const char *env = getenv("SIMEC_WIDE");
    if (env && env[0] == '0' && env[1] == '\0')
        return 0;
    __builtin_cpu_init();
    return __builtin_cpu_supports("x86-64-v4") != 0;
#else
    return 0;
#endif
}

/* Replays the seed and regression corpora of one C fuzz target through its
 * LLVMFuzzerTestOneInput in the normal test build (no clang needed): every
 * file counts as a test, a finding aborts. Run from the repository root.
 *   test_fuzz_<target>   (dirs: tests/fuzz/seeds/<target>, tests/fuzz/regress/<target>) */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_dir(const char *dir, int *n)
{
    DIR *d = opendir(dir);
    struct dirent *ent;
    if (!d)
        return 0; /* a target may have no regression inputs yet */
    while ((ent = readdir(d))) {
        char path[4096];
        FILE *f;
        long len;
        uint8_t *buf;
        if (ent->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
        if (!(f = fopen(path, "rb")) || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
            fseek(f, 0, SEEK_SET) != 0 || !(buf = malloc((size_t)len + 1)) ||
            fread(buf, 1, (size_t)len, f) != (size_t)len) {
            fprintf(stderr, "replay: cannot read %s\n", path);
            closedir(d);
            return -1;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(buf, (size_t)len);
        free(buf);
        ++*n;
    }
    closedir(d);
    return 0;
}

int main(void)
{
    int n = 0;
    if (replay_dir("tests/fuzz/seeds/" FUZZ_NAME, &n) || replay_dir("tests/fuzz/regress/" FUZZ_NAME, &n))
        return printf("0 passed, 1 failed\n"), 1;
    if (n == 0)
        return printf("replay: no inputs for %s (run from the repository root)\n0 passed, 1 failed\n", FUZZ_NAME), 1;
    printf("%s: %d inputs replayed\n%d passed, 0 failed\n", FUZZ_NAME, n, n);
    return 0;
}

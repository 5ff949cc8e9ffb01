#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <dirent.h>
#include <time.h>
#include <sys/stat.h>
#include "io.h"

static time_t process_start;

/* when the process started, roughly: the first save's time is not it, so
 * the loader's constructor records it */
__attribute__((constructor)) static void record_start(void)
{
    process_start = time(NULL);
}

/* Temporaries of saves to path that a killed process left behind:
 * "<name>.tmp" and six characters (mkstemp's), last written before this
 * process started (so never a save running now in this process). */
static void remove_stale(const char *path)
{
    char dir[4096], full[8192];
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    size_t blen = strlen(base);
    DIR *d;
    struct dirent *ent;
    if (slash) {
        size_t n = (size_t)(slash - path);
        if (n >= sizeof dir)
            return;
        memcpy(dir, path, n);
        dir[n] = '\0';
        if (n == 0)
            strcpy(dir, "/");
    } else
        strcpy(dir, ".");
    if (!(d = opendir(dir)))
        return;
    while ((ent = readdir(d))) {
        const char *nm = ent->d_name, *suffix;
        struct stat st;
        size_t k;
        int ok = 1;
        if (strlen(nm) != blen + 10 || strncmp(nm, base, blen) != 0 || strncmp(nm + blen, ".tmp", 4) != 0)
            continue;
        suffix = nm + blen + 4;
        for (k = 0; k < 6; k++) {
            char c = suffix[k];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
                ok = 0;
        }
        snprintf(full, sizeof full, "%s/%s", dir, nm);
        if (ok && lstat(full, &st) == 0 && S_ISREG(st.st_mode) && st.st_mtime < process_start)
            (void)remove(full);
    }
    closedir(d);
}

int io_atomic_open(io_atomic *a, const char *path, core_err *e)
{
    int fd;
    struct stat st;
    memset(a, 0, sizeof *a);
    if (strlen(path) + 16 > sizeof a->tmp)
        return core_err_set(e, CORE_EINVAL, "%s: path too long", path);
    strcpy(a->path, path);
    remove_stale(path);
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode))
            return core_err_set(e, CORE_EIO, "%s: is a directory", path);
        a->direct = 1;
        if (!(a->f = fopen(path, "wb")))
            return core_err_set(e, CORE_EIO, "%s: %s", path, strerror(errno));
        return CORE_OK;
    }
    snprintf(a->tmp, sizeof a->tmp, "%s.tmpXXXXXX", path);
    fd = mkstemp(a->tmp);
    if (fd < 0)
        return core_err_set(e, CORE_EIO, "%s: cannot create a temporary file: %s", path, strerror(errno));
    (void)fchmod(fd, 0644);
    a->f = fdopen(fd, "wb");
    if (!a->f) {
        int err = errno;
        close(fd);
        remove(a->tmp);
        return core_err_set(e, CORE_EIO, "%s: %s", path, strerror(err));
    }
    return CORE_OK;
}

void io_atomic_abort(io_atomic *a)
{
    if (a->f) {
        fclose(a->f);
        a->f = NULL;
        if (!a->direct)
            remove(a->tmp);
    }
}

int io_atomic_fail(io_atomic *a, int err, core_err *e)
{
    if (a->f)
        io_atomic_abort(a);
    else if (!a->direct) /* closed already: the temporary alone is left */
        remove(a->tmp);
    if (a->direct) /* a device or pipe: there is no file to keep */
        return core_err_set(e, CORE_EIO, "%s: write failed: %s", a->path, strerror(err));
    return core_err_set(e, CORE_EIO, "%s: write failed: %s (the existing file, if any, is unchanged)", a->path,
                        strerror(err));
}

int io_atomic_commit(io_atomic *a, core_err *e)
{
    int bad = ferror(a->f) != 0, err = errno;
    if (!bad && fflush(a->f) != 0)
        bad = 1, err = errno;
    if (!bad && !a->direct && fsync(fileno(a->f)) != 0) /* a device or pipe: nothing to sync or rename */
        bad = 1, err = errno;
    if (bad)
        return io_atomic_fail(a, err, e);
    bad = fclose(a->f) != 0;
    a->f = NULL;
    if (bad || (!a->direct && rename(a->tmp, a->path) != 0))
        return io_atomic_fail(a, errno, e);
    return CORE_OK;
}

int io_not_dir(int fd, const char *path, core_err *e)
{
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
        return core_err_set(e, CORE_EIO, "%s: is a directory", path);
    return CORE_OK;
}

int io_fmt_double(char *buf, size_t len, double v)
{
    int p;
    for (p = 15; p <= 17; p++) {
        snprintf(buf, len, "%.*g", p, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return (int)strlen(buf);
}

/* The Jupyter kernel (messaging protocol 5.3). Threads: the main thread
 * owns the Lua state and the shell and stdin sockets; the control thread
 * answers interrupts and shutdowns while a cell runs; the heartbeat thread
 * echoes; the output thread turns what is written to file descriptors 1
 * and 2 (print, io.write, the C core's progress) into stream messages.
 * iopub is shared under a mutex. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <lua.h>
#include <lauxlib.h>
#include "kernel.h"

#ifndef SIMEC_KERNEL

int kernel_run(lua_State *L, const char *connection_file)
{
    (void)L, (void)connection_file;
    fprintf(stderr, "simec: built without the Jupyter kernel (it needs libzmq, jansson and libcrypto: "
                    "run scripts/install-deps.sh, then make)\n");
    return 1;
}

int kernel_install(int argc, char **argv)
{
    (void)argc, (void)argv;
    return kernel_run(NULL, NULL);
}

#else

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <time.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <zmq.h>
#include "bind.h"
#include "core.h"
#include "interrupt.h"
#include "repl.h"

#define PROTOCOL "5.3"
#define DELIM "<IDS|MSG>"
#define MAX_FRAMES 64              /* routing identities and parts of one message */
#define MAX_MESSAGE (64 << 20)     /* bytes: a cell, a completion, an input reply */
#define OUT_CHUNK 65536

typedef struct {
    void *p;
    size_t n;
} blob;

typedef struct {
    blob *idents;
    size_t nidents;
    json_t *header, *parent, *metadata, *content;
    const char *type;
} kmsg;

static struct {
    void *ctx, *shell, *control, *iopub, *stdin_sock, *hb;
    char *key;
    size_t keylen;
    char session[40], user[64];
    pthread_mutex_t iopub_mtx, out_mtx;
    json_t *parent;            /* the request iopub messages answer (iopub_mtx) */
    const kmsg *current;       /* the execute request (main thread) */
    int allow_stdin, count;
    volatile sig_atomic_t busy, shutdown;
    pthread_t main_thread, hb_thread, control_thread, out_thread;
    int wake[2];               /* control -> main: shut down */
    int out_r, err_r, log_fd;  /* the pipes behind fds 1 and 2; the original stderr */
    unsigned char held[2][4];  /* an incomplete UTF-8 sequence at the end of a read */
    size_t nheld[2];
    lua_State *L;
} K;

static void klog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void klog(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof buf - 2)
        n = (int)sizeof buf - 2;
    buf[n++] = '\n';
    if (write(K.log_fd, "simec kernel: ", 14) < 0 || write(K.log_fd, buf, (size_t)n) < 0)
        return;
}

/* ---- text ---- */

/* Length of the valid UTF-8 sequence at p (avail bytes): 0 when invalid,
 * -1 when valid so far but cut off by the end. */
static int utf8_seq(const unsigned char *p, size_t avail)
{
    unsigned c = p[0];
    int n, k;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    for (k = 1; k < n; k++) {
        if ((size_t)k >= avail)
            return -1;
        if (p[k] < (k == 1 ? lo : 0x80) || p[k] > (k == 1 ? hi : 0xBF))
            return 0;
    }
    return n;
}

/* s[0..n) as valid UTF-8 (each invalid byte becomes U+FFFD), malloc'ed
 * with its length in *out_n. With held, an incomplete sequence at the end
 * is left out and its length stored there. */
static char *utf8_clean(const char *s, size_t n, size_t *out_n, size_t *held)
{
    const unsigned char *p = (const unsigned char *)s;
    char *out, *q;
    size_t i = 0;
    if (n > (SIZE_MAX - 1) / 3 || !(out = malloc(3 * n + 1)))
        return NULL;
    q = out;
    if (held)
        *held = 0;
    while (i < n) {
        int len = utf8_seq(p + i, n - i);
        if (len == -1 && held) {
            *held = n - i;
            break;
        }
        if (len <= 0) {
            memcpy(q, "\xEF\xBF\xBD", 3);
            q += 3;
            i++;
            continue;
        }
        memcpy(q, p + i, (size_t)len);
        q += len;
        i += (size_t)len;
    }
    *q = '\0';
    *out_n = (size_t)(q - out);
    return out;
}

static json_t *jstr(const char *s, size_t n)
{
    size_t m;
    char *c = utf8_clean(s, n, &m, NULL);
    json_t *j = c ? json_stringn(c, m) : NULL;
    free(c);
    return j ? j : json_string("");
}

/* ---- messages ---- */

static void random_hex(char *out, size_t nbytes)
{
    unsigned char b[32];
    size_t i;
    if (nbytes > sizeof b)
        nbytes = sizeof b;
    if (RAND_bytes(b, (int)nbytes) != 1)
        for (i = 0; i < nbytes; i++)
            b[i] = (unsigned char)rand();
    for (i = 0; i < nbytes; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

static void uuid(char *out) /* 8-4-4-4-12 hex digits */
{
    char h[33];
    random_hex(h, 16);
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
}

static void iso_now(char *out, size_t n)
{
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, (long)tv.tv_usec);
}

/* The hex HMAC-SHA256 of the four parts with the connection key ("" when
 * the key is empty: signing is off). */
static void sign(const blob part[4], char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE], *buf;
    unsigned int mdlen = 0, i;
    size_t total = 0, k, off = 0;
    hex[0] = '\0';
    if (K.keylen == 0)
        return;
    for (k = 0; k < 4; k++)
        total += part[k].n;
    if (!(buf = malloc(total ? total : 1)))
        return;
    for (k = 0; k < 4; k++) {
        if (part[k].n)
            memcpy(buf + off, part[k].p, part[k].n);
        off += part[k].n;
    }
    if (HMAC(EVP_sha256(), K.key, (int)K.keylen, buf, total, md, &mdlen))
        for (i = 0; i < mdlen && i < 32; i++)
            sprintf(hex + 2 * i, "%02x", md[i]);
    free(buf);
}

static void kmsg_free(kmsg *m)
{
    size_t i;
    for (i = 0; i < m->nidents; i++)
        free(m->idents[i].p);
    free(m->idents);
    json_decref(m->header);
    json_decref(m->parent);
    json_decref(m->metadata);
    json_decref(m->content);
    memset(m, 0, sizeof *m);
}

/* Reads one multipart message; 1 when it is a well-formed, correctly
 * signed protocol message, 0 when it was dropped (and logged), -1 on a
 * socket error (errno set). */
static int kmsg_recv(void *sock, kmsg *m)
{
    blob frames[MAX_FRAMES + 6];
    size_t nf = 0, i, d;
    int more = 1, ok = 0;
    char hex[65];
    json_error_t jerr;
    memset(m, 0, sizeof *m);
    while (more) {
        zmq_msg_t part;
        size_t sz = sizeof more;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, sock, 0) < 0) {
            int e = errno;
            zmq_msg_close(&part);
            for (i = 0; i < nf; i++)
                free(frames[i].p);
            errno = e;
            return -1;
        }
        if (nf == sizeof frames / sizeof *frames)
            ok = -1; /* more parts than any protocol message has: read to the end, then drop */
        else if ((frames[nf].p = malloc(zmq_msg_size(&part) + 1)) != NULL) {
            frames[nf].n = zmq_msg_size(&part);
            memcpy(frames[nf].p, zmq_msg_data(&part), frames[nf].n);
            ((char *)frames[nf].p)[frames[nf].n] = '\0';
            nf++;
        } else
            ok = -1;
        zmq_msg_close(&part);
        if (zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz) != 0)
            more = 0;
    }
    for (d = 0; d < nf; d++)
        if (frames[d].n == strlen(DELIM) && memcmp(frames[d].p, DELIM, frames[d].n) == 0)
            break;
    if (ok == -1 || d == nf || nf - d < 6) {
        klog("a message without the protocol's frames dropped");
        goto done;
    }
    sign(frames + d + 2, hex);
    if (frames[d + 1].n != strlen(hex) || CRYPTO_memcmp(frames[d + 1].p, hex, strlen(hex)) != 0) {
        klog("a message with a bad signature dropped");
        goto done;
    }
    m->header = json_loadb(frames[d + 2].p, frames[d + 2].n, 0, &jerr);
    m->parent = json_loadb(frames[d + 3].p, frames[d + 3].n, 0, &jerr);
    m->metadata = json_loadb(frames[d + 4].p, frames[d + 4].n, 0, &jerr);
    m->content = json_loadb(frames[d + 5].p, frames[d + 5].n, 0, &jerr);
    if (!json_is_object(m->header) || !json_is_object(m->parent) || !json_is_object(m->metadata) ||
        !json_is_object(m->content) || !json_is_string(json_object_get(m->header, "msg_type"))) {
        klog("a message whose header or content is not a JSON object dropped");
        kmsg_free(m);
        goto done;
    }
    m->type = json_string_value(json_object_get(m->header, "msg_type"));
    if (d > 0 && !(m->idents = malloc(d * sizeof *m->idents))) {
        kmsg_free(m);
        goto done;
    }
    for (i = 0; i < d; i++) {
        m->idents[i] = frames[i];
        frames[i].p = NULL;
    }
    m->nidents = d;
    ok = 1;
done:
    for (i = 0; i < nf; i++)
        free(frames[i].p);
    return ok == 1;
}

static json_t *new_header(const char *type)
{
    char id[40], date[80];
    uuid(id);
    iso_now(date, sizeof date);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "msg_id", id, "session", K.session, "username", K.user,
                     "date", date, "msg_type", type, "version", PROTOCOL);
}

/* Sends content (a reference is taken) as a message of type to the
 * identities, in answer to parent (may be NULL). */
static void send_msg(void *sock, const blob *idents, size_t nidents, const char *type, json_t *parent,
                     json_t *content)
{
    json_t *header = new_header(type);
    char *s[4], hex[65];
    blob part[4];
    size_t i;
    int k, fail = 0;
    s[0] = header ? json_dumps(header, JSON_COMPACT) : NULL;
    s[1] = parent ? json_dumps(parent, JSON_COMPACT) : strdup("{}");
    s[2] = strdup("{}");
    s[3] = content ? json_dumps(content, JSON_COMPACT) : NULL;
    for (k = 0; k < 4; k++) {
        if (!s[k])
            fail = 1;
        part[k].p = s[k];
        part[k].n = s[k] ? strlen(s[k]) : 0;
    }
    if (!fail) {
        sign(part, hex);
        for (i = 0; i < nidents; i++)
            zmq_send(sock, idents[i].p, idents[i].n, ZMQ_SNDMORE);
        zmq_send(sock, DELIM, strlen(DELIM), ZMQ_SNDMORE);
        zmq_send(sock, hex, strlen(hex), ZMQ_SNDMORE);
        for (k = 0; k < 4; k++)
            zmq_send(sock, part[k].p, part[k].n, k < 3 ? ZMQ_SNDMORE : 0);
    } else
        klog("out of memory: a %s message was not sent", type);
    for (k = 0; k < 4; k++)
        free(s[k]);
    json_decref(header);
    json_decref(content);
}

static void reply(void *sock, const kmsg *req, const char *type, json_t *content)
{
    send_msg(sock, req->idents, req->nidents, type, req->header, content);
}

/* iopub under its lock, in answer to parent (NULL: the current request) */
static void publish(const char *type, json_t *content, json_t *parent)
{
    blob topic;
    pthread_mutex_lock(&K.iopub_mtx);
    topic.p = (void *)type;
    topic.n = strlen(type);
    send_msg(K.iopub, &topic, 1, type, parent ? parent : K.parent, content);
    pthread_mutex_unlock(&K.iopub_mtx);
}

static void publish_status(const char *state, json_t *parent)
{
    publish("status", json_pack("{s:s}", "execution_state", state), parent);
}

static void set_parent(json_t *header)
{
    pthread_mutex_lock(&K.iopub_mtx);
    json_decref(K.parent);
    K.parent = json_incref(header);
    pthread_mutex_unlock(&K.iopub_mtx);
}

/* ---- output: fds 1 and 2 as stream messages ---- */

static void publish_stream(int which, const char *buf, size_t n, int final)
{
    unsigned char tmp[OUT_CHUNK + 4];
    size_t m, held = 0, len;
    char *text;
    if (K.nheld[which])
        memcpy(tmp, K.held[which], K.nheld[which]);
    if (n > OUT_CHUNK)
        n = OUT_CHUNK;
    memcpy(tmp + K.nheld[which], buf, n);
    len = K.nheld[which] + n;
    K.nheld[which] = 0;
    if (len == 0)
        return;
    text = utf8_clean((const char *)tmp, len, &m, final ? NULL : &held);
    if (held) {
        memcpy(K.held[which], tmp + len - held, held);
        K.nheld[which] = held;
    }
    if (text && m > 0)
        publish("stream", json_pack("{s:s, s:o}", "name", which ? "stderr" : "stdout", "text", json_stringn(text, m)),
                NULL);
    free(text);
}

static void *output_main(void *arg)
{
    char buf[OUT_CHUNK];
    struct pollfd p[2];
    int open = 2;
    (void)arg;
    p[0].fd = K.out_r, p[1].fd = K.err_r;
    p[0].events = p[1].events = POLLIN;
    while (open > 0) {
        int k;
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        pthread_mutex_lock(&K.out_mtx);
        for (k = 0; k < 2; k++) {
            if (p[k].fd >= 0 && (p[k].revents & (POLLIN | POLLHUP | POLLERR))) {
                ssize_t n = read(p[k].fd, buf, sizeof buf);
                if (n > 0)
                    publish_stream(k, buf, (size_t)n, 0);
                else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                    publish_stream(k, "", 0, 1);
                    p[k].fd = -1;
                    open--;
                }
            }
        }
        pthread_mutex_unlock(&K.out_mtx);
    }
    return NULL;
}

/* Waits until everything written to fds 1 and 2 so far went out as stream
 * messages, so they come before the reply and the result. */
static void sync_output(int final)
{
    int waited;
    fflush(stdout);
    fflush(stderr);
    for (waited = 0; waited < 5000; waited++) {
        int a = 0, b = 0;
        pthread_mutex_lock(&K.out_mtx);
        if (ioctl(K.out_r, FIONREAD, &a) != 0 || ioctl(K.err_r, FIONREAD, &b) != 0)
            a = b = 0;
        if (a == 0 && b == 0) {
            if (final) {
                publish_stream(0, "", 0, 1);
                publish_stream(1, "", 0, 1);
            }
            pthread_mutex_unlock(&K.out_mtx);
            return;
        }
        pthread_mutex_unlock(&K.out_mtx);
        usleep(1000);
    }
}

static int redirect_output(void)
{
    int out[2], err[2];
    if (pipe(out) != 0 || pipe(err) != 0)
        return -1;
    fflush(stdout);
    fflush(stderr);
    if (dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
        return -1;
    close(out[1]);
    close(err[1]);
    K.out_r = out[0];
    K.err_r = err[0];
    fcntl(K.out_r, F_SETFD, FD_CLOEXEC);
    fcntl(K.err_r, F_SETFD, FD_CLOEXEC);
    setvbuf(stdout, NULL, _IOLBF, 0); /* a line at a time, so a long cell's prints arrive as it runs */
    return 0;
}

/* ---- heartbeat and control ---- */

static void *hb_main(void *arg)
{
    (void)arg;
    zmq_proxy(K.hb, K.hb, NULL); /* echoes until the context is shut down */
    return NULL;
}

static json_t *kernel_info(void)
{
    char banner[128];
    snprintf(banner, sizeof banner, "simec %s (%s)", SIMEC_VERSION, LUA_RELEASE);
    return json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s}, s:s, s:[{s:s, s:s}], s:b}",
                     "status", "ok", "protocol_version", PROTOCOL, "implementation", "simec",
                     "implementation_version", SIMEC_VERSION, "language_info", "name", "lua", "version",
                     LUA_VERSION_MAJOR "." LUA_VERSION_MINOR "." LUA_VERSION_RELEASE, "mimetype", "text/x-lua",
                     "file_extension", ".lua", "pygments_lexer", "lua", "codemirror_mode", "lua", "banner", banner,
                     "help_links", "text", "simec reference", "url", "https://www.lua.org/manual/5.4/",
                     "debugger", 0);
}

static void request_shutdown(void)
{
    char c = 's';
    K.shutdown = 1;
    if (K.busy)
        pthread_kill(K.main_thread, SIGINT);
    if (write(K.wake[1], &c, 1) < 0)
        klog("cannot wake the main thread: %s", strerror(errno));
}

static void *control_main(void *arg)
{
    (void)arg;
    while (!K.shutdown) {
        kmsg m;
        zmq_pollitem_t item = {K.control, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&item, 1, 200);
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (rc == 0)
            continue;
        rc = kmsg_recv(K.control, &m);
        if (rc < 0)
            break;
        if (rc == 0)
            continue;
        publish_status("busy", m.header);
        if (strcmp(m.type, "interrupt_request") == 0) {
            if (K.busy)
                pthread_kill(K.main_thread, SIGINT);
            reply(K.control, &m, "interrupt_reply", json_pack("{s:s}", "status", "ok"));
        } else if (strcmp(m.type, "shutdown_request") == 0) {
            int restart = json_is_true(json_object_get(m.content, "restart"));
            reply(K.control, &m, "shutdown_reply", json_pack("{s:s, s:b}", "status", "ok", "restart", restart));
            publish_status("idle", m.header);
            kmsg_free(&m);
            request_shutdown();
            break;
        } else if (strcmp(m.type, "kernel_info_request") == 0)
            reply(K.control, &m, "kernel_info_reply", kernel_info());
        else
            klog("control message of type %s ignored", m.type);
        publish_status("idle", m.header);
        kmsg_free(&m);
    }
    return NULL;
}

/* ---- running Lua ---- */

/* Calls fn(L) with ud as its light userdata argument under a pcall, so a
 * memory error in the kernel's own Lua work is reported, not a panic. */
static int protect(lua_CFunction fn, void *ud)
{
    int status;
    lua_pushcfunction(K.L, fn);
    lua_pushlightuserdata(K.L, ud);
    status = lua_pcall(K.L, 1, 0, 0);
    if (status != LUA_OK) {
        klog("%s", lua_tostring(K.L, -1) ? lua_tostring(K.L, -1) : "error");
        lua_pop(K.L, 1);
    }
    return status;
}

/* Pushes the function field of the module simec.notebook (required on
 * first use) and returns 1; pushes nil and returns 0 when it has none. */
static int push_notebook(lua_State *L, const char *field)
{
    int top = lua_gettop(L);
    lua_getglobal(L, "require");
    lua_pushliteral(L, "simec.notebook");
    if (lua_pcall(L, 1, 1, 0) != LUA_OK)
        klog("require \"simec.notebook\": %s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "error");
    else if (lua_istable(L, -1) && lua_getfield(L, -1, field) == LUA_TFUNCTION) {
        lua_replace(L, top + 1);
        lua_settop(L, top + 1);
        return 1;
    }
    lua_settop(L, top);
    lua_pushnil(L);
    return 0;
}

/* The table at idx {mime = text} as a JSON object (string fields only). */
static json_t *mime_object(lua_State *L, int idx)
{
    json_t *o = json_object();
    idx = lua_absindex(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING) {
            size_t n;
            const char *s = lua_tolstring(L, -1, &n);
            json_object_set_new(o, lua_tostring(L, -2), jstr(s, n));
        }
        lua_pop(L, 1);
    }
    return o;
}

/* The display data of the n values on top of the stack (popped): what
 * simec.notebook.bundle makes of them, else their text form. */
static json_t *bundle_of(lua_State *L, int n)
{
    int base = lua_gettop(L) - n + 1, status = LUA_ERRRUN;
    json_t *data = NULL;
    if (push_notebook(L, "bundle")) {
        int k;
        for (k = 0; k < n; k++)
            lua_pushvalue(L, base + k);
        status = repl_docall(L, n, 1);
        if (status == LUA_OK && lua_istable(L, -1))
            data = mime_object(L, -1);
        else if (status != LUA_OK)
            klog("notebook.bundle: %s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "error");
        lua_pop(L, 1);
    } else
        lua_pop(L, 1);
    if (!data) {
        luaL_Buffer b;
        int k;
        luaL_buffinit(L, &b);
        for (k = 0; k < n; k++) {
            if (k > 0)
                luaL_addchar(&b, '\t');
            luaL_tolstring(L, base + k, NULL);
            luaL_addvalue(&b);
        }
        luaL_pushresult(&b);
        data = json_object();
        json_object_set_new(data, "text/plain", jstr(lua_tostring(L, -1), lua_rawlen(L, -1)));
        lua_pop(L, 1);
    }
    lua_settop(L, base - 1);
    return data;
}

/* a cell's chunk: its value is shown when it ends in an expression */
static int ambiguous_start(const char *s)
{
    static const char *const ops[] = {"and", "or", "not", NULL};
    int k;
    if (strchr("-+*/%^#&~|<>=.,:;([{\"'", *s)) /* these continue an expression or call */
        return 1;
    for (k = 0; ops[k]; k++) {
        size_t n = strlen(ops[k]);
        if (strncmp(s, ops[k], n) == 0 && !(s[n] == '_' || (s[n] >= '0' && s[n] <= '9') ||
                                           ((s[n] | 32) >= 'a' && (s[n] | 32) <= 'z')))
            return 1;
    }
    return 0;
}

static int compiles(lua_State *L, const char *code, size_t len)
{
    int ok = luaL_loadbuffer(L, code, len, "=cell") == LUA_OK;
    lua_pop(L, 1);
    return ok;
}

/* Loads a cell like the REPL loads a line: "return <cell>" when the cell
 * is one expression; else, when its last line is an expression that
 * cannot continue the line before it and the lines before it are whole
 * statements, the cell with "return" before that line (so the cell's
 * value is shown and its locals stay in scope); else the cell as it is. */
static int load_cell(lua_State *L, const char *code, size_t len, const char *name)
{
    size_t end = len, start;
    int status;
    lua_pushfstring(L, "return %s\n;", code);
    status = luaL_loadbuffer(L, lua_tostring(L, -1), lua_rawlen(L, -1), name);
    lua_remove(L, -2);
    if (status == LUA_OK)
        return status;
    lua_pop(L, 1);
    while (end > 0 && strchr(" \t\r\n", code[end - 1]))
        end--;
    start = end;
    while (start > 0 && code[start - 1] != '\n')
        start--;
    while (start < end && (code[start] == ' ' || code[start] == '\t'))
        start++;
    if (start < end && start > 0 && !ambiguous_start(code + start) && compiles(L, code, start)) {
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        luaL_addlstring(&b, code, start);
        luaL_addstring(&b, "return ");
        luaL_addlstring(&b, code + start, end - start);
        luaL_addstring(&b, "\n;");
        luaL_pushresult(&b);
        if (luaL_loadbuffer(L, lua_tostring(L, -1), lua_rawlen(L, -1), name) == LUA_OK) {
            lua_remove(L, -2); /* the source */
            return LUA_OK;
        }
        lua_pop(L, 2);
    }
    return luaL_loadbuffer(L, code, len, name);
}

struct cell {
    const char *code;
    size_t len;
    int silent;
    json_t *data;   /* the value's display data, or NULL */
    char *error;    /* the error message with its traceback, or NULL */
};

static int l_cell(lua_State *L)
{
    struct cell *c = lua_touserdata(L, 1);
    char name[32];
    int status, n;
    lua_settop(L, 0);
    snprintf(name, sizeof name, "=In[%d]", K.count);
    lua_pushlstring(L, c->code, c->len);
    lua_setfield(L, LUA_REGISTRYINDEX, "simec.repl_line"); /* help(nil) reads the line that was run */
    status = load_cell(L, c->code, c->len, name);
    if (status == LUA_OK)
        status = repl_docall(L, 0, LUA_MULTRET);
    if (status != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        c->error = strdup(msg ? msg : "(error object is not a string)");
        lua_settop(L, 0);
        return 0;
    }
    n = lua_gettop(L);
    if (n > 0 && !c->silent) {
        sync_output(0); /* what the cell printed comes before its value */
        c->data = bundle_of(L, n);
    }
    lua_settop(L, 0);
    return 0;
}

static json_t *error_content(const char *msg)
{
    const char *tb = strstr(msg, "\nstack traceback:");
    size_t vlen = tb ? (size_t)(tb - msg) : strlen(msg);
    json_t *lines = json_array();
    const char *p = msg;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        json_array_append_new(lines, jstr(p, n));
        p += n + (nl ? 1 : 0);
    }
    return json_pack("{s:s, s:o, s:o}", "ename", strstr(msg, "interrupted!") ? "Interrupted" : "LuaError", "evalue",
                     jstr(msg, vlen), "traceback", lines);
}

struct expr {
    const char *code;
    json_t *out;
};

static int l_expr(lua_State *L)
{
    struct expr *x = lua_touserdata(L, 1);
    int status;
    lua_settop(L, 0);
    lua_pushfstring(L, "return %s\n;", x->code);
    status = luaL_loadbuffer(L, lua_tostring(L, -1), lua_rawlen(L, -1), "=user_expression");
    lua_remove(L, 1);
    if (status == LUA_OK)
        status = repl_docall(L, 0, 1);
    if (status == LUA_OK) {
        json_t *d = bundle_of(L, 1);
        x->out = json_pack("{s:s, s:o, s:{}}", "status", "ok", "data", d, "metadata");
    } else {
        json_t *e = error_content(lua_tostring(L, -1) ? lua_tostring(L, -1) : "error");
        json_object_set_new(e, "status", json_string("error"));
        x->out = e;
    }
    lua_settop(L, 0);
    return 0;
}

static void handle_shell(const kmsg *m);

/* After an error in a cell run with stop_on_error (the default), the
 * execute requests already queued behind it (a notebook's "run all") are
 * answered "aborted" without running, as ipykernel does; other requests
 * in the queue are served as usual. */
static void abort_queued(void)
{
    for (;;) {
        kmsg m;
        zmq_pollitem_t item = {K.shell, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&item, 1, 0);
        if (rc <= 0 || (rc = kmsg_recv(K.shell, &m)) < 0)
            return;
        if (rc == 0)
            continue;
        if (strcmp(m.type, "execute_request") == 0) {
            set_parent(m.header);
            publish_status("busy", NULL);
            reply(K.shell, &m, "execute_reply", json_pack("{s:s, s:i, s:{}, s:[]}", "status", "aborted",
                                                          "execution_count", K.count, "user_expressions", "payload"));
            publish_status("idle", NULL);
        } else
            handle_shell(&m);
        kmsg_free(&m);
    }
}

static void do_execute(const kmsg *m)
{
    json_t *jcode = json_object_get(m->content, "code"), *uexp = json_object_get(m->content, "user_expressions");
    json_t *jstore = json_object_get(m->content, "store_history"), *jstdin = json_object_get(m->content, "allow_stdin");
    struct cell c;
    json_t *results = json_object(), *rep;
    memset(&c, 0, sizeof c);
    if (!json_is_string(jcode)) {
        reply(K.shell, m, "execute_reply", json_pack("{s:s, s:s, s:s, s:[s], s:i}", "status", "error", "ename",
                                                     "BadRequest", "evalue", "execute_request without code",
                                                     "traceback", "execute_request without code",
                                                     "execution_count", K.count));
        json_decref(results);
        return;
    }
    c.code = json_string_value(jcode);
    c.len = json_string_length(jcode);
    c.silent = json_is_true(json_object_get(m->content, "silent"));
    if (!c.silent && (!jstore || json_is_true(jstore)))
        K.count++;
    K.allow_stdin = !jstdin || json_is_true(jstdin);
    K.current = m;
    if (!c.silent)
        publish("execute_input", json_pack("{s:s, s:i}", "code", c.code, "execution_count", K.count), NULL);
    K.busy = 1;
    if (protect(l_cell, &c) != LUA_OK && !c.error)
        c.error = strdup("out of memory");
    K.busy = 0;
    sync_output(1);
    if (c.error) {
        json_t *e = error_content(c.error);
        if (!c.silent)
            publish("error", json_deep_copy(e), NULL);
        json_object_set_new(e, "status", json_string("error"));
        json_object_set_new(e, "execution_count", json_integer(K.count));
        json_object_set_new(e, "user_expressions", json_object());
        json_object_set_new(e, "payload", json_array());
        if (!c.silent && !json_is_false(json_object_get(m->content, "stop_on_error"))) {
            /* before the reply: what the client sends once it has the
             * reply is never among the aborted */
            abort_queued();
            set_parent(m->header);
        }
        reply(K.shell, m, "execute_reply", e);
        json_decref(results);
        free(c.error);
        json_decref(c.data);
        K.current = NULL;
        return;
    }
    if (c.data)
        publish("execute_result", json_pack("{s:i, s:o, s:{}}", "execution_count", K.count, "data", c.data,
                                            "metadata"), NULL);
    if (json_is_object(uexp)) {
        const char *name;
        json_t *v;
        json_object_foreach(uexp, name, v) {
            struct expr x;
            if (!json_is_string(v))
                continue;
            x.code = json_string_value(v);
            x.out = NULL;
            if (protect(l_expr, &x) == LUA_OK && x.out)
                json_object_set_new(results, name, x.out);
        }
    }
    rep = json_pack("{s:s, s:i, s:o, s:[]}", "status", "ok", "execution_count", K.count, "user_expressions", results,
                    "payload");
    reply(K.shell, m, "execute_reply", rep);
    K.current = NULL;
}

/* the code-point offset pos of code as a byte offset */
static size_t byte_offset(const char *code, size_t len, json_int_t pos)
{
    size_t i = 0;
    json_int_t k = 0;
    while (i < len && k < pos) {
        int n = utf8_seq((const unsigned char *)code + i, len - i);
        i += n > 0 ? (size_t)n : 1;
        k++;
    }
    return i;
}

static int name_char(char ch)
{
    return ch == '_' || ch == '.' || ch == ':' || (ch >= '0' && ch <= '9') || ((ch | 32) >= 'a' && (ch | 32) <= 'z');
}

/* the code points of code[0..bytes) (reply positions count code points) */
static json_int_t code_points(const char *code, size_t bytes)
{
    json_int_t k = 0;
    size_t i = 0;
    while (i < bytes) {
        int n = utf8_seq((const unsigned char *)code + i, bytes - i);
        i += n > 0 ? (size_t)n : 1;
        k++;
    }
    return k;
}

struct lookup {
    const char *code;
    size_t len;
    size_t cursor;
    json_t *out;
};

static int l_complete(lua_State *L)
{
    struct lookup *q = lua_touserdata(L, 1);
    size_t start = q->cursor, n, k;
    char *const *list;
    json_t *matches = json_array();
    while (start > 0 && name_char(q->code[start - 1]))
        start--;
    lua_pushlstring(L, q->code + start, q->cursor - start);
    n = repl_complete(L, lua_tostring(L, -1), &list);
    for (k = 0; k < n; k++)
        json_array_append_new(matches, json_string(list[k]));
    q->out = json_pack("{s:o, s:I, s:I, s:{}, s:s}", "matches", matches, "cursor_start", code_points(q->code, start),
                       "cursor_end", code_points(q->code, q->cursor), "metadata", "status", "ok");
    return 0;
}

static int l_inspect(lua_State *L)
{
    struct lookup *q = lua_touserdata(L, 1);
    size_t start = q->cursor, end = q->cursor;
    lua_settop(L, 0);
    while (start > 0 && name_char(q->code[start - 1]))
        start--;
    while (end < q->len && name_char(q->code[end]))
        end++;
    q->out = NULL;
    if (end > start && push_notebook(L, "inspect")) {
        lua_pushlstring(L, q->code + start, end - start);
        if (repl_docall(L, 1, 1) == LUA_OK && lua_type(L, -1) == LUA_TSTRING)
            q->out = jstr(lua_tostring(L, -1), lua_rawlen(L, -1));
    }
    lua_settop(L, 0);
    return 0;
}

static int l_is_complete(lua_State *L)
{
    struct lookup *q = lua_touserdata(L, 1);
    static const char *const names[] = {"complete", "incomplete", "invalid", "unknown"};
    int s = repl_code_status(L, q->code, q->len);
    q->out = json_pack("{s:s}", "status", names[s < 0 || s > 3 ? 3 : s]);
    if (s == 1)
        json_object_set_new(q->out, "indent", json_string(""));
    return 0;
}

/* the code-point cursor of a complete/inspect request (default: the end) */
static void lookup_of(const kmsg *m, struct lookup *q)
{
    json_t *code = json_object_get(m->content, "code"), *pos = json_object_get(m->content, "cursor_pos");
    q->code = json_is_string(code) ? json_string_value(code) : "";
    q->len = json_is_string(code) ? json_string_length(code) : 0;
    q->cursor = json_is_integer(pos) && json_integer_value(pos) >= 0
                    ? byte_offset(q->code, q->len, json_integer_value(pos)) : q->len;
    q->out = NULL;
}

static void handle_shell(const kmsg *m)
{
    struct lookup q;
    set_parent(m->header);
    publish_status("busy", NULL);
    if (strcmp(m->type, "execute_request") == 0)
        do_execute(m);
    else if (strcmp(m->type, "kernel_info_request") == 0)
        reply(K.shell, m, "kernel_info_reply", kernel_info());
    else if (strcmp(m->type, "complete_request") == 0) {
        lookup_of(m, &q);
        if (protect(l_complete, &q) == LUA_OK && q.out)
            reply(K.shell, m, "complete_reply", q.out);
        else
            reply(K.shell, m, "complete_reply", json_pack("{s:[], s:i, s:i, s:{}, s:s}", "matches", "cursor_start", 0,
                                                          "cursor_end", 0, "metadata", "status", "ok"));
    } else if (strcmp(m->type, "inspect_request") == 0) {
        lookup_of(m, &q);
        protect(l_inspect, &q);
        if (q.out)
            reply(K.shell, m, "inspect_reply", json_pack("{s:s, s:b, s:{s:o}, s:{}}", "status", "ok", "found", 1,
                                                         "data", "text/plain", q.out, "metadata"));
        else
            reply(K.shell, m, "inspect_reply", json_pack("{s:s, s:b, s:{}, s:{}}", "status", "ok", "found", 0, "data",
                                                         "metadata"));
    } else if (strcmp(m->type, "is_complete_request") == 0) {
        lookup_of(m, &q);
        if (protect(l_is_complete, &q) == LUA_OK && q.out)
            reply(K.shell, m, "is_complete_reply", q.out);
        else
            reply(K.shell, m, "is_complete_reply", json_pack("{s:s}", "status", "unknown"));
    } else if (strcmp(m->type, "history_request") == 0)
        reply(K.shell, m, "history_reply", json_pack("{s:s, s:[]}", "status", "ok", "history"));
    else if (strcmp(m->type, "comm_info_request") == 0)
        reply(K.shell, m, "comm_info_reply", json_pack("{s:s, s:{}}", "status", "ok", "comms"));
    else if (strcmp(m->type, "shutdown_request") == 0) {
        int restart = json_is_true(json_object_get(m->content, "restart"));
        reply(K.shell, m, "shutdown_reply", json_pack("{s:s, s:b}", "status", "ok", "restart", restart));
        K.shutdown = 1;
    } else
        klog("shell message of type %s ignored", m->type);
    publish_status("idle", NULL);
}

/* ---- Lua functions of the kernel's state ---- */

/* One line from the notebook's input box (input_request on stdin). */
static int input_line(lua_State *L, const char *prompt, int password)
{
    const kmsg *m = K.current;
    if (!m || !K.allow_stdin)
        return luaL_error(L, "io.read: this notebook does not take input (its request has allow_stdin false)");
    sync_output(0);
    send_msg(K.stdin_sock, m->idents, m->nidents, "input_request", m->header,
             json_pack("{s:s, s:b}", "prompt", prompt, "password", password));
    for (;;) {
        kmsg r;
        zmq_pollitem_t item = {K.stdin_sock, 0, ZMQ_POLLIN, 0};
        int rc;
        if (core_interrupt_flag || K.shutdown)
            return bind_raise_interrupt(L, "interrupted!");
        rc = zmq_poll(&item, 1, 100);
        if (rc < 0 && errno != EINTR)
            return luaL_error(L, "io.read: %s", zmq_strerror(errno));
        if (rc <= 0)
            continue;
        rc = kmsg_recv(K.stdin_sock, &r);
        if (rc < 0)
            return luaL_error(L, "io.read: %s", zmq_strerror(errno));
        if (rc == 1 && strcmp(r.type, "input_reply") == 0) {
            json_t *v = json_object_get(r.content, "value");
            if (json_is_string(v))
                lua_pushlstring(L, json_string_value(v), json_string_length(v));
            else
                lua_pushliteral(L, "");
            kmsg_free(&r);
            return 1;
        }
        if (rc == 1)
            kmsg_free(&r);
    }
}

/* io.read(...) in the kernel: each format reads one line of input. */
static int l_read(lua_State *L)
{
    int n = lua_gettop(L), k;
    if (n == 0) {
        lua_pushliteral(L, "l");
        n = 1;
    }
    luaL_checkstack(L, n, "too many arguments");
    for (k = 1; k <= n; k++) {
        size_t len;
        const char *line;
        input_line(L, "", 0);
        line = lua_tolstring(L, -1, &len);
        if (lua_type(L, k) == LUA_TNUMBER) {
            lua_Integer c = luaL_checkinteger(L, k);
            lua_pushlstring(L, line, c < 0 ? 0 : (size_t)c < len ? (size_t)c : len);
        } else {
            const char *f = luaL_checkstring(L, k);
            if (*f == '*')
                f++;
            if (*f == 'n') {
                if (lua_stringtonumber(L, line) == 0)
                    lua_pushnil(L);
            } else if (*f == 'L')
                lua_pushfstring(L, "%s\n", line);
            else if (*f == 'l' || *f == 'a')
                lua_pushvalue(L, -1);
            else
                return luaL_argerror(L, k, "invalid format");
        }
        lua_remove(L, -2);
    }
    return n;
}

/* notebook.sink(data [, display_id [, update]]): display_data, or
 * update_display_data of an earlier display with that id. */
static int l_sink(lua_State *L)
{
    json_t *content, *data;
    int update = lua_toboolean(L, 3);
    luaL_checktype(L, 1, LUA_TTABLE);
    if (update)
        luaL_checkstring(L, 2);
    sync_output(0);
    data = mime_object(L, 1);
    content = json_pack("{s:o, s:{}, s:{}}", "data", data, "metadata", "transient");
    if (lua_type(L, 2) == LUA_TSTRING)
        json_object_set_new(json_object_get(content, "transient"), "display_id",
                            jstr(lua_tostring(L, 2), lua_rawlen(L, 2)));
    publish(update ? "update_display_data" : "display_data", content, NULL);
    return 0;
}

static int l_setup(lua_State *L)
{
    lua_pushboolean(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, PROGRESS_IN_PLACE);
    lua_getglobal(L, "io");
    lua_pushcfunction(L, l_read);
    lua_setfield(L, -2, "read");
    lua_pop(L, 1);
    if (push_notebook(L, "display")) {
        lua_setglobal(L, "display");
        lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
        lua_getfield(L, -1, "simec.notebook");
        lua_pushcfunction(L, l_sink);
        lua_setfield(L, -2, "sink");
        lua_pop(L, 2);
    } else
        lua_pop(L, 1);
    return 0;
}

/* ---- set-up ---- */

static int read_connection(const char *path, json_t **conn, char *endpoint[5])
{
    static const char *const ports[5] = {"shell_port", "control_port", "iopub_port", "stdin_port", "hb_port"};
    json_error_t jerr;
    json_t *c = json_load_file(path, 0, &jerr), *v;
    const char *transport, *ip, *scheme;
    int k;
    if (!c) {
        if (jerr.line > 0)
            fprintf(stderr, "simec --kernel: %s:%d: %s\n", path, jerr.line, jerr.text);
        else
            fprintf(stderr, "simec --kernel: %s\n", jerr.text);
        return -1;
    }
    *conn = c;
    if (!json_is_object(c)) {
        fprintf(stderr, "simec --kernel: %s: not a JSON object\n", path);
        return -1;
    }
    v = json_object_get(c, "key");
    if (v && !json_is_string(v)) {
        fprintf(stderr, "simec --kernel: %s: \"key\" must be a string\n", path);
        return -1;
    }
    K.key = strdup(v ? json_string_value(v) : "");
    K.keylen = v ? json_string_length(v) : 0;
    v = json_object_get(c, "signature_scheme");
    scheme = json_is_string(v) ? json_string_value(v) : "hmac-sha256";
    if (K.keylen > 0 && strcmp(scheme, "hmac-sha256") != 0) {
        fprintf(stderr, "simec --kernel: %s: signature_scheme \"%s\" is not supported (hmac-sha256 is)\n", path,
                scheme);
        return -1;
    }
    v = json_object_get(c, "transport");
    transport = json_is_string(v) ? json_string_value(v) : "tcp";
    v = json_object_get(c, "ip");
    ip = json_is_string(v) ? json_string_value(v) : "127.0.0.1";
    if (strcmp(transport, "tcp") != 0 && strcmp(transport, "ipc") != 0) {
        fprintf(stderr, "simec --kernel: %s: transport \"%s\" is not tcp or ipc\n", path, transport);
        return -1;
    }
    for (k = 0; k < 5; k++) {
        json_int_t port;
        size_t n = strlen(ip) + 32;
        v = json_object_get(c, ports[k]);
        if (!json_is_integer(v) || (port = json_integer_value(v)) <= 0 || port > 65535) {
            fprintf(stderr, "simec --kernel: %s: \"%s\" must be a port number (1 to 65535)\n", path, ports[k]);
            return -1;
        }
        if (!(endpoint[k] = malloc(n)))
            return -1;
        snprintf(endpoint[k], n, strcmp(transport, "tcp") == 0 ? "tcp://%s:%d" : "ipc://%s-%d", ip, (int)port);
    }
    return 0;
}

static void *open_socket(int type, const char *endpoint)
{
    void *s = zmq_socket(K.ctx, type);
    int linger = 1000;
    int64_t maxsize = MAX_MESSAGE;
    if (!s)
        return NULL;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    if (type != ZMQ_PUB)
        zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxsize, sizeof maxsize);
    if (zmq_bind(s, endpoint) != 0) {
        fprintf(stderr, "simec --kernel: cannot listen on %s: %s\n", endpoint, zmq_strerror(errno));
        zmq_close(s);
        return NULL;
    }
    return s;
}

int kernel_run(lua_State *L, const char *connection_file)
{
    json_t *conn = NULL;
    char *endpoint[5] = {NULL, NULL, NULL, NULL, NULL};
    int k, rc = 1, threads = 0;
    sigset_t block, old;
    const char *user = getenv("USER");
    memset(&K, 0, sizeof K);
    K.L = L;
    K.log_fd = 2;
    K.wake[0] = K.wake[1] = -1;
    K.out_r = K.err_r = -1;
    if (!connection_file) {
        fprintf(stderr, "usage: simec --kernel CONNECTION_FILE (Jupyter starts it so: simec --install-kernel)\n");
        return 1;
    }
    if (read_connection(connection_file, &conn, endpoint) != 0)
        goto out;
    uuid(K.session);
    snprintf(K.user, sizeof K.user, "%s", user && *user ? user : "simec");
    pthread_mutex_init(&K.iopub_mtx, NULL);
    pthread_mutex_init(&K.out_mtx, NULL);
    if (!(K.ctx = zmq_ctx_new()))
        goto out;
    if (!(K.shell = open_socket(ZMQ_ROUTER, endpoint[0])) || !(K.control = open_socket(ZMQ_ROUTER, endpoint[1])) ||
        !(K.iopub = open_socket(ZMQ_PUB, endpoint[2])) || !(K.stdin_sock = open_socket(ZMQ_ROUTER, endpoint[3])) ||
        !(K.hb = open_socket(ZMQ_REP, endpoint[4])))
        goto out;
    if (pipe(K.wake) != 0 || (K.log_fd = dup(2)) < 0) {
        K.log_fd = 2;
        fprintf(stderr, "simec --kernel: %s\n", strerror(errno));
        goto out;
    }
    fcntl(K.log_fd, F_SETFD, FD_CLOEXEC);
    if (redirect_output() != 0) {
        klog("cannot redirect output: %s", strerror(errno));
        goto out;
    }
    signal(SIGPIPE, SIG_IGN);
    interrupt_keep_alive();
    K.main_thread = pthread_self();
    /* only the main thread takes SIGINT: it runs the cells */
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    if (pthread_create(&K.hb_thread, NULL, hb_main, NULL) == 0)
        threads |= 1;
    if (pthread_create(&K.control_thread, NULL, control_main, NULL) == 0)
        threads |= 2;
    if (pthread_create(&K.out_thread, NULL, output_main, NULL) == 0)
        threads |= 4;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (threads != 7) {
        klog("cannot start its threads");
        K.shutdown = 1;
    } else if (protect(l_setup, NULL) != LUA_OK)
        K.shutdown = 1;
    publish_status("starting", NULL);
    while (!K.shutdown) {
        kmsg m;
        zmq_pollitem_t items[2] = {{K.shell, 0, ZMQ_POLLIN, 0}, {NULL, K.wake[0], ZMQ_POLLIN, 0}};
        int n = zmq_poll(items, 2, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            klog("poll: %s", zmq_strerror(errno));
            break;
        }
        if (!(items[0].revents & ZMQ_POLLIN))
            continue;
        n = kmsg_recv(K.shell, &m);
        if (n < 0) {
            klog("shell: %s", zmq_strerror(errno));
            break;
        }
        if (n == 1) {
            handle_shell(&m);
            kmsg_free(&m);
        }
    }
    rc = 0;
    if (K.out_r >= 0) {
        if (threads & 4)
            sync_output(1);
        fflush(stdout);
        fflush(stderr);
        dup2(K.log_fd, 1); /* the pipes' last writers close: the output thread ends */
        dup2(K.log_fd, 2);
        if (threads & 4)
            pthread_join(K.out_thread, NULL);
    }
    K.shutdown = 1;
    if (K.ctx)
        zmq_ctx_shutdown(K.ctx);
    if (threads & 2)
        pthread_join(K.control_thread, NULL);
    if (threads & 1)
        pthread_join(K.hb_thread, NULL);
out:
    if (K.ctx) {
        void *socks[5] = {K.shell, K.control, K.iopub, K.stdin_sock, K.hb};
        for (k = 0; k < 5; k++)
            if (socks[k])
                zmq_close(socks[k]);
        zmq_ctx_term(K.ctx);
    }
    for (k = 0; k < 5; k++)
        free(endpoint[k]);
    for (k = 0; k < 2; k++)
        if (K.wake[k] >= 0)
            close(K.wake[k]);
    json_decref(K.parent);
    json_decref(conn);
    free(K.key);
    return rc;
}

/* ---- the kernelspec ---- */

static unsigned long crc_table[256];

static unsigned long crc32_of(const unsigned char *p, size_t n, unsigned long c)
{
    size_t i;
    if (!crc_table[1]) {
        unsigned long k, b, v;
        for (k = 0; k < 256; k++) {
            for (v = k, b = 0; b < 8; b++)
                v = v & 1 ? 0xEDB88320UL ^ (v >> 1) : v >> 1;
            crc_table[k] = v;
        }
    }
    c ^= 0xFFFFFFFFUL;
    for (i = 0; i < n; i++)
        c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFUL;
}

static void put32(unsigned char *p, unsigned long v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16), p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static int png_chunk(FILE *f, const char *type, const unsigned char *data, size_t n)
{
    unsigned char hdr[8], crc[4];
    unsigned long c;
    put32(hdr, (unsigned long)n);
    memcpy(hdr + 4, type, 4);
    c = crc32_of(hdr + 4, 4, 0);
    c = crc32_of(data, n, c);
    put32(crc, c);
    return fwrite(hdr, 1, 8, f) == 8 && fwrite(data, 1, n, f) == n && fwrite(crc, 1, 4, f) == 4;
}

/* The logo: a sparse rating matrix (a grid with some cells filled) on a
 * dark blue tile, as an RGB PNG of size x size (stored deflate blocks). */
static int write_png(const char *path, int size)
{
    static const char *const cells[5] = {"x.x.x", ".xx..", "x..xx", ".x.x.", "xx..x"};
    size_t row = (size_t)size * 3 + 1, raw_n = row * (size_t)size, z_n, off = 0, i;
    unsigned char *raw = malloc(raw_n), *z, ihdr[13];
    unsigned long a = 1, b = 0;
    FILE *f;
    int x, y, ok;
    if (!raw)
        return 0;
    for (y = 0; y < size; y++) {
        raw[(size_t)y * row] = 0;
        for (x = 0; x < size; x++) {
            unsigned char *px = raw + (size_t)y * row + 1 + (size_t)x * 3;
            int margin = size / 8, cell = (size - 2 * margin) / 5, cx = (x - margin) / cell, cy = (y - margin) / cell;
            int inside = x >= margin && y >= margin && cx < 5 && cy < 5;
            int edge = inside && ((x - margin) % cell == 0 || (y - margin) % cell == 0);
            if (inside && !edge && cells[cy][cx] == 'x')
                px[0] = 0xF2, px[1] = 0xA9, px[2] = 0x00;
            else if (inside && !edge)
                px[0] = 0x2E, px[1] = 0x5C, px[2] = 0x8A;
            else
                px[0] = 0x1B, px[1] = 0x36, px[2] = 0x5D;
        }
    }
    z_n = 2 + raw_n + 5 * (raw_n / 65535 + 1) + 4;
    if (!(z = malloc(z_n))) {
        free(raw);
        return 0;
    }
    z[off++] = 0x78, z[off++] = 0x01;
    for (i = 0; i < raw_n;) {
        size_t n = raw_n - i < 65535 ? raw_n - i : 65535;
        z[off++] = i + n == raw_n ? 1 : 0;
        z[off++] = (unsigned char)(n & 0xFF), z[off++] = (unsigned char)(n >> 8);
        z[off++] = (unsigned char)(~n & 0xFF), z[off++] = (unsigned char)((~n >> 8) & 0xFF);
        memcpy(z + off, raw + i, n);
        off += n;
        i += n;
    }
    for (i = 0; i < raw_n; i++) {
        a = (a + raw[i]) % 65521;
        b = (b + a) % 65521;
    }
    put32(z + off, (b << 16) | a);
    off += 4;
    put32(ihdr, (unsigned long)size);
    put32(ihdr + 4, (unsigned long)size);
    ihdr[8] = 8, ihdr[9] = 2, ihdr[10] = 0, ihdr[11] = 0, ihdr[12] = 0;
    ok = (f = fopen(path, "wb")) != NULL;
    ok = ok && fwrite("\x89PNG\r\n\x1a\n", 1, 8, f) == 8 && png_chunk(f, "IHDR", ihdr, 13) &&
         png_chunk(f, "IDAT", z, off) && png_chunk(f, "IEND", (const unsigned char *)"", 0);
    if (f && fclose(f) != 0)
        ok = 0;
    free(raw);
    free(z);
    return ok;
}

static int mkdirs(char *path)
{
    char *p;
    for (p = path + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(path, 0755) != 0 && errno != EEXIST) {
                *p = '/';
                return -1;
            }
            *p = '/';
        }
    return mkdir(path, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

int kernel_install(int argc, char **argv)
{
    char dir[PATH_MAX], file[PATH_MAX + 64], exe[PATH_MAX];
    const char *prefix = "/usr/local", *home = getenv("HOME"), *bin = NULL;
    json_t *spec;
    int k, user = 0;
    ssize_t n;
    for (k = 0; k < argc; k++) {
        if (strcmp(argv[k], "--user") == 0)
            user = 1;
        else if (strcmp(argv[k], "--prefix") == 0 && k + 1 < argc)
            prefix = argv[++k];
        else if (strcmp(argv[k], "--bin") == 0 && k + 1 < argc)
            bin = argv[++k];
        else {
            fprintf(stderr, "simec --install-kernel: unknown argument '%s' (usage: simec --install-kernel "
                            "[--user | --prefix P] [--bin PATH])\n", argv[k]);
            return 1;
        }
    }
    if (user && (!home || !*home)) {
        fprintf(stderr, "simec --install-kernel --user: HOME is not set\n");
        return 1;
    }
    if (user)
        snprintf(dir, sizeof dir, "%s/.local/share/jupyter/kernels/simec", home);
    else
        snprintf(dir, sizeof dir, "%s/share/jupyter/kernels/simec", prefix);
    if (bin)
        snprintf(exe, sizeof exe, "%s", bin);
    else if ((n = readlink("/proc/self/exe", exe, sizeof exe - 1)) > 0)
        exe[n] = '\0';
    else {
        fprintf(stderr, "simec --install-kernel: cannot find simec's own path: %s\n", strerror(errno));
        return 1;
    }
    if (mkdirs(dir) != 0) {
        fprintf(stderr, "simec --install-kernel: cannot create %s: %s\n", dir, strerror(errno));
        return 1;
    }
    spec = json_pack("{s:[s, s, s], s:s, s:s, s:s, s:{}}", "argv", exe, "--kernel", "{connection_file}",
                     "display_name", "simec (Lua 5.4)", "language", "lua", "interrupt_mode", "signal", "metadata");
    snprintf(file, sizeof file, "%s/kernel.json", dir);
    if (!spec || json_dump_file(spec, file, JSON_INDENT(2)) != 0) {
        fprintf(stderr, "simec --install-kernel: cannot write %s: %s\n", file, strerror(errno));
        json_decref(spec);
        return 1;
    }
    json_decref(spec);
    for (k = 32; k <= 64; k += 32) {
        snprintf(file, sizeof file, "%s/logo-%dx%d.png", dir, k, k);
        if (!write_png(file, k)) {
            fprintf(stderr, "simec --install-kernel: cannot write %s: %s\n", file, strerror(errno));
            return 1;
        }
    }
    printf("installed the kernelspec simec (\"simec (Lua 5.4)\") in %s\n", dir);
    return 0;
}

#endif

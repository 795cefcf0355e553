/*
 * crh-agent: PID 1 of a CodeRunHub sandbox container.  As the namespace's init it reaps every
 * orphan, ignores signals sent from inside, and its exit takes every other process with it.
 *
 * The executor talks to it over the container's attached stdin/stdout with length-prefixed
 * frames: [u8 type][u32 big-endian length][payload].  The agent writes the submitted files,
 * starts exactly one program, relays its stdin/stdout/stderr, enforces CPU, wall-clock and
 * output limits, kills every process the program left behind, and ends with an exit record.
 *
 * Everything runs as the same unprivileged uid as the user's program, so the agent is not a
 * security boundary: the container is.  The executor treats every frame from here as
 * untrusted and re-checks sizes and limits on its side.
 *
 * Zygote mode (`agent --env NAME=value ... --zygote ARGV...`): the agent starts ARGV at once, in
 * a warm container, before any request exists.  It is an interpreter that initialises and then
 * waits on fd 3; at 'G' the agent writes "cpu_ms NUL file_size NUL argv..." there and closes it,
 * and the same process runs the program (see zygote.py).  Its start-up is then off the clock.
 *
 * Frames in (executor -> agent):
 *   'F' file      u16 name length, name, u32 mode, content
 *   'A' argv      one argument of the program's command line (at least one)
 *   'V' env       one "NAME=value" added to the program's environment
 *   'L' limits    "cpu_ms wall_ms output_bytes artifact_bytes file_size_bytes" as decimal text
 *   'C' collect   a relative path (file or directory) sent back after a clean exit
 *   'G' go        start the program
 *   'I' stdin     bytes for the program's stdin        (after 'G')
 *   'E' eof       close the program's stdin            (after 'G')
 *   'K' kill      kill the program now                 (after 'G')
 * Frames out (agent -> executor):
 *   'S' started, 'O' stdout bytes, 'R' stderr bytes, 'F' artifact (same layout as in),
 *   'X' exit record ("key=value" lines), 'Z' agent error text (then the agent exits 1).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_FRAME (256u * 1024u * 1024u)
#define MAX_ARGS 256
#define MAX_ENV 64
#define MAX_COLLECT 16
#define CHUNK 65536
#define TICK_MS 10
#define DRAIN_MS 500

enum reason { R_NONE, R_CPU, R_WALL, R_OUTPUT, R_KILLED };
static const char *reason_names[] = {"none", "cpu", "wall", "output", "killed"};

static char *args[MAX_ARGS + 1];
static int nargs;
static char *envs[MAX_ENV];
static int nenvs;
static char *collect[MAX_COLLECT];
static int ncollect;
static unsigned long long cpu_limit_ms = 10000, wall_limit_ms = 20000;
static unsigned long long output_limit = 1 << 20, artifact_limit = 64ull << 20, file_size_limit = 16ull << 20;
static unsigned long long artifact_sent;

static void write_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            _exit(3); /* the executor went away: nothing left to report to */
        }
        p += n;
        len -= (size_t)n;
    }
}

static void send_frame(char type, const void *data, size_t len) {
    unsigned char hdr[5] = {(unsigned char)type, (unsigned char)(len >> 24), (unsigned char)(len >> 16),
                            (unsigned char)(len >> 8), (unsigned char)len};
    write_all(1, hdr, 5);
    if (len) write_all(1, data, len);
}

static void fail(const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof msg) n = sizeof msg - 1;
    send_frame('Z', msg, (size_t)n);
    _exit(1);
}

static int read_exact(int fd, void *buf, size_t len) {
    char *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static uint32_t be32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static unsigned long long now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000ull;
}

/* A relative path without empty, "." or ".." components; the executor validated it too. */
static int safe_relpath(const char *p, size_t len) {
    if (len == 0 || len > 1024 || p[0] == '/') return 0;
    if (memchr(p, '\0', len)) return 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || p[i] == '/') {
            size_t c = i - start;
            if (c == 0) return 0;
            if (c == 1 && p[start] == '.') return 0;
            if (c == 2 && p[start] == '.' && p[start + 1] == '.') return 0;
            start = i + 1;
        }
    }
    return 1;
}

static void write_file(const unsigned char *payload, size_t len) {
    if (len < 6) fail("file frame too short");
    size_t nlen = ((size_t)payload[0] << 8) | payload[1];
    if (2 + nlen + 4 > len) fail("file frame truncated");
    char name[1025];
    if (!safe_relpath((const char *)payload + 2, nlen)) fail("unsafe file name");
    memcpy(name, payload + 2, nlen);
    name[nlen] = 0;
    mode_t mode = be32(payload + 2 + nlen) & 0755;
    const unsigned char *content = payload + 2 + nlen + 4;
    size_t clen = len - 2 - nlen - 4;
    for (char *s = strchr(name, '/'); s; s = strchr(s + 1, '/')) {
        *s = 0;
        if (mkdir(name, 0755) < 0 && errno != EEXIST) fail("mkdir %s: %s", name, strerror(errno));
        *s = '/';
    }
    int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode ? mode : 0644);
    if (fd < 0) fail("create %s: %s", name, strerror(errno));
    size_t off = 0;
    while (off < clen) {
        ssize_t n = write(fd, content + off, clen - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("write %s: %s", name, strerror(errno));
        }
        off += (size_t)n;
    }
    close(fd);
}

static char *dup_payload(const unsigned char *p, size_t len) {
    if (memchr(p, '\0', len)) fail("NUL byte in argument");
    char *s = malloc(len + 1);
    if (!s) fail("out of memory");
    memcpy(s, p, len);
    s[len] = 0;
    return s;
}

/* Reads setup frames until 'G'. */
static void read_setup(void) {
    for (;;) {
        unsigned char hdr[5];
        if (read_exact(0, hdr, 5) < 0) _exit(2);
        uint32_t len = be32(hdr + 1);
        if (len > MAX_FRAME) fail("frame too large");
        unsigned char *payload = malloc(len ? len : 1);
        if (!payload) fail("out of memory");
        if (read_exact(0, payload, len) < 0) _exit(2);
        switch (hdr[0]) {
        case 'F': write_file(payload, len); break;
        case 'A':
            if (nargs >= MAX_ARGS) fail("too many arguments");
            args[nargs++] = dup_payload(payload, len);
            break;
        case 'V':
            if (nenvs >= MAX_ENV) fail("too many environment variables");
            envs[nenvs++] = dup_payload(payload, len);
            break;
        case 'C':
            if (ncollect >= MAX_COLLECT || !safe_relpath((const char *)payload, len)) fail("bad collect path");
            collect[ncollect++] = dup_payload(payload, len);
            break;
        case 'L': {
            char *s = dup_payload(payload, len);
            if (sscanf(s, "%llu %llu %llu %llu %llu", &cpu_limit_ms, &wall_limit_ms, &output_limit, &artifact_limit,
                       &file_size_limit) != 5)
                fail("bad limits");
            free(s);
            break;
        }
        case 'G':
            free(payload);
            if (nargs == 0) fail("no command");
            return;
        default: fail("unexpected frame %c before start", hdr[0]);
        }
        free(payload);
    }
}

/* ---- cgroup readings (v1 and v2); zero when unreadable, e.g. under gVisor ---- */

static unsigned long long read_ull_file(const char *path, const char *key) {
    char buf[4096];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    if (!key) return strtoull(buf, NULL, 10);
    size_t klen = strlen(key);
    for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ' ') return strtoull(line + klen + 1, NULL, 10);
    }
    return 0;
}

static unsigned long long cgroup_cpu_us(void) {
    unsigned long long ns = read_ull_file("/sys/fs/cgroup/cpuacct/cpuacct.usage", NULL);
    if (ns) return ns / 1000;
    return read_ull_file("/sys/fs/cgroup/cpu.stat", "usage_usec");
}

static unsigned long long cgroup_oom_kills(void) {
    unsigned long long v = read_ull_file("/sys/fs/cgroup/memory/memory.oom_control", "oom_kill");
    if (v) return v;
    return read_ull_file("/sys/fs/cgroup/memory.events", "oom_kill");
}

static unsigned long long cgroup_mem_peak(void) {
    unsigned long long v = read_ull_file("/sys/fs/cgroup/memory/memory.max_usage_in_bytes", NULL);
    if (v) return v;
    return read_ull_file("/sys/fs/cgroup/memory.peak", NULL);
}

static unsigned long long self_cpu_us(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (unsigned long long)ru.ru_utime.tv_sec * 1000000ull + (unsigned long long)ru.ru_utime.tv_usec +
           (unsigned long long)ru.ru_stime.tv_sec * 1000000ull + (unsigned long long)ru.ru_stime.tv_usec;
}

/* CPU the program's processes used: the container's total minus what the agent itself spent. */
static unsigned long long program_cpu_us(unsigned long long cg_before, unsigned long long self_before) {
    unsigned long long total = cgroup_cpu_us() - cg_before, own = self_cpu_us() - self_before;
    return total > own ? total - own : 0;
}

/* ---- artifacts ---- */

static void send_artifact_file(int dirfd, const char *name, const char *relpath) {
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return;
    }
    size_t nlen = strlen(relpath);
    unsigned long long size = (unsigned long long)st.st_size;
    artifact_sent += size;
    if (artifact_sent > artifact_limit || nlen > 1024) fail("compiled artifacts exceed %llu bytes", artifact_limit);
    size_t total = 2 + nlen + 4 + size;
    unsigned char *buf = malloc(total);
    if (!buf) fail("out of memory");
    buf[0] = (unsigned char)(nlen >> 8);
    buf[1] = (unsigned char)nlen;
    memcpy(buf + 2, relpath, nlen);
    uint32_t mode = st.st_mode & 0755;
    buf[2 + nlen] = 0;
    buf[3 + nlen] = 0;
    buf[4 + nlen] = (unsigned char)(mode >> 8);
    buf[5 + nlen] = (unsigned char)mode;
    if (read_exact(fd, buf + 6 + nlen, size) < 0) fail("short read of %s", relpath);
    close(fd);
    send_frame('F', buf, total);
    free(buf);
}

static void send_artifact_tree(int parent, const char *name, const char *relpath, int depth) {
    if (depth > 16) return;
    int fd = openat(parent, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_DIRECTORY);
    if (fd < 0) {
        send_artifact_file(parent, name, relpath);
        return;
    }
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char child[2048];
        if (snprintf(child, sizeof child, "%s/%s", relpath, e->d_name) >= (int)sizeof child) continue;
        send_artifact_tree(dirfd(d), e->d_name, child, depth + 1);
    }
    closedir(d);
}

/* ---- running the program ---- */

static int set_nonblock(int fd) { return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

/* Zygote mode: argv and extra environment of the interpreter started at boot. */
static char **zygote_argv;
static char *boot_envs[MAX_ENV];
static int nboot_envs;

static void child_exec(char **argv, char **extra_env, int nextra, int in_r, int out_w, int err_w, int errpipe_w,
                       int ctl_r) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* tini and the agent run at the container's oom_score_adj (500): at 1000 the program is
     * the OOM killer's choice in the container's cgroup.  /proc/self is writable only if dumpable. */
    prctl(PR_SET_DUMPABLE, 1);
    int oom = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (oom >= 0) {
        write_all(oom, "1000", 4);
        close(oom);
    }
    struct rlimit rl;
    /* Backstop only; the agent enforces the real limit on the whole tree.  A zygote sets its own
     * once it knows the program's limits. */
    rl.rlim_cur = (rlim_t)(ctl_r >= 0 ? 3600 : cpu_limit_ms / 1000 + 1);
    rl.rlim_max = rl.rlim_cur + 1;
    setrlimit(RLIMIT_CPU, &rl);
    rl.rlim_cur = rl.rlim_max = 0;
    setrlimit(RLIMIT_CORE, &rl);
    /* Per program, so one warm container (created before the request) serves any file-size limit. */
    rl.rlim_cur = rl.rlim_max = (rlim_t)file_size_limit;
    setrlimit(RLIMIT_FSIZE, &rl);
    dup2(in_r, 0);
    dup2(out_w, 1);
    dup2(err_w, 2);
    if (ctl_r >= 0) {
        dup2(ctl_r, 3);
        fcntl(3, F_SETFD, 0);
    }
    for (int fd = ctl_r >= 0 ? 4 : 3; fd < 1024; fd++)
        if (fd != errpipe_w) close(fd);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    /* A fresh environment: only the allow-listed variables, whatever the engine added (HOSTNAME...). */
    static const char *const inherited[] = {"PATH", "HOME", "LANG"};
    char *envp[MAX_ENV + 4];
    int n = 0;
    for (size_t i = 0; i < sizeof inherited / sizeof *inherited; i++) {
        const char *value = getenv(inherited[i]);
        if (value && asprintf(&envp[n], "%s=%s", inherited[i], value) > 0) n++;
    }
    for (int i = 0; i < nextra; i++) envp[n++] = extra_env[i];
    envp[n] = NULL;
    execvpe(argv[0], argv, envp);
    int e = errno;
    write_all(errpipe_w, &e, sizeof e);
    _exit(127);
}

struct outstream {
    int fd;
    char type;
    unsigned long long bytes;
};

static void parse_args(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--env") == 0 && i + 1 < argc && nboot_envs < MAX_ENV) {
            boot_envs[nboot_envs++] = argv[++i];
        } else if (strcmp(argv[i], "--zygote") == 0 && i + 1 < argc) {
            zygote_argv = argv + i + 1;
            return;
        }
    }
}

/* The program's go message for a zygote: limits it must apply itself, then its argv. */
static void send_go(int ctl_w) {
    char head[64];
    int len = snprintf(head, sizeof head, "%llu", cpu_limit_ms);
    write_all(ctl_w, head, (size_t)len + 1);
    len = snprintf(head, sizeof head, "%llu", file_size_limit);
    write_all(ctl_w, head, (size_t)len + 1);
    for (int i = 0; i < nargs; i++) write_all(ctl_w, args[i], strlen(args[i]) + 1);
    close(ctl_w);
}

int main(int argc, char **argv) {
    prctl(PR_SET_DUMPABLE, 0);      /* the program runs as our uid: keep it from ptracing us */
    prctl(PR_SET_CHILD_SUBREAPER, 1); /* orphans come to us (also when not run as PID 1) */
    signal(SIGPIPE, SIG_IGN);
    if (chdir("/work") < 0) fail("chdir /work: %s", strerror(errno));
    parse_args(argc, argv);

    int in_p[2], out_p[2], err_p[2], exec_p[2], ctl_p[2] = {-1, -1};
    if (pipe2(in_p, O_CLOEXEC) || pipe2(out_p, O_CLOEXEC) || pipe2(err_p, O_CLOEXEC) || pipe2(exec_p, O_CLOEXEC))
        fail("pipe: %s", strerror(errno));
    if (zygote_argv && pipe2(ctl_p, O_CLOEXEC)) fail("pipe: %s", strerror(errno));
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int sfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);

    pid_t pid = -1;
    if (zygote_argv) {
        /* Warm: the interpreter starts now and waits for the program on fd 3. */
        pid = fork();
        if (pid < 0) fail("fork: %s", strerror(errno));
        if (pid == 0) child_exec(zygote_argv, boot_envs, nboot_envs, in_p[0], out_p[1], err_p[1], exec_p[1], ctl_p[0]);
        close(ctl_p[0]);
    }
    read_setup();

    unsigned long long oom_before = cgroup_oom_kills();
    unsigned long long cpu_before = cgroup_cpu_us();
    unsigned long long self_before = self_cpu_us();
    unsigned long long start = now_us();
    if (zygote_argv) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) fail("the interpreter exited before the program started");
        send_go(ctl_p[1]);
    } else {
        pid = fork();
        if (pid < 0) fail("fork: %s", strerror(errno));
        args[nargs] = NULL;
        if (pid == 0) child_exec(args, envs, nenvs, in_p[0], out_p[1], err_p[1], exec_p[1], -1);
    }
    close(in_p[0]);
    close(out_p[1]);
    close(err_p[1]);
    close(exec_p[1]);
    int exec_errno = 0;
    if (read(exec_p[0], &exec_errno, sizeof exec_errno) == (ssize_t)sizeof exec_errno) {
        waitpid(pid, NULL, 0);
        fail("cannot start %s: %s", zygote_argv ? zygote_argv[0] : args[0], strerror(exec_errno));
    }
    close(exec_p[0]);
    send_frame('S', NULL, 0);

    int stdin_fd = in_p[1];
    set_nonblock(stdin_fd);
    set_nonblock(out_p[0]);
    set_nonblock(err_p[0]);
    struct outstream outs[2] = {{out_p[0], 'O', 0}, {err_p[0], 'R', 0}};

    /* pending stdin for the program, and a partial frame from the executor */
    unsigned char *inbuf = NULL;
    size_t inlen = 0, incap = 0;
    unsigned char *pend = NULL;
    size_t pendlen = 0, pendoff = 0;
    int stdin_eof = 0, exec_open = 1, exited = 0, status = 0;
    enum reason reason = R_NONE;
    unsigned long long end = 0, drain_deadline = 0;
    static char chunk[CHUNK];

    for (;;) {
        unsigned long long t = now_us();
        if (!exited && reason == R_NONE) {
            if (t - start >= wall_limit_ms * 1000ull) reason = R_WALL;
            else if (cpu_before && program_cpu_us(cpu_before, self_before) >= cpu_limit_ms * 1000ull)
                reason = R_CPU;
            if (reason != R_NONE) kill(-1, SIGKILL);
        }
        if (exited && outs[0].fd < 0 && outs[1].fd < 0) break;
        if (exited && t >= drain_deadline) break;

        struct pollfd pfd[5];
        int n = 0, i_exec = -1, i_out[2] = {-1, -1}, i_in = -1, i_sig = -1;
        if (exec_open) { pfd[n] = (struct pollfd){0, POLLIN, 0}; i_exec = n++; }
        for (int k = 0; k < 2; k++)
            if (outs[k].fd >= 0) { pfd[n] = (struct pollfd){outs[k].fd, POLLIN, 0}; i_out[k] = n++; }
        if (stdin_fd >= 0 && pendlen > pendoff) { pfd[n] = (struct pollfd){stdin_fd, POLLOUT, 0}; i_in = n++; }
        pfd[n] = (struct pollfd){sfd, POLLIN, 0};
        i_sig = n++;
        int timeout = TICK_MS;
        if (!exited) {
            unsigned long long wall_end = start + wall_limit_ms * 1000ull;
            if (wall_end > t && (wall_end - t) / 1000 < (unsigned long long)timeout) timeout = (int)((wall_end - t) / 1000) + 1;
        }
        if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR) fail("poll: %s", strerror(errno));

        if (i_sig >= 0 && (pfd[i_sig].revents & POLLIN)) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) > 0) {}
            for (;;) {
                int st;
                pid_t w = waitpid(-1, &st, WNOHANG);
                if (w <= 0) break;
                if (WIFSTOPPED(st)) {
                    /* A program that asked to be traced (PTRACE_TRACEME) made us its tracer: let it go. */
                    ptrace(PTRACE_DETACH, w, NULL, (void *)(long)WSTOPSIG(st));
                    continue;
                }
                if (w == pid) {
                    exited = 1;
                    status = st;
                    end = now_us();
                    /* the program is done: nothing it started may outlive it */
                    kill(-1, SIGKILL);
                    drain_deadline = end + DRAIN_MS * 1000ull;
                    if (stdin_fd >= 0) { close(stdin_fd); stdin_fd = -1; }
                }
            }
        }
        for (int k = 0; k < 2; k++) {
            if (i_out[k] < 0 || !(pfd[i_out[k]].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t r = read(outs[k].fd, chunk, sizeof chunk);
            if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            if (r <= 0) {
                close(outs[k].fd);
                outs[k].fd = -1;
                continue;
            }
            unsigned long long room = output_limit > outs[k].bytes ? output_limit - outs[k].bytes : 0;
            size_t send = (unsigned long long)r > room ? (size_t)room : (size_t)r;
            if (send) send_frame(outs[k].type, chunk, send);
            outs[k].bytes += (unsigned long long)r;
            if ((unsigned long long)r > room && reason == R_NONE && !exited) {
                reason = R_OUTPUT;
                kill(-1, SIGKILL);
            }
        }
        if (i_in >= 0 && (pfd[i_in].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = write(stdin_fd, pend + pendoff, pendlen - pendoff);
            if (w > 0) pendoff += (size_t)w;
            else if (w < 0 && errno != EAGAIN && errno != EINTR) { pendlen = pendoff = 0; close(stdin_fd); stdin_fd = -1; }
        }
        if (stdin_fd >= 0 && stdin_eof && pendoff >= pendlen) { close(stdin_fd); stdin_fd = -1; }
        if (pendoff >= pendlen && pendlen) { pendlen = pendoff = 0; }

        if (i_exec >= 0 && (pfd[i_exec].revents & (POLLIN | POLLHUP | POLLERR))) {
            if (incap - inlen < CHUNK) {
                incap = incap * 2 + CHUNK;
                inbuf = realloc(inbuf, incap);
                if (!inbuf) fail("out of memory");
            }
            ssize_t r = read(0, inbuf + inlen, incap - inlen);
            if (r <= 0 && !(r < 0 && errno == EINTR)) {
                /* the executor hung up: treat it as end of input */
                exec_open = 0;
                stdin_eof = 1;
            } else if (r > 0) {
                inlen += (size_t)r;
            }
            size_t off = 0;
            while (inlen - off >= 5) {
                uint32_t flen = be32(inbuf + off + 1);
                if (flen > MAX_FRAME) fail("frame too large");
                if (inlen - off - 5 < flen) break;
                unsigned char type = inbuf[off];
                unsigned char *p = inbuf + off + 5;
                if (type == 'I' && stdin_fd >= 0 && !stdin_eof) {
                    if (pendoff) { memmove(pend, pend + pendoff, pendlen - pendoff); pendlen -= pendoff; pendoff = 0; }
                    pend = realloc(pend, pendlen + flen + 1);
                    if (!pend) fail("out of memory");
                    memcpy(pend + pendlen, p, flen);
                    pendlen += flen;
                } else if (type == 'E') {
                    stdin_eof = 1;
                } else if (type == 'K' && !exited) {
                    if (reason == R_NONE) reason = R_KILLED;
                    kill(-1, SIGKILL);
                }
                off += 5 + flen;
            }
            memmove(inbuf, inbuf + off, inlen - off);
            inlen -= off;
        }
    }
    if (!exited) fail("program did not exit");
    kill(-1, SIGKILL);
    for (;;) {
        pid_t w = waitpid(-1, NULL, WNOHANG);
        if (w <= 0) break;
    }

    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    unsigned long long cpu_us = (unsigned long long)ru.ru_utime.tv_sec * 1000000ull + (unsigned long long)ru.ru_utime.tv_usec +
                                (unsigned long long)ru.ru_stime.tv_sec * 1000000ull + (unsigned long long)ru.ru_stime.tv_usec;
    /* The cgroup's count is what the limit was enforced on; it also covers processes nobody waited for. */
    unsigned long long cg_cpu = cpu_before ? program_cpu_us(cpu_before, self_before) : 0;
    int clean = reason == R_NONE && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (clean)
        for (int i = 0; i < ncollect; i++) send_artifact_tree(AT_FDCWD, collect[i], collect[i], 0);

    char rec[1024];
    int len = snprintf(rec, sizeof rec,
                       "exit_code=%d\nsignal=%d\nreason=%s\ncpu_us=%llu\nrusage_cpu_us=%llu\nwall_us=%llu\n"
                       "maxrss_kb=%ld\nmem_peak_bytes=%llu\noom_kills=%llu\nstdout_bytes=%llu\nstderr_bytes=%llu\n",
                       WIFEXITED(status) ? WEXITSTATUS(status) : -1, WIFSIGNALED(status) ? WTERMSIG(status) : 0,
                       reason_names[reason], cg_cpu ? cg_cpu : cpu_us, cpu_us, end - start, ru.ru_maxrss, cgroup_mem_peak(),
                       cgroup_oom_kills() - oom_before, outs[0].bytes, outs[1].bytes);
    send_frame('X', rec, (size_t)len);
    /* Stay until the executor hangs up: the container's exit (engine and kernel work) then happens
     * when the executor removes it, off the path of saving and delivering this result. */
    char drain[4096];
    while (read(0, drain, sizeof drain) > 0) {}
    return 0;
}

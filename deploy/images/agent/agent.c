/*
 * crh-agent: PID 1 of a CodeRunHub sandbox container.
 *
 * The executor talks to it over the container's attached stdin/stdout with length-prefixed
 * frames: [u8 type][u32 big-endian length][payload].  The agent serves executions one at a time,
 * for as long as the executor keeps the container (one execution, or many when containers are
 * reused), and each execution runs in a *cell*: a process the agent clones into fresh user, PID,
 * mount, IPC, UTS, network, cgroup and time namespaces.  The cell mounts a fresh /work, /tmp,
 * /dev/shm, mqueue and /proc, installs a seccomp filter stricter than the container's (no
 * namespaces, mounts, ptrace, foreign ABIs or unusual socket families), drops every capability,
 * and is PID 1 of its namespace: when it dies, the kernel kills every process the program
 * started, and the mounts, IPC objects, sockets and locks of the execution vanish with it.
 * The next cell is prepared (namespaces, mounts, a pre-started interpreter in zygote mode)
 * while the container waits, so the program's start pays none of that.
 *
 * The agent is not dumpable, lives outside the cell's PID namespace (the program cannot name
 * it) and trusts nothing it reads from the cell; the executor re-checks everything it reports.
 *
 * Options (the container's command line):
 *   --work-mb N --tmp-mb N --shm-mb N --inodes N   sizes of the cell's tmpfs mounts
 *   --loopback                                       bring lo up in each cell's network namespace
 *   --rusage-cpu                                     CPU from wait4 and RLIMIT_CPU, not the cgroup
 *   --env NAME=value ... --zygote ARGV...            zygote mode (see zygote.py): each cell starts
 *       ARGV before its request; at 'G' the cell writes "cpu_ms NUL file_size NUL argv..." on the
 *       interpreter's fd 3, and the same process runs the program.  The interpreter writes a byte
 *       on its fd 4 (or closes it) once it is warm: the cell is ready then, not when it starts.
 *
 * Frames in (executor -> agent):
 *   'F' file      u16 name length, name, u32 mode, content
 *   'H' file      u16 name length, name, u32 mode, u64 size, then extents (u64 offset, u32 length,
 *                 bytes): a sparse file, as artifacts are sent back
 *   'A' argv      one argument of the program's command line (at least one)
 *   'V' env       one "NAME=value" added to the program's environment
 *   'L' limits    "cpu_ms wall_ms output_bytes artifact_bytes file_size_bytes" as decimal text
 *   'C' collect   a relative path (file or directory) sent back after a clean exit
 *   'G' go        start the program
 *   'I' stdin     bytes for the program's stdin        (after 'G'; ignored between executions)
 *   'E' eof       close the program's stdin            (after 'G'; ignored between executions)
 *   'K' kill      kill the program now                 (after 'G'; ignored between executions)
 *   'N' next      after the exit record: no more input for that execution will come
 * Frames out (agent -> executor):
 *   'Y' ready     the next cell is prepared (in zygote mode: its interpreter is warm); sent at most
 *                 once per cell, only while no request has begun (the pool prefers ready sandboxes)
 *   'S' started, 'O' stdout bytes, 'R' stderr bytes, 'H' artifact (as above),
 *   'X' exit record ("key=value" lines; ends the execution: the agent drops input up to 'N',
 *                 then waits for the next request),
 *   'U' the submission cannot be set up (the submitter's fault: files too large, ...), then 'X',
 *   'Z' agent error text (then the agent exits 1).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>

#define MAX_FRAME (256u * 1024u * 1024u)
#define MAX_ARGS 256
#define MAX_ENV 64
#define MAX_COLLECT 16
#define MAX_NAME 1024
#define CHUNK 65536
#define TICK_MS 10
#define DRAIN_MS 500
/* Sparse files may claim at most this apparent size (holes cost nothing on tmpfs). */
#define MAX_APPARENT (1ull << 32)
#define SANDBOX_UID 65534
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
/* Cloned: the user namespace, and the PID namespace whose PID 1 the cell is.  The others are
 * unshared by the cell, so the new user namespace owns them (gVisor gives namespaces cloned
 * together with a user namespace to the parent's, and refuses a cgroup namespace in clone). */
#define CELL_NAMESPACES (CLONE_NEWUSER | CLONE_NEWPID)
#define CELL_UNSHARED (CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWCGROUP)

enum reason { R_NONE, R_CPU, R_WALL, R_OUTPUT, R_KILLED };
static const char *reason_names[] = {"none", "cpu", "wall", "output", "killed"};

/* ---- options ---- */
static unsigned long long opt_work_mb = 64, opt_tmp_mb = 32, opt_shm_mb = 16, opt_inodes = 16384;
static int opt_loopback;
/* --rusage-cpu: the cgroup's CPU counter is not the program's (gVisor's counts sleeping tasks):
 * the CPU limit is RLIMIT_CPU per process, and the time reported comes from wait4. */
static int opt_rusage_cpu;
static char **zygote_argv;
static char *boot_envs[MAX_ENV];
static int nboot_envs;
static uid_t outer_uid;
static gid_t outer_gid;

/* ---- the current request ---- */
static char *args[MAX_ARGS + 1];
static int nargs;
static char *envs[MAX_ENV];
static int nenvs;
static char *collect[MAX_COLLECT];
static int ncollect;
static unsigned long long cpu_limit_ms, wall_limit_ms, output_limit, artifact_limit, file_size_limit;

/* ---- low-level I/O ---- */

static void write_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            _exit(3); /* the executor (or the agent, for a cell) went away: nobody to report to */
        }
        p += n;
        len -= (size_t)n;
    }
}

/* Like write_all, for a peer that may have died: -1 instead of exiting. */
static int try_write_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
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

static void put_header(unsigned char hdr[5], char type, size_t len) {
    hdr[0] = (unsigned char)type;
    hdr[1] = (unsigned char)(len >> 24);
    hdr[2] = (unsigned char)(len >> 16);
    hdr[3] = (unsigned char)(len >> 8);
    hdr[4] = (unsigned char)len;
}

static void frame_to(int fd, char type, const void *data, size_t len) {
    unsigned char hdr[5];
    put_header(hdr, type, len);
    write_all(fd, hdr, 5);
    if (len) write_all(fd, data, len);
}

static void send_frame(char type, const void *data, size_t len) { frame_to(1, type, data, len); }

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

static uint32_t be32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static uint64_t be64(const unsigned char *p) { return ((uint64_t)be32(p) << 32) | be32(p + 4); }

static void put_be32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void put_be64(unsigned char *p, uint64_t v) {
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
}

static unsigned long long now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000ull;
}

static int set_nonblock(int fd) { return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

/* A relative path without empty, "." or ".." components; the executor validated it too. */
static int safe_relpath(const char *p, size_t len) {
    if (len == 0 || len > MAX_NAME || p[0] == '/') return 0;
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

static char *dup_text(const unsigned char *p, size_t len) {
    if (memchr(p, '\0', len)) fail("NUL byte in argument");
    char *s = malloc(len + 1);
    if (!s) fail("out of memory");
    memcpy(s, p, len);
    s[len] = 0;
    return s;
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
    if (opt_rusage_cpu) return 0;
    unsigned long long ns = read_ull_file("/sys/fs/cgroup/cpuacct/cpuacct.usage", NULL);
    if (ns) return ns / 1000;
    return read_ull_file("/sys/fs/cgroup/cpu.stat", "usage_usec");
}

static unsigned long long cgroup_oom_kills(void) {
    unsigned long long v = read_ull_file("/sys/fs/cgroup/memory/memory.oom_control", "oom_kill");
    if (v) return v;
    return read_ull_file("/sys/fs/cgroup/memory.events", "oom_kill");
}

/* Pages the container's processes had to read back from disk (a program thrashing at its memory
 * limit re-reads its own code pages, thousands a second). */
static unsigned long long cgroup_major_faults(void) {
    unsigned long long v = read_ull_file("/sys/fs/cgroup/memory/memory.stat", "total_pgmajfault");
    if (v) return v;
    return read_ull_file("/sys/fs/cgroup/memory.stat", "pgmajfault");
}

static unsigned long long rusage_cpu_us(const struct rusage *ru) {
    return (unsigned long long)ru->ru_utime.tv_sec * 1000000ull + (unsigned long long)ru->ru_utime.tv_usec +
           (unsigned long long)ru->ru_stime.tv_sec * 1000000ull + (unsigned long long)ru->ru_stime.tv_usec;
}

static unsigned long long self_cpu_us(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return rusage_cpu_us(&ru);
}

/* CPU the execution used: the container's total minus what the agent itself spent. */
static unsigned long long program_cpu_us(unsigned long long cg_before, unsigned long long self_before) {
    unsigned long long total = cgroup_cpu_us() - cg_before, own = self_cpu_us() - self_before;
    return total > own ? total - own : 0;
}

/* =============================================================================================
 * The cell: PID 1 of the execution's namespaces.  Runs only code of this file until it starts
 * the program; it talks to the agent over two pipes with the same framing.
 *   agent -> cell (ctl):  'F'/'H' files as received, 'G' "cpu_ms NUL fsize NUL artifact_bytes
 *                          NUL nargs NUL args... nenv NUL envs... ncollect NUL paths...",
 *                          then one byte: 'C' collect artifacts, or 'Q' quit
 *   cell -> agent (rep):  'S' started, 'W' "status" (the program exited, everything else is
 *                          dead), 'H' artifacts, 'U' the submitter's fault, 'Z' cell failure
 * ============================================================================================= */

static scmp_filter_ctx inner_filter;
/* The filter compiled once, at start-up: each cell loads it without libseccomp's per-load work. */
static struct sock_fprog inner_program;

static void cell_fail(int rep, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof msg) n = sizeof msg - 1;
    frame_to(rep, 'Z', msg, (size_t)n);
    _exit(1);
}

static void cell_user_error(int rep, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof msg) n = sizeof msg - 1;
    frame_to(rep, 'U', msg, (size_t)n);
    _exit(0);
}

static int write_text(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = try_write_all(fd, text, strlen(text));
    close(fd);
    return rc;
}

/* Deny with errno; add_rule failures mean a syscall unknown to this libseccomp: skip it. */
static void deny(int err, const char *name) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr != __NR_SCMP_ERROR) seccomp_rule_add(inner_filter, SCMP_ACT_ERRNO(err), nr, 0);
}

/* The program's filter, stacked on the container's allow-list: what the agent needed the
 * container to allow (namespaces, mounts) and what no program needs. */
static void build_inner_filter(void) {
    inner_filter = seccomp_init(SCMP_ACT_ALLOW);
    if (!inner_filter) fail("seccomp_init failed");
    /* Only the native ABI: int 0x80 / x32 calls kill the process. */
    seccomp_attr_set(inner_filter, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
    seccomp_attr_set(inner_filter, SCMP_FLTATR_CTL_NNP, 1);
    static const char *const refused[] = {
        "unshare", "setns", "mount", "umount2", "umount", "pivot_root", "chroot", "sethostname",
        "setdomainname", "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick",
        "mount_setattr", "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "kcmp",
        "pidfd_getfd", "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
        "io_uring_setup", "io_uring_enter", "io_uring_register", "modify_ldt", "socketcall", "uselib",
        "ustat", "sysfs", "_sysctl", "vm86", "vm86old", "iopl", "ioperm", "acct", "swapon", "swapoff",
        "reboot", "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
        "quotactl", "quotactl_fd", "lookup_dcookie", "name_to_handle_at", "open_by_handle_at",
        "fanotify_init", "syslog", "vhangup", "settimeofday", "clock_settime", "clock_adjtime",
        "adjtimex", "memfd_secret",
    };
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) deny(EPERM, refused[i]);
    /* Namespaces through clone (each CLONE_NEW* bit); clone3 hides its flags in memory, so it
     * answers ENOSYS and libc falls back to clone.  (Personalities: the container's profile
     * allows only Linux's and the query.) */
    static const unsigned long ns_flags[] = {CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
                                             CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET};
    for (size_t i = 0; i < sizeof ns_flags / sizeof *ns_flags; i++)
        seccomp_rule_add(inner_filter, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                         SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]));
    deny(ENOSYS, "clone3");
    /* Socket families: UNIX, IPv4, IPv6, and route netlink (getifaddrs); nothing else. */
    for (int family = 0; family <= 45; family++) {
        if (family == AF_UNIX || family == AF_INET || family == AF_INET6 || family == AF_NETLINK) continue;
        seccomp_rule_add(inner_filter, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1,
                         SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)family));
    }
    seccomp_rule_add(inner_filter, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_GT, 45));
    seccomp_rule_add(inner_filter, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 2,
                     SCMP_A0(SCMP_CMP_EQ, AF_NETLINK), SCMP_A2(SCMP_CMP_NE, 0));
    seccomp_rule_add(inner_filter, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socketpair), 1,
                     SCMP_A0(SCMP_CMP_NE, AF_UNIX));
    int fd = memfd_create("inner-filter", MFD_CLOEXEC);
    if (fd < 0 || seccomp_export_bpf(inner_filter, fd) < 0) fail("cannot compile the seccomp filter");
    off_t size = lseek(fd, 0, SEEK_END);
    if (size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0) fail("bad seccomp filter");
    struct sock_filter *code = malloc((size_t)size);
    if (!code || pread(fd, code, (size_t)size, 0) != size) fail("cannot read the seccomp filter");
    close(fd);
    inner_program = (struct sock_fprog){(unsigned short)(size / (off_t)sizeof(struct sock_filter)), code};
}

static void mount_or_fail(int rep, const char *src, const char *target, const char *type, unsigned long flags,
                          const char *data) {
    if (mount(src, target, type, flags, data) < 0) cell_fail(rep, "mount %s on %s: %s", type ? type : "bind", target, strerror(errno));
}

/* A tmpfs capped in size and inodes (gVisor knows no inode option: its inodes are memory the
 * container's limit already counts). */
static void mount_tmpfs(int rep, const char *target, unsigned long flags, unsigned long long mb, const char *mode) {
    char opts[128];
    snprintf(opts, sizeof opts, "size=%llum,nr_inodes=%llu,mode=%s", mb, opt_inodes, mode);
    if (mount("tmpfs", target, "tmpfs", flags, opts) == 0) return;
    snprintf(opts, sizeof opts, "size=%llum,mode=%s", mb, mode);
    if (errno == EINVAL && mount("tmpfs", target, "tmpfs", flags, opts) == 0) return;
    cell_fail(rep, "mount tmpfs on %s: %s", target, strerror(errno));
}

/* Hide a host detail behind an empty read-only tmpfs (directories) or /dev/null (files). */
static void mask(const char *path) {
    struct stat st;
    if (lstat(path, &st) < 0) return;
    if (S_ISDIR(st.st_mode)) mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=0555");
    else mount("/dev/null", path, NULL, MS_BIND, NULL);
}

static void read_only(const char *path) {
    if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) == 0)
        mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
}

static void drop_capabilities(int rep) {
    for (int cap = 0; cap <= 63; cap++) prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capset, &hdr, data) < 0) cell_fail(rep, "capset: %s", strerror(errno));
}

/* Runs in the new namespaces: identity, mounts, network, clocks, then the seccomp filter. */
static void cell_setup(int rep) {
    char map[64];
    if (unshare(CELL_UNSHARED) < 0) cell_fail(rep, "namespaces: %s", strerror(errno));
    /* Belt and braces: mounts copied from a more privileged namespace already cannot propagate
     * back (they become slaves); gVisor has no propagation at all and refuses the call. */
    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
    mount_tmpfs(rep, "/work", MS_NOSUID | MS_NODEV, opt_work_mb, "0755");
    mount_tmpfs(rep, "/tmp", MS_NOSUID | MS_NODEV | MS_NOEXEC, opt_tmp_mb, "1777");
    mount_tmpfs(rep, "/dev/shm", MS_NOSUID | MS_NODEV | MS_NOEXEC, opt_shm_mb, "1777");
    /* The container's mqueue belongs to the container's IPC namespace: this one is the cell's. */
    mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    /* /proc of the cell's PID namespace: the program sees only its own processes, by its own
     * pids.  (Possible because the container's /proc is unmasked; the masks come back here.) */
    mount_or_fail(rep, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    static const char *const masked[] = {
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/key-users", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/proc/kallsyms",
        "/proc/sysrq-trigger", "/proc/vmallocinfo", "/proc/slabinfo", "/proc/pagetypeinfo", "/proc/zoneinfo",
        "/proc/buddyinfo", "/proc/iomem", "/proc/ioports", "/proc/kpagecount", "/proc/kpageflags",
        "/proc/kpagecgroup", "/proc/modules", "/proc/config.gz", "/sys/firmware", "/sys/kernel/debug",
        "/sys/kernel/security", "/sys/kernel/tracing", "/sys/devices/virtual/powercap",
    };
    for (size_t i = 0; i < sizeof masked / sizeof *masked; i++) mask(masked[i]);
    static const char *const readonly[] = {"/proc/sys", "/proc/bus", "/proc/fs", "/proc/irq"};
    for (size_t i = 0; i < sizeof readonly / sizeof *readonly; i++) read_only(readonly[i]);

    /* Identity last: /work (mounted by the cell) belongs to the cell's own uid, which the map
     * shows as 65534. */
    /* gVisor has no setgroups file (nor the rule it enforces). */
    if (write_text("/proc/self/setgroups", "deny") < 0 && errno != ENOENT) cell_fail(rep, "setgroups: %s", strerror(errno));
    snprintf(map, sizeof map, "%d %u 1", SANDBOX_UID, (unsigned)outer_uid);
    if (write_text("/proc/self/uid_map", map) < 0) cell_fail(rep, "uid_map: %s", strerror(errno));
    snprintf(map, sizeof map, "%d %u 1", SANDBOX_UID, (unsigned)outer_gid);
    if (write_text("/proc/self/gid_map", map) < 0) cell_fail(rep, "gid_map: %s", strerror(errno));

    if (sethostname("sandbox", 7) < 0) cell_fail(rep, "sethostname: %s", strerror(errno));
    if (opt_loopback) {
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr;
        memset(&ifr, 0, sizeof ifr);
        strcpy(ifr.ifr_name, "lo");
        if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0) cell_fail(rep, "loopback: %s", strerror(errno));
        /* gVisor's new namespaces have it up already (and refuse the ioctl). */
        if (!(ifr.ifr_flags & IFF_UP)) {
            ifr.ifr_flags |= IFF_UP;
            if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) cell_fail(rep, "loopback up: %s", strerror(errno));
        }
        close(s);
    }
    /* A time namespace whose boot clock starts now: uptime says nothing about the host.  Children
     * enter it; best effort (older kernels lack it). */
    if (unshare(CLONE_NEWTIME) == 0) {
        struct timespec boot;
        clock_gettime(CLOCK_BOOTTIME, &boot);
        char offsets[96];
        snprintf(offsets, sizeof offsets, "boottime %lld 0\n", -(long long)boot.tv_sec + 1);
        write_text("/proc/self/timens_offsets", offsets);
    }
    if (chdir("/work") < 0) cell_fail(rep, "chdir /work: %s", strerror(errno));
    prctl(PR_SET_DUMPABLE, 0);
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    drop_capabilities(rep);
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &inner_program) < 0) cell_fail(rep, "seccomp: %s", strerror(errno));
}

/* execvpe without its fallback of running a file the kernel refuses (ENOEXEC) through /bin/sh:
 * a broken executable is an error, not a shell script. */
static void exec_program(char **argv, char **envp) {
    if (strchr(argv[0], '/')) {
        execve(argv[0], argv, envp);
        return;
    }
    const char *path = "/usr/local/bin:/usr/bin:/bin";
    for (char **e = envp; *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0) path = *e + 5;
    int err = ENOENT;
    char candidate[PATH_MAX];
    for (const char *dir = path; *dir;) {
        const char *end = strchr(dir, ':');
        size_t len = end ? (size_t)(end - dir) : strlen(dir);
        if (len > 0 && len + 1 + strlen(argv[0]) < sizeof candidate) {
            memcpy(candidate, dir, len);
            candidate[len] = '/';
            strcpy(candidate + len + 1, argv[0]);
            execve(candidate, argv, envp);
            if (errno != ENOENT && errno != ENOTDIR) err = errno;
        }
        dir = end ? end + 1 : dir + len;
    }
    errno = err;
}

/* In the program's process, after fork: limits, stdio, identity of a plain process, exec. */
static void child_exec(char **argv, char **extra_env, int nextra, int in_r, int out_w, int err_w, int errpipe_w,
                       int ctl_r, int ready_w, unsigned long long cpu_ms, unsigned long long fsize) {
    setsid();
    /* Out of the way of the low descriptors set below. */
    if (ready_w >= 0 && (ready_w = fcntl(ready_w, F_DUPFD_CLOEXEC, 10)) < 0) _exit(127);
    if ((errpipe_w = fcntl(errpipe_w, F_DUPFD_CLOEXEC, 10)) < 0) _exit(127);
    /* The agent and the cell stay below: an OOM in the container picks the program. */
    prctl(PR_SET_DUMPABLE, 1);
    write_text("/proc/self/oom_score_adj", "1000");
    struct rlimit rl;
    /* Backstop only; the agent enforces the real limit on the whole tree.  A zygote sets its own
     * once it knows the program's limits (the agent lowers its file size limit first). */
    rl.rlim_cur = (rlim_t)(ctl_r >= 0 ? 3600 : cpu_ms / 1000 + 1);
    rl.rlim_max = rl.rlim_cur + 1;
    setrlimit(RLIMIT_CPU, &rl);
    rl.rlim_cur = rl.rlim_max = 0;
    setrlimit(RLIMIT_CORE, &rl);
    rl.rlim_cur = rl.rlim_max = (rlim_t)fsize;
    setrlimit(RLIMIT_FSIZE, &rl);
    /* Per-user kernel quotas are per container uid (see box.py); these keep one program's share
     * of them modest. */
    rl.rlim_cur = rl.rlim_max = 1 << 20;
    setrlimit(RLIMIT_MSGQUEUE, &rl);
    rl.rlim_cur = rl.rlim_max = 1024;
    setrlimit(RLIMIT_SIGPENDING, &rl);
    rl.rlim_cur = rl.rlim_max = 8 << 20;
    setrlimit(RLIMIT_MEMLOCK, &rl);
    dup2(in_r, 0);
    dup2(out_w, 1);
    dup2(err_w, 2);
    if (ctl_r >= 0) {
        dup2(ctl_r, 3);
        fcntl(3, F_SETFD, 0);
    }
    if (ready_w >= 0) {
        dup2(ready_w, 4);
        fcntl(4, F_SETFD, 0);
    }
    for (int fd = ready_w >= 0 ? 5 : ctl_r >= 0 ? 4 : 3; fd < 1024; fd++)
        if (fd != errpipe_w) close(fd);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    /* A fresh environment: only the allow-listed variables, whatever the engine added. */
    static const char *const inherited[] = {"PATH", "HOME", "LANG"};
    char *envp[MAX_ENV + 4];
    int n = 0;
    for (size_t i = 0; i < sizeof inherited / sizeof *inherited; i++) {
        const char *value = getenv(inherited[i]);
        if (value && asprintf(&envp[n], "%s=%s", inherited[i], value) > 0) n++;
    }
    for (int i = 0; i < nextra; i++) envp[n++] = extra_env[i];
    envp[n] = NULL;
    exec_program(argv, envp);
    int e = errno;
    write_all(errpipe_w, &e, sizeof e);
    _exit(127);
}

/* Writes one 'F' or 'H' frame's file, streaming its payload from the ctl pipe. */
static void cell_file(int ctl, int rep, char type, uint32_t len, unsigned long long *budget) {
    unsigned char head[2 + MAX_NAME + 4 + 8];
    if (len < 6) cell_fail(rep, "file frame too short");
    if (read_exact(ctl, head, 2) < 0) _exit(2);
    size_t nlen = ((size_t)head[0] << 8) | head[1];
    size_t fixed = 2 + nlen + 4 + (type == 'H' ? 8 : 0);
    if (nlen > MAX_NAME || fixed > len) cell_fail(rep, "file frame truncated");
    if (read_exact(ctl, head + 2, fixed - 2) < 0) _exit(2);
    char name[MAX_NAME + 1];
    if (!safe_relpath((const char *)head + 2, nlen)) cell_fail(rep, "unsafe file name");
    memcpy(name, head + 2, nlen);
    name[nlen] = 0;
    mode_t mode = be32(head + 2 + nlen) & 0755;
    uint64_t size = type == 'H' ? be64(head + 6 + nlen) : len - fixed;
    if (size > MAX_APPARENT) cell_user_error(rep, "%s is too large (%llu bytes)", name, (unsigned long long)size);
    for (char *s = strchr(name, '/'); s; s = strchr(s + 1, '/')) {
        *s = 0;
        if (mkdir(name, 0755) < 0 && errno != EEXIST) cell_user_error(rep, "cannot create directory %s: %s", name, strerror(errno));
        *s = '/';
    }
    int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode ? mode : 0644);
    if (fd < 0) cell_user_error(rep, "cannot create %s: %s", name, strerror(errno));
    if (type == 'H' && ftruncate(fd, (off_t)size) < 0) cell_user_error(rep, "cannot size %s: %s", name, strerror(errno));
    static unsigned char chunk[CHUNK];
    uint32_t left = len - (uint32_t)fixed;
    uint64_t off = 0, extent_left = type == 'H' ? 0 : size;
    while (left > 0) {
        if (extent_left == 0) {
            unsigned char ext[12];
            if (left < 12 || read_exact(ctl, ext, 12) < 0) cell_fail(rep, "bad extent in %s", name);
            left -= 12;
            off = be64(ext);
            extent_left = be32(ext + 8);
            if (extent_left > left || off + extent_left > size) cell_fail(rep, "extent outside %s", name);
            continue;
        }
        size_t want = extent_left < sizeof chunk ? (size_t)extent_left : sizeof chunk;
        if (read_exact(ctl, chunk, want) < 0) _exit(2);
        if (*budget < want) cell_user_error(rep, "the files do not fit in the sandbox");
        *budget -= want;
        size_t done = 0;
        while (done < want) {
            ssize_t w = pwrite(fd, chunk + done, want - done, (off_t)(off + done));
            if (w < 0) {
                if (errno == EINTR) continue;
                cell_user_error(rep, "cannot write %s: %s", name, strerror(errno));
            }
            done += (size_t)w;
        }
        off += want;
        extent_left -= want;
        left -= (uint32_t)want;
    }
    close(fd);
}

/* ---- artifacts: regular files sent back as extents, holes left out ---- */

struct extent {
    off_t off;
    off_t len;
};

static unsigned long long artifact_sent;

static void send_artifact_file(int rep, int dirfd, const char *name, const char *relpath) {
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return;
    struct stat st;
    size_t nlen = strlen(relpath);
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || nlen > MAX_NAME) {
        close(fd);
        return;
    }
    if ((unsigned long long)st.st_size > MAX_APPARENT)
        cell_user_error(rep, "the compiled file %s is too large (%lld bytes)", relpath, (long long)st.st_size);
    struct extent ext[256];
    int next = 0;
    unsigned long long data = 0;
    off_t pos = 0;
    while (pos < st.st_size) {
        off_t start = lseek(fd, pos, SEEK_DATA);
        if (start < 0 && errno != ENXIO) {
            /* No hole support here: the rest as it is. */
            ext[next++] = (struct extent){pos, st.st_size - pos};
            data += (unsigned long long)(st.st_size - pos);
            break;
        }
        if (start < 0) break; /* ENXIO: only a hole is left */
        off_t end = lseek(fd, start, SEEK_HOLE);
        if (end < 0) end = st.st_size;
        if (next == (int)(sizeof ext / sizeof *ext)) {
            /* Too fragmented to describe: send the rest as one extent. */
            ext[next - 1].len = st.st_size - ext[next - 1].off;
            data += (unsigned long long)(st.st_size - end);
            break;
        }
        ext[next++] = (struct extent){start, end - start};
        data += (unsigned long long)(end - start);
        pos = end;
    }
    if (data == 0 && st.st_blocks > 0) {
        /* Allocated, yet no data found: a file system that reports holes wrongly (gVisor's tmpfs).
         * Never send a file emptier than it is. */
        next = 1;
        ext[0] = (struct extent){0, st.st_size};
        data = (unsigned long long)st.st_size;
    }
    artifact_sent += data;
    if (artifact_sent > artifact_limit)
        cell_user_error(rep, "the compiled files take more than %llu bytes, the most the run sandbox can hold",
                        artifact_limit);
    size_t total = 2 + nlen + 4 + 8 + (size_t)next * 12 + (size_t)data;
    unsigned char head[2 + MAX_NAME + 4 + 8];
    head[0] = (unsigned char)(nlen >> 8);
    head[1] = (unsigned char)nlen;
    memcpy(head + 2, relpath, nlen);
    put_be32(head + 2 + nlen, (uint32_t)(st.st_mode & 0755));
    put_be64(head + 6 + nlen, (uint64_t)st.st_size);
    unsigned char hdr[5];
    put_header(hdr, 'H', total);
    write_all(rep, hdr, 5);
    write_all(rep, head, 2 + nlen + 12);
    static unsigned char chunk[CHUNK];
    for (int i = 0; i < next; i++) {
        unsigned char e[12];
        put_be64(e, (uint64_t)ext[i].off);
        put_be32(e + 8, (uint32_t)ext[i].len);
        write_all(rep, e, 12);
        off_t left = ext[i].len, at = ext[i].off;
        while (left > 0) {
            size_t want = left < (off_t)sizeof chunk ? (size_t)left : sizeof chunk;
            ssize_t r = pread(fd, chunk, want, at);
            if (r <= 0) memset(chunk, 0, want), r = (ssize_t)want; /* keep the frame's promised length */
            write_all(rep, chunk, (size_t)r);
            left -= r;
            at += r;
        }
    }
    close(fd);
}

static void send_artifact_tree(int rep, int parent, const char *name, const char *relpath, int depth) {
    if (depth > 16) return;
    int fd = openat(parent, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_DIRECTORY);
    if (fd < 0) {
        send_artifact_file(rep, parent, name, relpath);
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
        send_artifact_tree(rep, dirfd(d), e->d_name, child, depth + 1);
    }
    closedir(d);
}

/* Splits the 'G' payload: NUL-terminated fields. */
static char *next_field(char **cursor, char *end) {
    char *start = *cursor;
    char *nul = memchr(start, 0, (size_t)(end - start));
    if (!nul) return NULL;
    *cursor = nul + 1;
    return start;
}

static void cell_main(int ctl, int rep, int ready_w, int in_r, int out_w, int err_w) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* /proc/self of a non-dumpable process belongs to root: the maps could not be written. */
    prctl(PR_SET_DUMPABLE, 1);
    cell_setup(rep);
    int exec_p[2];
    if (pipe2(exec_p, O_CLOEXEC) < 0) cell_fail(rep, "pipe: %s", strerror(errno));
    pid_t pid = -1;
    int zctl = -1;
    if (zygote_argv) {
        int zp[2];
        if (pipe2(zp, O_CLOEXEC) < 0) cell_fail(rep, "pipe: %s", strerror(errno));
        pid = fork();
        if (pid < 0) cell_fail(rep, "fork: %s", strerror(errno));
        if (pid == 0)
            child_exec(zygote_argv, boot_envs, nboot_envs, in_r, out_w, err_w, exec_p[1], zp[0], ready_w, 0, 1ull << 40);
        close(zp[0]);
        zctl = zp[1];
        close(exec_p[1]);
        int e;
        if (read(exec_p[0], &e, sizeof e) == (ssize_t)sizeof e) cell_fail(rep, "cannot start %s: %s", zygote_argv[0], strerror(e));
        close(exec_p[0]);
    }
    /* Ready: the agent hears it when the zygote writes or closes its copy (or now, without one). */
    close(ready_w);

    /* Files, then go. */
    unsigned long long budget = (opt_work_mb << 20);
    char *go = NULL;
    uint32_t golen = 0;
    for (;;) {
        unsigned char hdr[5];
        if (read_exact(ctl, hdr, 5) < 0) _exit(0); /* the agent dropped this cell */
        uint32_t len = be32(hdr + 1);
        if (len > MAX_FRAME) cell_fail(rep, "frame too large");
        if (hdr[0] == 'F' || hdr[0] == 'H') {
            cell_file(ctl, rep, (char)hdr[0], len, &budget);
            continue;
        }
        if (hdr[0] != 'G') cell_fail(rep, "unexpected frame %c in a cell", hdr[0]);
        go = malloc(len + 1);
        if (!go || read_exact(ctl, go, len) < 0) _exit(2);
        go[len] = 0;
        golen = len;
        break;
    }
    char *cursor = go, *end = go + golen;
    char *f_cpu = next_field(&cursor, end), *f_fsize = next_field(&cursor, end), *f_art = next_field(&cursor, end);
    char *f_nargs = next_field(&cursor, end);
    if (!f_cpu || !f_fsize || !f_art || !f_nargs) cell_fail(rep, "bad go message");
    unsigned long long cpu_ms = strtoull(f_cpu, NULL, 10), fsize = strtoull(f_fsize, NULL, 10);
    artifact_limit = strtoull(f_art, NULL, 10);
    int n = atoi(f_nargs);
    if (n < 1 || n > MAX_ARGS) cell_fail(rep, "bad argument count");
    char *argv[MAX_ARGS + 1];
    for (int i = 0; i < n; i++)
        if (!(argv[i] = next_field(&cursor, end))) cell_fail(rep, "bad go message");
    argv[n] = NULL;
    char *f_nenv = next_field(&cursor, end);
    int ne = f_nenv ? atoi(f_nenv) : -1;
    if (ne < 0 || ne > MAX_ENV) cell_fail(rep, "bad environment count");
    char *env[MAX_ENV];
    for (int i = 0; i < ne; i++)
        if (!(env[i] = next_field(&cursor, end))) cell_fail(rep, "bad go message");
    char *f_ncol = next_field(&cursor, end);
    int nc = f_ncol ? atoi(f_ncol) : -1;
    if (nc < 0 || nc > MAX_COLLECT) cell_fail(rep, "bad collect count");
    char *paths[MAX_COLLECT];
    for (int i = 0; i < nc; i++)
        if (!(paths[i] = next_field(&cursor, end)) || !safe_relpath(paths[i], strlen(paths[i])))
            cell_fail(rep, "bad collect path");

    if (zygote_argv) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) cell_fail(rep, "the interpreter exited before the program started");
        /* The file size limit applies before the zygote reads its go, for zygotes that cannot set
         * it themselves (a JVM); lowering a limit of one's own child needs no privilege. Its CPU
         * backstop stays: the limit is enforced on the cell's CPU counted from now, not on the
         * process's total, which includes its warm-up. */
        struct rlimit frl = {(rlim_t)fsize, (rlim_t)fsize};
        if (prlimit(pid, RLIMIT_FSIZE, &frl, NULL) < 0) cell_fail(rep, "prlimit: %s", strerror(errno));
        char head[64];
        int len = snprintf(head, sizeof head, "%llu", cpu_ms);
        write_all(zctl, head, (size_t)len + 1);
        len = snprintf(head, sizeof head, "%llu", fsize);
        write_all(zctl, head, (size_t)len + 1);
        for (int i = 0; i < n; i++) write_all(zctl, argv[i], strlen(argv[i]) + 1);
        close(zctl);
    } else {
        pid = fork();
        if (pid < 0) cell_fail(rep, "fork: %s", strerror(errno));
        if (pid == 0) child_exec(argv, env, ne, in_r, out_w, err_w, exec_p[1], -1, -1, cpu_ms, fsize);
        close(exec_p[1]);
        int e;
        if (read(exec_p[0], &e, sizeof e) == (ssize_t)sizeof e) {
            waitpid(pid, NULL, 0);
            cell_fail(rep, "cannot start %s: %s", argv[0], strerror(e));
        }
        close(exec_p[0]);
    }
    /* The program's stdio ends are its own now: EOF reaches the agent when its processes end. */
    close(in_r);
    close(out_w);
    close(err_w);
    frame_to(rep, 'S', NULL, 0);

    int status = 0;
    for (;;) {
        int st;
        pid_t w = waitpid(-1, &st, 0);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) cell_fail(rep, "the program vanished");
        if (w == pid) {
            status = st;
            break;
        }
    }
    /* The program is done: nothing it started may outlive it. */
    kill(-1, SIGKILL);
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {}
    /* Every process of the execution is reaped: the measurements are final.  The agent reports
     * from here, while this cell's namespaces are torn down after it exits. */
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    char rec[96];
    int len = snprintf(rec, sizeof rec, "%d %ld %llu", status, ru.ru_maxrss, rusage_cpu_us(&ru));
    frame_to(rep, 'W', rec, (size_t)len);
    char cmd = 'Q';
    if (read_exact(ctl, &cmd, 1) == 0 && cmd == 'C')
        for (int i = 0; i < nc; i++) send_artifact_tree(rep, AT_FDCWD, paths[i], paths[i], 0);
    _exit(0);
}

/* =============================================================================================
 * The agent side.
 * ============================================================================================= */

struct cell {
    pid_t pid;
    int ctl, rep;              /* to and from the cell */
    int ready;                 /* readable (a byte, or EOF) once the cell is ready; -1 once told */
    int in_w, out_r, err_r;    /* the program's stdio */
    int broken;                /* a write to the cell failed: it is dead; its report says why */
};

static struct cell cell = {-1, -1, -1, -1, -1, -1, -1, 0};
static int sfd = -1;

/* Largest peak resident set (VmHWM, KiB) among the container's processes but the agent's own.
 * Only the cell and its program run beside the agent, so this is the execution's peak. */
static long cell_peak_rss_kb(void) {
    DIR *dir = opendir("/proc");
    if (!dir) return 0;
    long best = 0;
    long self = (long)getpid();
    struct dirent *entry;
    char path[64], buf[4096];
    while ((entry = readdir(dir))) {
        char *end;
        long pid = strtol(entry->d_name, &end, 10);
        if (*end || pid <= 0 || pid == self) continue;
        snprintf(path, sizeof path, "/proc/%ld/status", pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0) continue;
        buf[n] = 0;
        char *hwm = strstr(buf, "\nVmHWM:");
        if (hwm) {
            long kb = strtol(hwm + 7, NULL, 10);
            if (kb > best) best = kb;
        }
    }
    closedir(dir);
    return best;
}

/* The peak of the programs the agent killed: their rusage dies with them (only the cell's own
 * reaches the agent), so it is read from /proc just before. */
static long killed_peak_kb;

/* Never kill(-1): a cell already reaped has no pid. */
static void kill_cell(void) {
    if (cell.pid <= 0) return;
    long kb = cell_peak_rss_kb();
    if (kb > killed_peak_kb) killed_peak_kb = kb;
    kill(cell.pid, SIGKILL);
}

static void close_fd(int *fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

static void prepare_cell(void) {
    int ctl_p[2], rep_p[2], ready_p[2], in_p[2], out_p[2], err_p[2];
    if (pipe2(ctl_p, O_CLOEXEC) || pipe2(rep_p, O_CLOEXEC) || pipe2(ready_p, O_CLOEXEC) || pipe2(in_p, O_CLOEXEC) ||
        pipe2(out_p, O_CLOEXEC) || pipe2(err_p, O_CLOEXEC))
        fail("pipe: %s", strerror(errno));
    pid_t pid = (pid_t)syscall(SYS_clone, (unsigned long)(CELL_NAMESPACES | SIGCHLD), NULL, NULL, NULL, NULL);
    if (pid < 0) fail("cannot create the execution's namespaces: %s", strerror(errno));
    if (pid == 0) {
        close(ctl_p[1]);
        close(rep_p[0]);
        close(ready_p[0]);
        close(in_p[1]);
        close(out_p[0]);
        close(err_p[0]);
        close(0);
        close(1);
        if (sfd >= 0) close(sfd);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        cell_main(ctl_p[0], rep_p[1], ready_p[1], in_p[0], out_p[1], err_p[1]);
    }
    close(ctl_p[0]);
    close(rep_p[1]);
    close(ready_p[1]);
    close(in_p[0]);
    close(out_p[1]);
    close(err_p[1]);
    cell = (struct cell){pid, ctl_p[1], rep_p[0], ready_p[0], in_p[1], out_p[0], err_p[0], 0};
}

static void discard_cell(void) {
    if (cell.pid > 0) {
        kill(cell.pid, SIGKILL);
        waitpid(cell.pid, NULL, 0);
    }

    close_fd(&cell.ctl);
    close_fd(&cell.rep);
    close_fd(&cell.ready);
    close_fd(&cell.in_w);
    close_fd(&cell.out_r);
    close_fd(&cell.err_r);
    cell.pid = -1;
}

static void to_cell(const void *buf, size_t len) {
    if (!cell.broken && try_write_all(cell.ctl, buf, len) < 0) cell.broken = 1;
}

static void reset_request(void) {
    for (int i = 0; i < nargs; i++) free(args[i]);
    for (int i = 0; i < nenvs; i++) free(envs[i]);
    for (int i = 0; i < ncollect; i++) free(collect[i]);
    nargs = nenvs = ncollect = 0;
    cpu_limit_ms = 10000;
    wall_limit_ms = 20000;
    output_limit = 1 << 20;
    artifact_limit = 64ull << 20;
    file_size_limit = 16ull << 20;
}

/* Bytes from the executor not consumed yet: a request's frames may arrive in the same read as the
 * end of the previous one's. */
static unsigned char *ibuf;
static size_t ilen, icap;

/* Reads what fd 0 has (blocking or not); 0 at end of input. */
static int fill_input(int block) {
    if (icap - ilen < CHUNK) {
        icap = icap * 2 + CHUNK;
        ibuf = realloc(ibuf, icap);
        if (!ibuf) fail("out of memory");
    }
    for (;;) {
        if (!block) {
            struct pollfd one = {0, POLLIN, 0};
            if (poll(&one, 1, 0) <= 0) return 1;
        }
        ssize_t r = read(0, ibuf + ilen, icap - ilen);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return 0;
        ilen += (size_t)r;
        return 1;
    }
}

static void consume_input(size_t n) {
    memmove(ibuf, ibuf + n, ilen - n);
    ilen -= n;
}

static int read_input(void *buf, size_t len) {
    unsigned char *p = buf;
    while (len > 0) {
        if (ilen == 0 && !fill_input(1)) return -1;
        size_t take = ilen < len ? ilen : len;
        memcpy(p, ibuf, take);
        consume_input(take);
        p += take;
        len -= take;
    }
    return 0;
}

/* After an execution: its input frames (stdin, end of input, kill) that arrived too late are
 * dropped up to the executor's 'N' (next), which says nothing more of it will come. */
static int skip_to_next(void) {
    for (;;) {
        while (ilen >= 5) {
            uint32_t len = be32(ibuf + 1);
            if (len > MAX_FRAME) fail("frame too large");
            if (ilen - 5 < len) break;
            unsigned char type = ibuf[0];
            consume_input(5 + len);
            if (type == 'N') return 1;
            if (type != 'I' && type != 'E' && type != 'K') fail("unexpected frame %c after an execution", type);
        }
        if (!fill_input(1)) return 0;
    }
}

/* Waits for the next request while keeping a live cell ready, and says when it is; 0 when the
 * executor hung up. */
static int await_request(void) {
    if (ilen > 0) return 1;
    for (int attempts = 0;;) {
        struct pollfd pfd[3] = {{0, POLLIN, 0}, {sfd, POLLIN, 0}, {cell.ready, POLLIN, 0}};
        if (poll(pfd, cell.ready >= 0 ? 3 : 2, -1) < 0 && errno != EINTR) fail("poll: %s", strerror(errno));
        if (cell.ready >= 0 && (pfd[2].revents & (POLLIN | POLLHUP | POLLERR))) {
            close_fd(&cell.ready);
            send_frame('Y', NULL, 0);
        }
        if (pfd[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) > 0) {}
            if (waitpid(cell.pid, NULL, WNOHANG) == cell.pid) {
                /* The idle cell died (its interpreter crashed?): replace it, a few times. */
                cell.pid = -1;
                discard_cell();
                if (++attempts > 3) fail("the sandbox cannot prepare an execution");
                prepare_cell();
            }
        }
        if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) return 1;
    }
}

/* Reads the request's frames up to 'G', streaming files into the cell.  0 on hang-up. */
static int read_request(void) {
    static unsigned char chunk[CHUNK];
    for (;;) {
        unsigned char hdr[5];
        if (read_input(hdr, 5) < 0) return 0;
        uint32_t len = be32(hdr + 1);
        if (len > MAX_FRAME) fail("frame too large");
        if (hdr[0] == 'F' || hdr[0] == 'H') {
            to_cell(hdr, 5);
            for (uint32_t left = len; left > 0;) {
                size_t want = left < sizeof chunk ? left : sizeof chunk;
                if (read_input(chunk, want) < 0) return 0;
                to_cell(chunk, want);
                left -= (uint32_t)want;
            }
            continue;
        }
        unsigned char *payload = malloc(len ? len : 1);
        if (!payload) fail("out of memory");
        if (read_input(payload, len) < 0) return 0;
        switch (hdr[0]) {
        case 'A':
            if (nargs >= MAX_ARGS) fail("too many arguments");
            args[nargs++] = dup_text(payload, len);
            break;
        case 'V':
            if (nenvs >= MAX_ENV) fail("too many environment variables");
            envs[nenvs++] = dup_text(payload, len);
            break;
        case 'C':
            if (ncollect >= MAX_COLLECT || !safe_relpath((const char *)payload, len)) fail("bad collect path");
            collect[ncollect++] = dup_text(payload, len);
            break;
        case 'L': {
            char *s = dup_text(payload, len);
            if (sscanf(s, "%llu %llu %llu %llu %llu", &cpu_limit_ms, &wall_limit_ms, &output_limit, &artifact_limit,
                       &file_size_limit) != 5)
                fail("bad limits");
            free(s);
            break;
        }
        case 'G':
            free(payload);
            if (nargs == 0) fail("no command");
            return 1;
        case 'N':
            break;
        default: fail("unexpected frame %c before start", hdr[0]);
        }
        free(payload);
    }
}

static void send_go(void) {
    char *buf = NULL;
    size_t size = 0;
    FILE *m = open_memstream(&buf, &size);
    if (!m) fail("out of memory");
    fprintf(m, "%llu%c%llu%c%llu%c%d%c", cpu_limit_ms, 0, file_size_limit, 0, artifact_limit, 0, nargs, 0);
    for (int i = 0; i < nargs; i++) fprintf(m, "%s%c", args[i], 0);
    fprintf(m, "%d%c", nenvs, 0);
    for (int i = 0; i < nenvs; i++) fprintf(m, "%s%c", envs[i], 0);
    fprintf(m, "%d%c", ncollect, 0);
    for (int i = 0; i < ncollect; i++) fprintf(m, "%s%c", collect[i], 0);
    fclose(m);
    unsigned char hdr[5];
    put_header(hdr, 'G', size);
    to_cell(hdr, 5);
    to_cell(buf, size);
    free(buf);
}

struct outstream {
    int fd;
    char type;
    unsigned long long bytes;
};

/* Copies one frame from the cell to the executor (artifacts may be large: streamed). */
static int forward_frame(int from, unsigned char type, uint32_t len) {
    static unsigned char chunk[CHUNK];
    unsigned char hdr[5];
    put_header(hdr, (char)type, len);
    write_all(1, hdr, 5);
    for (uint32_t left = len; left > 0;) {
        size_t want = left < sizeof chunk ? left : sizeof chunk;
        if (read_exact(from, chunk, want) < 0) return -1;
        write_all(1, chunk, want);
        left -= (uint32_t)want;
    }
    return 0;
}

/* Runs the request in the prepared cell; sends 'S', output, artifacts and 'X'. */
static void run_request(void) {
    unsigned long long oom_before = cgroup_oom_kills();
    unsigned long long majflt_before = cgroup_major_faults();
    killed_peak_kb = 0;
    unsigned long long cpu_before = cgroup_cpu_us();
    unsigned long long self_before = self_cpu_us();
    unsigned long long start = now_us();
    send_go();

    int stdin_fd = cell.in_w;
    set_nonblock(stdin_fd);
    set_nonblock(cell.out_r);
    set_nonblock(cell.err_r);
    struct outstream outs[2] = {{cell.out_r, 'O', 0}, {cell.err_r, 'R', 0}};
    cell.in_w = cell.out_r = cell.err_r = -1;

    unsigned char *pend = NULL;
    size_t pendlen = 0, pendoff = 0;
    int stdin_eof = 0, exec_open = 1, rep_open = 1, cell_alive = 1, exited = 0, status = 0, started = 0;
    int user_error = 0, reported = 0, collecting = 0;
    enum reason reason = R_NONE;
    unsigned long long end = 0, drain_deadline = 0;
    struct rusage cell_ru;
    memset(&cell_ru, 0, sizeof cell_ru);
    char error[512] = "";
    static char chunk[CHUNK];

    for (;;) {
        /* Input frames first: some may have come in the same read as the request. */
        while (ilen >= 5) {
            uint32_t flen = be32(ibuf + 1);
            if (flen > MAX_FRAME) fail("frame too large");
            if (ilen - 5 < flen) break;
            unsigned char type = ibuf[0];
            unsigned char *p = ibuf + 5;
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
                kill_cell();
            } else if (type != 'I' && type != 'K') {
                fail("unexpected frame %c during an execution", type);
            }
            consume_input(5 + flen);
        }
        unsigned long long t = now_us();
        if (started && !exited && reason == R_NONE && cell_alive) {
            if (t - start >= wall_limit_ms * 1000ull) reason = R_WALL;
            else if (cpu_before && program_cpu_us(cpu_before, self_before) >= cpu_limit_ms * 1000ull) reason = R_CPU;
            if (reason != R_NONE) kill_cell();
        }
        /* Done when the cell is gone, or when it reported the program's end and has nothing more to
         * send (its teardown then overlaps the report), and the output is in. */
        if ((!cell_alive && !rep_open) || (reported && !collecting)) {
            if (!end) end = t;
            if (!drain_deadline) drain_deadline = t + DRAIN_MS * 1000ull;
            if ((outs[0].fd < 0 && outs[1].fd < 0) || t >= drain_deadline) break;
        }

        struct pollfd pfd[6];
        int n = 0, i_exec = -1, i_out[2] = {-1, -1}, i_in = -1, i_rep = -1, i_sig;
        if (exec_open) { pfd[n] = (struct pollfd){0, POLLIN, 0}; i_exec = n++; }
        for (int k = 0; k < 2; k++)
            if (outs[k].fd >= 0) { pfd[n] = (struct pollfd){outs[k].fd, POLLIN, 0}; i_out[k] = n++; }
        if (stdin_fd >= 0 && pendlen > pendoff) { pfd[n] = (struct pollfd){stdin_fd, POLLOUT, 0}; i_in = n++; }
        if (rep_open) { pfd[n] = (struct pollfd){cell.rep, POLLIN, 0}; i_rep = n++; }
        pfd[n] = (struct pollfd){sfd, POLLIN, 0};
        i_sig = n++;
        int timeout = TICK_MS;
        if (started && !exited) {
            unsigned long long wall_end = start + wall_limit_ms * 1000ull;
            if (wall_end > t && (wall_end - t) / 1000 < (unsigned long long)timeout) timeout = (int)((wall_end - t) / 1000) + 1;
        }
        if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR) fail("poll: %s", strerror(errno));

        if (pfd[i_sig].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) > 0) {}
            int st;
            struct rusage ru;
            pid_t w;
            /* The cell (and anything else that ended: nothing else should be our child). */
            while ((w = wait4(-1, &st, WNOHANG, &ru)) > 0) {
                if (!cell_alive || w != cell.pid) continue;
                cell_ru = ru;
                /* Every process of the execution is gone with its PID namespace's init. */
                cell_alive = 0;
                cell.pid = -1;
                if (!exited) {
                    exited = 1;
                    status = WIFSIGNALED(st) ? st : (SIGKILL & 0x7f); /* killed by the agent */
                    end = now_us();
                }
                if (stdin_fd >= 0) close_fd(&stdin_fd);
            }
        }
        if (i_rep >= 0 && (pfd[i_rep].revents & (POLLIN | POLLHUP | POLLERR))) {
            unsigned char hdr[5];
            if (read_exact(cell.rep, hdr, 5) < 0) {
                rep_open = 0;
            } else {
                uint32_t len = be32(hdr + 1);
                if (len > MAX_FRAME) { rep_open = 0; kill_cell(); continue; }
                if (hdr[0] == 'H') {
                    if (forward_frame(cell.rep, hdr[0], len) < 0) rep_open = 0;
                    continue;
                }
                char msg[512];
                size_t keep = len < sizeof msg - 1 ? len : sizeof msg - 1;
                if (read_exact(cell.rep, msg, keep) < 0) { rep_open = 0; continue; }
                for (uint32_t left = len - (uint32_t)keep; left > 0;) {
                    size_t want = left < sizeof chunk ? left : sizeof chunk;
                    if (read_exact(cell.rep, chunk, want) < 0) break;
                    left -= (uint32_t)want;
                }
                msg[keep] = 0;
                if (hdr[0] == 'S') {
                    started = 1;
                    start = now_us();
                    send_frame('S', NULL, 0);
                } else if (hdr[0] == 'W') {
                    exited = 1;
                    long maxrss = 0;
                    unsigned long long cpu = 0;
                    sscanf(msg, "%d %ld %llu", &status, &maxrss, &cpu);
                    cell_ru.ru_maxrss = maxrss;
                    cell_ru.ru_utime.tv_sec = (time_t)(cpu / 1000000ull);
                    cell_ru.ru_utime.tv_usec = (suseconds_t)(cpu % 1000000ull);
                    end = now_us();
                    if (stdin_fd >= 0) close_fd(&stdin_fd);
                    int clean = reason == R_NONE && WIFEXITED(status) && WEXITSTATUS(status) == 0 && ncollect > 0;
                    /* Artifacts only after every byte of output has been relayed. */
                    for (int k = 0; k < 2 && clean; k++) {
                        while (outs[k].fd >= 0) {
                            ssize_t r = read(outs[k].fd, chunk, sizeof chunk);
                            if (r < 0 && errno == EINTR) continue;
                            if (r < 0 && errno == EAGAIN) {
                                struct pollfd one = {outs[k].fd, POLLIN, 0};
                                if (poll(&one, 1, DRAIN_MS) <= 0) break;
                                continue;
                            }
                            if (r <= 0) { close_fd(&outs[k].fd); break; }
                            unsigned long long room = output_limit > outs[k].bytes ? output_limit - outs[k].bytes : 0;
                            size_t send = (unsigned long long)r > room ? (size_t)room : (size_t)r;
                            if (send) send_frame(outs[k].type, chunk, send);
                            outs[k].bytes += (unsigned long long)r;
                        }
                    }
                    char cmd = clean ? 'C' : 'Q';
                    to_cell(&cmd, 1);
                    reported = 1;
                    collecting = clean;
                } else if (hdr[0] == 'U') {
                    user_error = 1;
                    snprintf(error, sizeof error, "%s", msg);
                } else {
                    snprintf(error, sizeof error, "%s", hdr[0] == 'Z' ? msg : "the sandbox's cell misbehaved");
                }
            }
        }
        for (int k = 0; k < 2; k++) {
            if (i_out[k] < 0 || outs[k].fd < 0 || !(pfd[i_out[k]].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t r = read(outs[k].fd, chunk, sizeof chunk);
            if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            if (r <= 0) {
                close_fd(&outs[k].fd);
                continue;
            }
            unsigned long long room = output_limit > outs[k].bytes ? output_limit - outs[k].bytes : 0;
            size_t send = (unsigned long long)r > room ? (size_t)room : (size_t)r;
            if (send) send_frame(outs[k].type, chunk, send);
            outs[k].bytes += (unsigned long long)r;
            if ((unsigned long long)r > room && reason == R_NONE && !exited) {
                reason = R_OUTPUT;
                kill_cell();
            }
        }
        if (i_in >= 0 && stdin_fd >= 0 && (pfd[i_in].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = write(stdin_fd, pend + pendoff, pendlen - pendoff);
            if (w > 0) pendoff += (size_t)w;
            else if (w < 0 && errno != EAGAIN && errno != EINTR) { pendlen = pendoff = 0; close_fd(&stdin_fd); }
        }
        if (stdin_fd >= 0 && stdin_eof && pendoff >= pendlen) close_fd(&stdin_fd);
        if (pendoff >= pendlen && pendlen) pendlen = pendoff = 0;

        if (i_exec >= 0 && (pfd[i_exec].revents & (POLLIN | POLLHUP | POLLERR)) && !fill_input(1)) {
            /* the executor hung up: treat it as end of input and stop the program */
            exec_open = 0;
            stdin_eof = 1;
            if (cell_alive && reason == R_NONE) { reason = R_KILLED; kill_cell(); }
        }
    }
    free(pend);
    close_fd(&stdin_fd);
    close_fd(&outs[0].fd);
    close_fd(&outs[1].fd);
    if (!exec_open) _exit(0);
    if (user_error) {
        send_frame('U', error, strlen(error));
    } else if (!started) {
        discard_cell();
        fail("%s", error[0] ? error : "the sandbox could not start the program");
    }
    unsigned long long cg_cpu = cpu_before ? program_cpu_us(cpu_before, self_before) : 0;
    unsigned long long ru_cpu = rusage_cpu_us(&cell_ru);
    if (killed_peak_kb > cell_ru.ru_maxrss) cell_ru.ru_maxrss = killed_peak_kb;
    char rec[1024];
    int len = snprintf(rec, sizeof rec,
                       "exit_code=%d\nsignal=%d\nreason=%s\ncpu_us=%llu\nrusage_cpu_us=%llu\nwall_us=%llu\n"
                       "maxrss_kb=%ld\nmem_peak_bytes=%llu\noom_kills=%llu\nmajor_faults=%llu\n"
                       "stdout_bytes=%llu\nstderr_bytes=%llu\n",
                       started && WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                       started && WIFSIGNALED(status) ? WTERMSIG(status) : 0, reason_names[reason],
                       cg_cpu ? cg_cpu : ru_cpu, ru_cpu, started ? end - start : 0, cell_ru.ru_maxrss,
                       (unsigned long long)cell_ru.ru_maxrss * 1024ull, cgroup_oom_kills() - oom_before,
                       cgroup_major_faults() - majflt_before, outs[0].bytes,
                       outs[1].bytes);
    send_frame('X', rec, (size_t)len);
    /* After the report: the cell has ended (or ends now), its namespaces go with it. */
    discard_cell();
    if (!skip_to_next()) _exit(0);
}

static void parse_args(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (strcmp(a, "--env") == 0 && more && nboot_envs < MAX_ENV) boot_envs[nboot_envs++] = argv[++i];
        else if (strcmp(a, "--work-mb") == 0 && more) opt_work_mb = strtoull(argv[++i], NULL, 10);
        else if (strcmp(a, "--tmp-mb") == 0 && more) opt_tmp_mb = strtoull(argv[++i], NULL, 10);
        else if (strcmp(a, "--shm-mb") == 0 && more) opt_shm_mb = strtoull(argv[++i], NULL, 10);
        else if (strcmp(a, "--inodes") == 0 && more) opt_inodes = strtoull(argv[++i], NULL, 10);
        else if (strcmp(a, "--loopback") == 0) opt_loopback = 1;
        else if (strcmp(a, "--rusage-cpu") == 0) opt_rusage_cpu = 1;
        else if (strcmp(a, "--zygote") == 0 && more) {
            zygote_argv = argv + i + 1;
            return;
        } else fail("unknown option %s", a);
    }
}

int main(int argc, char **argv) {
    prctl(PR_SET_DUMPABLE, 0);        /* same uid as the programs: keep them from ptracing us */
    prctl(PR_SET_CHILD_SUBREAPER, 1); /* orphans come to us (also when not run as PID 1) */
    signal(SIGPIPE, SIG_IGN);
    parse_args(argc, argv);
    outer_uid = getuid();
    outer_gid = getgid();
    build_inner_filter();
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    sfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sfd < 0) fail("signalfd: %s", strerror(errno));

    for (;;) {
        reset_request();
        prepare_cell();
        if (!await_request() || !read_request()) {
            discard_cell();
            return 0;
        }
        run_request();
        /* Reap anything that is not a cell (nothing should be). */
        while (waitpid(-1, NULL, WNOHANG) > 0) {}
    }
}

"""The sandbox container's seccomp profile: the project's own allow-list, for the native ABI only.

Built from the system calls Docker's default profile allows without capabilities, minus what no
program here needs and what widens the kernel surface (ptrace and cross-process memory access,
io_uring, the 32-bit socketcall/ipc multiplexers, modify_ldt), with socket families allow-listed
and personalities limited to Linux's. Only x86_64 and arm64 system calls pass: an ``int 0x80``
(i386) or x32 call is outside the filter's architectures and never reaches the kernel.

The container's agent needs namespaces and mounts to build each execution's cell (clone,
unshare, mount, umount2, sethostname); the cell then installs a second, stricter filter (agent.c)
that refuses them, with every capability dropped, before the program starts. The profile is
built here, at run time, so it travels with the executor into every deployment.
"""

from __future__ import annotations

import errno
import json
import socket
from typing import Any


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Allowed for every process in the container, whatever the arguments.
ALLOWED = _names(
    """
    accept accept4 access alarm arch_prctl bind brk capget capset chdir chmod chown clock_getres
    clock_gettime clock_nanosleep close close_range connect copy_file_range creat dup dup2 dup3
    epoll_create epoll_create1 epoll_ctl epoll_pwait epoll_pwait2 epoll_wait eventfd eventfd2
    execve execveat exit exit_group faccessat faccessat2 fadvise64 fallocate fanotify_mark
    fchdir fchmod fchmodat fchown fchownat fcntl fdatasync fgetxattr flistxattr flock fork
    fremovexattr fsetxattr fstat fstatfs fsync ftruncate futex futex_waitv futimesat getcpu
    getcwd getdents getdents64 getegid geteuid getgid getgroups getitimer getpeername getpgid
    getpgrp getpid getppid getpriority getrandom getresgid getresuid getrlimit get_robust_list
    getrusage getsid getsockname getsockopt gettid gettimeofday getuid getxattr
    inotify_add_watch inotify_init inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy
    io_getevents io_pgetevents ioprio_get ioprio_set io_setup io_submit kill landlock_add_rule
    landlock_create_ruleset landlock_restrict_self lchown lgetxattr link linkat listen listxattr
    llistxattr lremovexattr lseek lsetxattr lstat madvise membarrier memfd_create mincore mkdir
    mkdirat mknod mknodat mlock mlock2 mlockall mmap mprotect mq_getsetattr mq_notify mq_open
    mq_timedreceive mq_timedsend mq_unlink mremap msgctl msgget msgrcv msgsnd msync munlock
    munlockall munmap nanosleep newfstatat open openat openat2 pause pidfd_open
    pidfd_send_signal pipe pipe2 poll ppoll prctl pread64 preadv preadv2 prlimit64
    process_mrelease pselect6 pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv
    recvfrom recvmmsg recvmsg remap_file_pages removexattr rename renameat renameat2
    restart_syscall rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo
    rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_tgsigqueueinfo sched_getaffinity sched_getattr
    sched_getparam sched_get_priority_max sched_get_priority_min sched_getscheduler
    sched_rr_get_interval sched_setaffinity sched_setattr sched_setparam sched_setscheduler
    sched_yield seccomp select semctl semget semop semtimedop sendfile sendmmsg sendmsg sendto
    setfsgid setfsuid setgid setgroups setitimer setpgid setpriority setregid setresgid
    setresuid setreuid setrlimit set_robust_list setsid setsockopt set_tid_address setuid
    setxattr shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 splice stat
    statfs statx symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time
    timer_create timer_delete timer_getoverrun timer_gettime timer_settime timerfd_create
    timerfd_gettime timerfd_settime times tkill truncate umask uname unlink unlinkat utime
    utimensat utimes vfork vmsplice wait4 waitid write writev
    """
)

# For the agent's cells only: agent.c's inner filter refuses each of them to the program.
AGENT_ONLY = frozenset({"clone", "unshare", "mount", "umount2", "sethostname"})

# Never allowed (documentation and a test's guard: none may appear in ALLOWED or AGENT_ONLY).
REFUSED = _names(
    """
    ptrace process_vm_readv process_vm_writev process_madvise kcmp pidfd_getfd io_uring_setup
    io_uring_enter io_uring_register socketcall ipc modify_ldt userfaultfd perf_event_open bpf
    keyctl add_key request_key setns pivot_root chroot move_mount open_tree fsopen fsconfig
    fsmount fspick mount_setattr name_to_handle_at open_by_handle_at lookup_dcookie syslog
    init_module finit_module delete_module kexec_load kexec_file_load reboot swapon swapoff acct
    quotactl quotactl_fd iopl ioperm uselib ustat sysfs _sysctl vm86 vm86old memfd_secret
    fanotify_init settimeofday clock_settime clock_adjtime adjtimex vhangup
    """
)

ARCHITECTURES = ("SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64")
# AF_NETLINK only for NETLINK_ROUTE (protocol 0): getifaddrs() and friends.
SOCKET_FAMILIES = (socket.AF_UNIX, socket.AF_INET, socket.AF_INET6)
NETLINK_ROUTE = 0
# PER_LINUX and the query (0xffffffff); other personalities change the ABI (PER_LINUX32...).
PERSONALITIES = (0, 0xFFFFFFFF)


def _arg(index: int, value: int) -> dict[str, Any]:
    return {"index": index, "value": value, "valueTwo": 0, "op": "SCMP_CMP_EQ"}


def profile() -> dict[str, Any]:
    """The profile, as Docker's SecurityOpt seccomp=<json> expects it."""
    rules: list[dict[str, Any]] = [{"names": sorted(ALLOWED | AGENT_ONLY), "action": "SCMP_ACT_ALLOW"}]
    for family in SOCKET_FAMILIES:
        rules.append({"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [_arg(0, family)]})
    rules.append(
        {
            "names": ["socket"],
            "action": "SCMP_ACT_ALLOW",
            "args": [_arg(0, socket.AF_NETLINK), _arg(2, NETLINK_ROUTE)],
        }
    )
    rules.append({"names": ["socketpair"], "action": "SCMP_ACT_ALLOW", "args": [_arg(0, socket.AF_UNIX)]})
    for persona in PERSONALITIES:
        rules.append({"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [_arg(0, persona)]})
    # clone3 passes its flags in memory the filter cannot read: ENOSYS makes libc fall back to clone.
    rules.append({"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": errno.ENOSYS})
    return {
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": errno.EPERM,
        "architectures": list(ARCHITECTURES),
        "syscalls": rules,
    }


def profile_json() -> str:
    return json.dumps(profile(), separators=(",", ":"))

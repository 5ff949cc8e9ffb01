"""Tests of scripts/check-test-deps.py's two pure parts: which programs an
strace -f log says were started, and which packages count as installed
by install-deps.sh (its list, their dependencies, the base system).
  python3 tests/tools/test_check_test_deps.py
"""
import importlib.util
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
spec = importlib.util.spec_from_file_location("check_test_deps", os.path.join(ROOT, "scripts", "check-test-deps.py"))
ctd = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ctd)

passed = failed = 0


def check(name, got, want):
    global passed, failed
    if got == want:
        passed += 1
    else:
        failed += 1
        print("FAIL %s\n  got  %r\n  want %r" % (name, got, want))


LOG = """\
100   execve("/usr/bin/make", ["make", "test"], 0x7ffd /* 40 vars */) = 0
101   execve("/usr/local/bin/tmux", ["tmux"], 0x55 /* 40 vars */) = -1 ENOENT (No such file or directory)
101   execve("/usr/bin/tmux", ["tmux"], 0x55 /* 40 vars */) = 0
102   execve("/usr/bin/chromium", ["chromium", "--headless"], 0x56 /* 41 vars */ <unfinished ...>
103   execve("/usr/bin/gdb", ["gdb"], 0x57 /* 41 vars */ <unfinished ...>
101   --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=104} ---
102   <... execve resumed>)             = 0
103   <... execve resumed>)             = -1 ENOENT (No such file or directory)
104   +++ exited with 0 +++
"""
check("programs: successful calls, interrupted ones once resumed; failed ones left out",
      ctd.programs(LOG.splitlines(True)), {"/usr/bin/make", "/usr/bin/tmux", "/usr/bin/chromium"})
check("programs: an empty log", ctd.programs([]), set())

TABLE = "\n".join("\t".join(f) for f in [
    # package, status, essential, priority, provides, pre-depends + depends
    ("tmux", "ii ", "", "optional", "", ", libc6 (>= 2.34), libevent-core-2.1-7 (>= 2.1.8-stable)"),
    ("libevent-core-2.1-7", "ii ", "", "optional", "", ", libc6"),
    ("libc6", "ii ", "", "optional", "", ", libgcc-s1"),
    ("libgcc-s1", "ii ", "", "optional", "", ""),
    ("coreutils", "ii ", "yes", "required", "", "libacl1, , libattr1"),
    ("libacl1", "ii ", "", "optional", "", ""),
    ("libattr1", "ii ", "", "optional", "", ""),
    ("curl", "ii ", "", "optional", "", ", libcurl4 (= 7.88) | libcurl-gnutls4, awk"),
    ("libcurl4", "ii ", "", "optional", "", ""),
    ("libcurl-gnutls4", "ii ", "", "optional", "", ""),
    ("mawk", "ii ", "", "optional", "awk", ""),
    ("gawk", "rc ", "", "optional", "awk", ""),  # removed: its files are gone
    ("python3-foo", "ii ", "", "optional", "", ", python3:any (>= 3.9)"),
    ("python3", "ii ", "", "optional", "", ""),
    ("gdb", "ii ", "", "optional", "", ", libc6"),
    ("cppcheck", "ii ", "", "optional", "", ""),
])
got = ctd.closure(["tmux", "curl", "python3-foo"], TABLE)
check("closure: the roots, their dependencies (versions and arch qualifiers dropped), the base system",
      got >= {"tmux", "libevent-core-2.1-7", "libc6", "libgcc-s1", "coreutils", "libacl1", "libattr1",
              "python3-foo", "python3"}, True)
check("closure: every installed alternative; a virtual package brings its installed providers",
      got >= {"libcurl4", "libcurl-gnutls4", "mawk"}, True)
check("closure: what nothing pulls in stays out", sorted({"gdb", "cppcheck", "gawk"} & got), [])
check("closure: nothing without roots but the base system",
      ctd.closure([], TABLE), {"coreutils", "libacl1", "libattr1"})

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)

"""Runs a command (by default `make test`) with every program it starts
recorded (strace, execve only), then checks that each program from a
Debian package comes from one that scripts/install-deps.sh installs or
pulls in (its packages, their dependencies, and the packages every Debian
system has). A suite that calls a tool the script does not install passes
on a machine that happens to have it and fails on a fresh one; this
finds it on any machine. Prints the command's output, the programs found
outside that set, and a last line "N passed, N failed" that adds this
check to the command's own summary line.
  python3 scripts/check-test-deps.py [--flavour bench|fuzz|valgrind] [COMMAND ...]
Without strace or dpkg-query the command runs unrecorded and the check
says it was skipped (install-deps.sh --trace installs strace).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed\s*$")


def install_list(flavour):
    cmd = ["sh", os.path.join(ROOT, "scripts", "install-deps.sh"), "--list"]
    if flavour:
        cmd.append("--" + flavour)
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.split()


def run(cmd, trace_log):
    """runs cmd (under strace when trace_log), echoing its output; returns
    (exit status, its last summary line's counts or None)"""
    if trace_log:
        cmd = ["strace", "-f", "-qq", "--seccomp-bpf", "-e", "trace=execve", "-o", trace_log, "--"] + cmd
    last = None
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          errors="replace") as p:
        for line in p.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            m = SUMMARY.match(line)
            if m:
                last = (int(m.group(1)), int(m.group(2)))
    return p.returncode, last


def programs(lines):
    """the paths of every successful execve in the lines of an strace -f log
    (a call another process interrupts comes as "<unfinished ...>" and its
    end as "<... execve resumed>" on a later line of the same pid)"""
    pending, found = {}, set()
    start = re.compile(r'^(\d+)\s+execve\("([^"]+)"')
    resumed = re.compile(r"^(\d+)\s+<\.\.\. execve resumed>.*= 0$")
    for line in lines:
        line = line.rstrip("\n")
        m = start.match(line)
        if m:
            if line.endswith("= 0"):
                found.add(m.group(2))
            elif line.endswith("<unfinished ...>"):
                pending[m.group(1)] = m.group(2)
            continue
        m = resumed.match(line)
        if m and m.group(1) in pending:
            found.add(pending.pop(m.group(1)))
    return found


def owner(path):
    """the Debian package a program's file belongs to, or None"""
    real = os.path.realpath(path)
    candidates = [path, real]
    for p in (path, real):  # merged /usr: /bin/x is /usr/bin/x, and dpkg may know either
        if p.startswith("/usr/"):
            candidates.append(p[4:])
        elif p.startswith(("/bin/", "/sbin/", "/lib")):
            candidates.append("/usr" + p)
    for c in dict.fromkeys(candidates):
        r = subprocess.run(["dpkg", "-S", c], capture_output=True, text=True)
        for line in r.stdout.splitlines():
            pkgs, _, where = line.partition(": ")
            if where == c and "diversion" not in pkgs:
                return pkgs.split(",")[0].strip().split(":")[0]
    return None


DPKG_FORMAT = "${Package}\t${db:Status-Abbrev}\t${Essential}\t${Priority}\t${Provides}\t${Pre-Depends}, ${Depends}\n"


def closure(roots, table):
    """roots, the packages every Debian system has (Essential, or Priority
    required), and everything they depend on, among the installed ones
    (table: dpkg-query's lines in DPKG_FORMAT); every installed alternative
    of a dependency counts, and a virtual package stands for its providers"""
    deps, provides, base = {}, {}, set()
    for line in table.splitlines():
        name, status, essential, priority, prov, dep = (line.split("\t") + [""] * 6)[:6]
        if not status.startswith("ii"):
            continue
        deps[name] = dep
        if essential == "yes" or priority == "required":
            base.add(name)
        for v in prov.split(","):
            v = re.sub(r"\(.*?\)", "", v).strip().split(":")[0]
            if v:
                provides.setdefault(v, set()).add(name)
    seen, todo = set(), list(roots) + sorted(base)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        for clause in deps.get(p, "").split(","):
            for alt in clause.split("|"):
                a = re.sub(r"\(.*?\)|\[.*?\]", "", alt).strip().split(":")[0]
                if not a:
                    continue
                todo.extend(q for q in ([a] if a in deps else []) + sorted(provides.get(a, ())) if q not in seen)
    return seen


def main(argv):
    flavour = None
    if argv[:1] == ["--flavour"]:
        if len(argv) < 2 or argv[1] not in ("bench", "fuzz", "valgrind"):
            sys.exit("check-test-deps: --flavour takes bench, fuzz or valgrind")
        flavour, argv = argv[1], argv[2:]
    cmd = argv or ["make", "test"]
    tools = shutil.which("strace") and shutil.which("dpkg-query") and shutil.which("dpkg")
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "execve.log") if tools else None
        status, counts = run(cmd, log)
        passed, failed = counts or (0, 0 if status == 0 else 1)
        if status != 0 and failed == 0:
            failed = 1
        if not tools:
            print("check-test-deps: skipped: strace or dpkg-query is not installed "
                  "(sh scripts/install-deps.sh --trace installs strace)")
        else:
            table = subprocess.run(["dpkg-query", "-W", "-f", DPKG_FORMAT], check=True, capture_output=True,
                                   text=True).stdout
            ok = closure(install_list(flavour), table)
            outside, unowned = [], []
            with open(log, errors="replace") as f:
                found = programs(f)
            for prog in sorted(found):
                real = os.path.realpath(prog)
                if prog.startswith("/proc/") or real.startswith((ROOT + os.sep, tempfile.gettempdir() + os.sep)):
                    continue  # a process starting itself again, the project's own programs, the tests' scratch files
                pkg = owner(prog)
                if pkg is None:
                    unowned.append(prog)
                elif pkg not in ok:
                    outside.append((prog, pkg))
            for prog in unowned:
                print("check-test-deps: note: %s is not from a Debian package (not checked)" % prog)
            for prog, pkg in outside:
                print("check-test-deps: %s (package %s) ran, and scripts/install-deps.sh%s neither installs nor "
                      "pulls in %s: add it to its list" % (prog, pkg, " --" + flavour if flavour else "", pkg))
            if outside:
                print("FAIL check-test-deps: %d program(s) from packages install-deps.sh does not install" %
                      len(outside))
                failed += 1
            else:
                print("check-test-deps: every program the command ran comes from a package install-deps.sh "
                      "installs or pulls in")
                passed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

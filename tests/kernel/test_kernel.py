"""The Jupyter kernel through a real client: jupyter_client starts
`simec --kernel` from a kernelspec that `simec --install-kernel --prefix`
wrote, and every message type is checked. Ends with "N passed, N failed".

    python3 tests/kernel/test_kernel.py ./simec
"""
import os
import queue
import re
import shutil
import signal
import subprocess
import time
import traceback

from harness import SIMEC, WORK, check, finish

from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402 (after harness sets JUPYTER_PATH)
from jupyter_client.manager import start_new_kernel  # noqa: E402
from jupyter_client.session import Session  # noqa: E402


def run(kc, code, timeout=30, stdin=None, **kw):
    """Executes code; returns (reply content, [(msg_type, content)] on iopub
    for this request, in order). stdin answers input requests."""
    msg_id = kc.execute(code, **kw)
    out, deadline = [], time.time() + timeout
    while True:
        if stdin is not None:
            try:
                m = kc.get_stdin_msg(timeout=0.05)
                if m["msg_type"] == "input_request":
                    out.append(("input_request", m["content"]))
                    kc.input(stdin.pop(0))
            except queue.Empty:
                pass
        try:
            m = kc.get_iopub_msg(timeout=0.05 if stdin is not None else 1)
        except queue.Empty:
            if time.time() > deadline:
                raise TimeoutError("no idle status for %r" % code)
            continue
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        t = m["msg_type"]
        if t == "status" and m["content"]["execution_state"] == "idle":
            break
        out.append((t, m["content"]))
    while True:
        rep = kc.get_shell_msg(timeout=timeout)
        if rep["parent_header"].get("msg_id") == msg_id:
            return rep["content"], out


def of(out, kind):
    return [c for t, c in out if t == kind]


def shell(kc, send, timeout=10):
    msg_id = send()
    while True:
        rep = kc.get_shell_msg(timeout=timeout)
        if rep["parent_header"].get("msg_id") == msg_id:
            return rep


def case(fn):
    try:
        fn()
    except Exception:
        check(fn.__name__ + " (raised)", False, traceback.format_exc())
    return fn


# ---- the kernelspec ----
rc = subprocess.run([SIMEC, "--install-kernel", "--prefix", WORK], capture_output=True, text=True)
check("--install-kernel --prefix writes the kernelspec", rc.returncode == 0, rc.stderr)
specs = KernelSpecManager().get_all_specs()
check("jupyter finds the kernelspec 'simec (Lua 5.4)'",
      specs.get("simec", {}).get("spec", {}).get("display_name") == "simec (Lua 5.4)", specs)
# `jupyter kernelspec` runs the jupyter-kernelspec command, which Debian
# ships apart from the Python library (package jupyter-client, which
# install-deps.sh installs): without it this check fails, as it should
listing = subprocess.run(["jupyter", "kernelspec", "list"], capture_output=True, text=True) \
    if shutil.which("jupyter") else None
if listing is None:
    print("     'jupyter kernelspec list' skipped: the jupyter command (Debian's jupyter-core) is not installed")
else:
    check("jupyter kernelspec list shows simec", re.search(r"^\s*simec\s", listing.stdout, re.M) is not None,
          listing.stdout + listing.stderr)
kdir = os.path.join(WORK, "share", "jupyter", "kernels", "simec")
check("the kernelspec has its logos", all(open(os.path.join(kdir, f), "rb").read(8) == b"\x89PNG\r\n\x1a\n"
                                          for f in ("logo-32x32.png", "logo-64x64.png")))
rc = subprocess.run([SIMEC, "--install-kernel", "--bogus"], capture_output=True, text=True)
check("--install-kernel rejects an unknown argument", rc.returncode != 0 and "--bogus" in rc.stderr, rc.stderr)
bad = os.path.join(WORK, "bad.json")
with open(bad, "w") as f:
    f.write('{"transport": "tcp", "ip": "127.0.0.1", "key": "k", "shell_port": 70000}')
rc = subprocess.run([SIMEC, "--kernel", bad], capture_output=True, text=True, timeout=20)
check("a bad connection file: a clear error naming the file and field",
      rc.returncode != 0 and "bad.json" in rc.stderr and "shell_port" in rc.stderr, rc.stderr)

km, kc = start_new_kernel(kernel_name="simec", startup_timeout=30)


@case
def kernel_info():
    c = shell(kc, kc.kernel_info)["content"]
    check("kernel_info: protocol 5.3, language lua, implementation simec",
          c["protocol_version"] == "5.3" and c["language_info"]["name"] == "lua" and c["implementation"] == "simec"
          and c["status"] == "ok", c)


@case
def heartbeat():
    time.sleep(0.5)
    check("the heartbeat answers", kc.hb_channel.is_beating())


@case
def execute_basics():
    rep, out = run(kc, "1 + 1")
    check("an expression: execute_result text/plain 2", of(out, "execute_result")[0]["data"]["text/plain"] == "2", out)
    check("execute_input carries the code and count",
          of(out, "execute_input") and of(out, "execute_input")[0]["code"] == "1 + 1"
          and of(out, "execute_input")[0]["execution_count"] == rep["execution_count"], out)
    check("status busy comes first", out[0] == ("status", {"execution_state": "busy"}), out[:1])
    n = rep["execution_count"]
    rep, out = run(kc, "x = 3\nprint('hi', x)\nio.stderr:write('warn\\n')\nx * 2")
    check("execution counts increase", rep["execution_count"] == n + 1, rep)
    text = "".join(c["text"] for c in of(out, "stream") if c["name"] == "stdout")
    check("print goes to the stdout stream", text == "hi\t3\n", out)
    check("io.stderr goes to the stderr stream",
          "".join(c["text"] for c in of(out, "stream") if c["name"] == "stderr") == "warn\n", out)
    kinds = [t for t, _ in out if t in ("stream", "execute_result")]
    check("a cell's output comes before its value", kinds and kinds[-1] == "execute_result"
          and of(out, "execute_result")[0]["data"]["text/plain"] == "6", out)
    rep, out = run(kc, "local a = 5\nlocal b = a + 1\nb")
    check("the last line's value with the cell's locals in scope",
          of(out, "execute_result") and of(out, "execute_result")[0]["data"]["text/plain"] == "6", out)
    rep, out = run(kc, "for i = 1, 3 do\n  io.write(i, ' ')\nend")
    check("a statement cell shows no value", rep["status"] == "ok" and not of(out, "execute_result")
          and "".join(c["text"] for c in of(out, "stream")) == "1 2 3 ", out)
    rep, out = run(kc, "y = 1\n- 2")
    check("a last line that continues an expression is not split off",
          rep["status"] == "ok" and not of(out, "execute_result"), out)
    rep, out = run(kc, "y")
    check("... and runs as written", of(out, "execute_result")[0]["data"]["text/plain"] == "-1", out)
    rep, out = run(kc, "s = ('é'):rep(3) .. '\\xff'\ns")
    check("non-UTF-8 bytes reach the client as U+FFFD",
          of(out, "execute_result")[0]["data"]["text/plain"] == "ééé\ufffd", out)


@case
def errors():
    rep, out = run(kc, "kept = 42\nerror('boom')")
    check("an error: status error with ename, evalue and the traceback",
          rep["status"] == "error" and "boom" in rep["evalue"] and any("stack traceback" in l for l in rep["traceback"]),
          rep)
    check("the error is published on iopub", of(out, "error") and "boom" in of(out, "error")[0]["evalue"], out)
    rep, out = run(kc, "kept")
    check("the state survives an error", of(out, "execute_result")[0]["data"]["text/plain"] == "42", out)
    rep, out = run(kc, "x = = 1")
    check("a syntax error is an error reply", rep["status"] == "error" and "near '='" in rep["evalue"], rep)


@case
def stop_on_error():
    # a "run all": three requests at once, the first failing after the others are queued
    fail = "local t = simec.clock()\nwhile simec.clock() - t < 0.5 do end\nerror('stop here')"
    ids = [kc.execute(fail), kc.execute("ran_after = true"), kc.execute("1 + 1")]
    replies = {}
    while len(replies) < 3:
        rep = kc.get_shell_msg(timeout=20)
        replies[rep["parent_header"]["msg_id"]] = rep["content"]["status"]
    check("after an error, the execute requests queued behind it are aborted, not run",
          [replies[i] for i in ids] == ["error", "aborted", "aborted"], [replies[i] for i in ids])
    rep, out = run(kc, "ran_after == nil")
    check("... and the kernel runs the next one", of(out, "execute_result")[0]["data"]["text/plain"] == "true", out)
    ids = [kc.execute(fail, stop_on_error=False), kc.execute("ran_after = 2")]
    replies = {}
    while len(replies) < 2:
        rep = kc.get_shell_msg(timeout=20)
        replies[rep["parent_header"]["msg_id"]] = rep["content"]["status"]
    check("stop_on_error false: the next request runs", [replies[i] for i in ids] == ["error", "ok"],
          [replies[i] for i in ids])
    run(kc, "ran_after = nil")


@case
def silent_and_expressions():
    n = run(kc, "1")[0]["execution_count"]
    rep, out = run(kc, "quiet = 7\nquiet", silent=True)
    check("silent: no execute_input, no result, count unchanged",
          not of(out, "execute_input") and not of(out, "execute_result") and rep["execution_count"] == n, out)
    rep, out = run(kc, "z = 2", user_expressions={"a": "z * 10", "b": "nope.x"})
    ue = rep["user_expressions"]
    check("user_expressions: values and errors", ue["a"]["status"] == "ok" and ue["a"]["data"]["text/plain"] == "20"
          and ue["b"]["status"] == "error", ue)


@case
def rich_output():
    rep, out = run(kc, "matrix.zeros(20, 30)")
    data = of(out, "execute_result")[0]["data"]
    check("a matrix shows as an HTML table beside its text", "<table" in data.get("text/html", "")
          and data["text/plain"].startswith("matrix 20x30"), data)
    check("the HTML table is truncated like the text form", data["text/html"].count("<tr>") == 1 + 5 + 1 + 5, data["text/html"])
    rep, out = run(kc, "plot.line({1, 2, 3}, {{1, 4, 9}}, {title = 'squares'})")
    data = of(out, "execute_result")[0]["data"]
    check("a figure shows as image/svg+xml", data.get("image/svg+xml", "").startswith("<svg"), list(data))
    rep, out = run(kc, "display(matrix.zeros(2, 2))\nprint('after')\nkept")
    kinds = [t for t, _ in out if t in ("display_data", "stream", "execute_result")]
    check("display(x) shows mid-cell, in order", kinds == ["display_data", "stream", "execute_result"], kinds)
    rep, out = run(kc, "notebook = require 'simec.notebook'\nnotebook.show('step 1', 'p')\n"
                       "notebook.update('p', 'step 2')")
    upd = of(out, "update_display_data")
    check("notebook.update replaces a display in place",
          of(out, "display_data")[0]["transient"]["display_id"] == "p" and upd
          and upd[0]["transient"]["display_id"] == "p" and upd[0]["data"]["text/plain"] == "step 2", out)
    rep, out = run(kc, "d = data.synthetic{items = 30, users = 40, ratings = 300, seed = 1}\nd")
    data = of(out, "execute_result")[0]["data"]
    check("a data set shows as a small HTML table", "<table" in data.get("text/html", "") and "ratings" in
          data["text/html"], data)
    rep, out = run(kc, "m = SimEc.new{input = 5, embedding = 2, output = 5, seed = 1}\n"
                       "h = m:fit(matrix.rand(20, 5), matrix.rand(20, 5), {epochs = 40, verbose = true})\nh")
    err = "".join(c["text"] for c in of(out, "stream") if c["name"] == "stderr")
    check("a fit's progress rewrites one line", err.count("\r") >= 40 and err.count("\n") <= 1, repr(err[:300]))
    data = of(out, "execute_result")[0]["data"]
    check("a fit history shows as an HTML table", "<table" in data.get("text/html", "") and "epoch" in
          data["text/html"], data)


@case
def complete_inspect():
    c = shell(kc, lambda: kc.complete("x = matrix.ze", 13))["content"]
    check("complete: matrix.ze -> matrix.zeros", c["matches"] == ["matrix.zeros"] and c["cursor_start"] == 4
          and c["cursor_end"] == 13, c)
    code = "s = 'héé'; mat"
    c = shell(kc, lambda: kc.complete(code, len(code)))["content"]
    check("complete: cursor positions in code points", "matrix" in c["matches"] and c["cursor_start"] == len(code) - 3,
          c)
    c = shell(kc, lambda: kc.inspect("matrix.zeros(3, 4)", 9))["content"]
    check("inspect: the help entry", c["found"] and "zeros" in c["data"]["text/plain"], c)
    c = shell(kc, lambda: kc.inspect("no_such_name", 3))["content"]
    check("inspect: an unknown name is not found", c["status"] == "ok" and not c["found"], c)
    for code, want in (("x = 1", "complete"), ("for i = 1, 2 do", "incomplete"), ("x = = 1", "invalid"),
                       ("matrix.zeros(2,", "incomplete")):
        c = shell(kc, lambda: kc.is_complete(code))["content"]
        check("is_complete %r: %s" % (code, want), c["status"] == want, c)
    c = shell(kc, lambda: kc.history())["content"]
    check("history_request gets a reply", c["status"] == "ok" and c["history"] == [], c)
    c = shell(kc, lambda: kc.comm_info())["content"]
    check("comm_info_request gets a reply", c["status"] == "ok", c)


@case
def stdin():
    rep, out = run(kc, "v = io.read()\nn = io.read('n')\nv .. ':' .. n", stdin=["hello", "41.5"])
    check("io.read asks the notebook (input_request) and returns the reply",
          len(of(out, "input_request")) == 2 and of(out, "execute_result")[0]["data"]["text/plain"] == "hello:41.5", out)
    rep, out = run(kc, "io.read()", allow_stdin=False)
    check("io.read without allow_stdin is a clear error", rep["status"] == "error" and "allow_stdin" in rep["evalue"],
          rep)


@case
def interrupts():
    run(kc, "a = matrix.rand(3000, 3000)\nb = nil\nkeep = 'intact'")
    msg_id = kc.execute("for i = 1, 100 do b = a * a end")
    time.sleep(1.0)
    t0 = time.time()
    ctl = kc.session.send(kc.control_channel.socket, "interrupt_request", {})
    rep = kc.get_shell_msg(timeout=20)
    dt = time.time() - t0
    check("interrupt_request stops a long matrix product within a second",
          rep["parent_header"]["msg_id"] == msg_id and rep["content"]["status"] == "error" and dt < 1.0,
          (dt, rep["content"].get("evalue")))
    check("the interrupt says so", "interrupted" in rep["content"].get("evalue", ""), rep["content"])
    ctl_rep = kc.get_control_msg(timeout=5)
    check("interrupt_reply on the control channel", ctl_rep["msg_type"] == "interrupt_reply"
          and ctl_rep["parent_header"]["msg_id"] == ctl["header"]["msg_id"], ctl_rep)
    rep, out = run(kc, "keep")
    check("objects are usable after the interrupt", of(out, "execute_result")[0]["data"]["text/plain"] == "intact",
          out)
    msg_id = kc.execute("local n = 0\nwhile true do n = n + 1 end")
    time.sleep(0.5)
    km.interrupt_kernel()  # interrupt_mode signal: SIGINT to the kernel
    rep = kc.get_shell_msg(timeout=10)
    check("SIGINT (interrupt_mode signal) stops a Lua loop", rep["content"]["status"] == "error"
          and "interrupted" in rep["content"]["evalue"], rep["content"])
    # a hook belongs to one Lua thread: the loop of a coroutine stops too
    msg_id = kc.execute("coroutine.wrap(function() while true do end end)()")
    time.sleep(0.5)
    kc.session.send(kc.control_channel.socket, "interrupt_request", {})
    rep = kc.get_shell_msg(timeout=10)
    kc.get_control_msg(timeout=5)
    check("interrupt_request stops a loop in a coroutine", rep["parent_header"]["msg_id"] == msg_id
          and rep["content"]["status"] == "error" and "interrupted" in rep["content"]["evalue"], rep["content"])
    os.kill(km.provisioner.process.pid, signal.SIGINT)
    time.sleep(0.5)
    rep, out = run(kc, "keep")
    check("SIGINT between cells leaves the kernel running",
          km.is_alive() and of(out, "execute_result")[0]["data"]["text/plain"] == "intact", out)


@case
def bad_signature():
    forged = Session(key=b"not-the-key", username="intruder")
    forged.send(kc.shell_channel.socket, "execute_request",
                {"code": "forged = true", "silent": False, "store_history": True, "user_expressions": {},
                 "allow_stdin": False, "stop_on_error": True})
    got = None
    try:
        got = kc.get_shell_msg(timeout=1.5)
    except queue.Empty:
        pass
    check("a message with a bad signature gets no reply", got is None, got)
    rep, out = run(kc, "forged == nil")
    check("... and is not run", of(out, "execute_result")[0]["data"]["text/plain"] == "true", out)


@case
def malformed_messages():
    import zmq
    ctx = zmq.Context.instance()
    sock = ctx.socket(zmq.DEALER)
    sock.linger = 0
    sock.connect("%s://%s:%d" % (km.transport, km.ip, km.shell_port))
    header = kc.session.msg_header("execute_request")
    good = [kc.session.pack(p) for p in (header, {}, {}, {"code": "hit = true"})]
    sock.send_multipart([b"garbage"])                                  # no delimiter
    sock.send_multipart([b"<IDS|MSG>", b"sig", b"{}"])                 # too few frames
    sock.send_multipart([b"<IDS|MSG>"] + [b"x"] * 100)                 # too many frames
    bad_json = [b"{not json", b"{}", b"{}", b"{}"]
    sock.send_multipart([b"<IDS|MSG>", kc.session.sign(bad_json).encode()
                         if isinstance(kc.session.sign(bad_json), str) else kc.session.sign(bad_json)] + bad_json)
    no_type = [kc.session.pack(p) for p in ({"msg_id": "1"}, {}, {}, {"code": "hit = true"})]
    sign = kc.session.sign(no_type)
    sock.send_multipart([b"<IDS|MSG>", sign if isinstance(sign, bytes) else sign.encode()] + no_type)
    good[3] = kc.session.pack({"code": 7})                                # code not a string
    sign = kc.session.sign(good)
    sock.send_multipart([b"<IDS|MSG>", sign if isinstance(sign, bytes) else sign.encode()] + good)
    got = sock.poll(3000)
    reply = sock.recv_multipart() if got else []
    sock.close()
    check("an execute_request whose code is not a string gets an error reply",
          any(b"execute_request without code" in f for f in reply), reply[-1:] if reply else "no reply")
    rep, out = run(kc, "hit == nil")
    check("malformed messages are dropped and the kernel goes on", km.is_alive()
          and of(out, "execute_result")[0]["data"]["text/plain"] == "true", out)


@case
def restart_and_shutdown():
    run(kc, "before_restart = 1")
    km.restart_kernel(now=False)
    kc.wait_for_ready(timeout=30)
    rep, out = run(kc, "before_restart == nil")
    check("restart: a fresh state", of(out, "execute_result")[0]["data"]["text/plain"] == "true", out)
    check("restart: counts start again", rep["execution_count"] == 1, rep)
    proc = km.provisioner.process
    km.shutdown_kernel(now=False)
    check("shutdown_request: the kernel exits by itself with status 0", proc.poll() == 0, proc.poll())


try:
    if km.is_alive():
        km.shutdown_kernel(now=True)
except Exception:
    pass
kc.stop_channels()
finish()

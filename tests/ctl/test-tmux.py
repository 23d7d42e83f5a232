#!/usr/bin/env python3
"""privmemctl as a person sees it in a terminal (tmux): aligned tables with a styled header, and
watch printing another client's events live until Ctrl-C."""
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctltest import PRIVMEMCTL, Daemon, expect, expect_eq, main, skip, wait_until  # noqa: E402

CONFIG = """[pool vm]
sizes = 2M:2 4M:1
limit = 32M
users = *
"""


class Tmux:
    def __init__(self, d):
        self.name = "privmemctl-test-%d" % os.getpid()
        self.sock = os.path.join(d.dir, "tmux")
        self.tmux("new-session", "-d", "-s", self.name, "-x", "160", "-y", "40",
                  "env PS1='$ ' PRIVMEMD_SOCKET=%s PATH=%s:$PATH TERM=xterm bash --norc --noprofile"
                  % (d.socket, os.path.dirname(os.path.abspath(PRIVMEMCTL))))

    def tmux(self, *args):
        return subprocess.run(["tmux", "-S", self.sock] + list(args), capture_output=True, text=True, check=True).stdout

    def type(self, line):
        self.tmux("send-keys", "-t", self.name, line, "Enter")

    def screen(self, escapes=False):
        return self.tmux("capture-pane", "-p", "-t", self.name, *(["-e"] if escapes else []))

    def wait_for(self, text, escapes=False):
        return wait_until(lambda: text in self.screen(escapes) and self.screen(escapes), repr(text) + " on screen")

    def kill(self):
        subprocess.run(["tmux", "-S", self.sock, "kill-server"], capture_output=True)


def test_tables(t):
    t.type("clear; privmemctl pools; echo END-$?")
    screen = t.wait_for("END-0")
    lines = [l for l in screen.splitlines() if l.strip()]
    i = next(n for n, l in enumerate(lines) if l.startswith("POOL") and "BACKING" in l)
    expect_eq(lines[i].split(), ["POOL", "BACKING", "PAGE", "STATE", "READY", "LENT", "OTHER", "LIMIT", "QUOTA/UID", "NUMA", "HUGE"],
              "header a person reads")
    expect_eq(lines[i + 1].split(), ["vm", "shmem", "4.0", "KiB", "ok", "8.0", "MiB", "0", "B", "0", "B", "32", "MiB",
                                     "32", "MiB", "-", "-"], "row of vm")
    expect_eq(lines[i].index("STATE"), lines[i + 1].index("ok"), "STATE column aligned")
    expect_eq(lines[i].index("LIMIT") + len("LIMIT"), lines[i + 1].index("32 MiB") + len("32 MiB"), "LIMIT right-aligned")
    styled = t.screen(escapes=True)
    sgr = re.search(r"\x1b\[([0-9;]*)mPOOL", styled)
    expect(sgr and {"1", "4"} <= set(sgr.group(1).split(";")), "the header is bold and underlined on a terminal:\n%r" % styled)


def test_watch(t, d):
    t.type("clear; privmemctl watch")
    t.wait_for("Watching privmemd on %s; Ctrl-C stops." % d.socket)
    d.ctl("exec", "--pool=vm", "--size=2M", "--tag=seen-in-tmux", "--", "true")
    t.wait_for("leaseReleased")
    screen = t.screen()
    expect("leaseAcquired" in screen and "tag=seen-in-tmux" in screen and "size=2.0 MiB" in screen,
           "watch shows the other client's lease:\n" + screen)
    t.tmux("send-keys", "-t", t.name, "C-c", "")
    t.type("echo WATCH-ENDED-$?")
    t.wait_for("WATCH-ENDED-130")


def test():
    if not shutil.which("tmux"):
        skip("tmux is not installed (apt-get install tmux)")
    d = Daemon(CONFIG)
    d.wait_settled("vm")
    t = Tmux(d)
    try:
        test_tables(t)
        test_watch(t, d)
    finally:
        t.kill()
    d.stop()


if __name__ == "__main__":
    main(test)

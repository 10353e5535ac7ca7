"""Looking at processes through /proc: a test's own children and theirs,
whether they still run, and how much memory they used. Nothing here signals
a process: tests kill what they started, by PID, themselves."""

import os


def proc_stat(pid):
    """(state, ppid) of a process, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            text = f.read()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[1])


def alive(pid):
    st = proc_stat(pid)
    return st is not None and st[0] not in "ZX"


def command_line(pid):
    """The arguments a process was started with, or [] when it is gone."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return [a.decode("utf-8", "replace") for a in f.read().split(b"\0")[:-1]]
    except OSError:
        return []


def children_of(pid):
    """{pid: command name} of the live children of pid."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        st = proc_stat(int(entry))
        if st and st[1] == pid and st[0] not in "ZX":
            try:
                with open("/proc/%s/comm" % entry) as f:
                    found[int(entry)] = f.read().strip()
            except OSError:
                pass
    return found


def peak_rss_kib(pid):
    """VmHWM of a running process, 0 once it is gone. exec starts a fresh
    address space, so this is the program's own peak, unlike wait4's
    ru_maxrss, which also counts the forked parent's pages before exec."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0

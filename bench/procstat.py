#!/usr/bin/env python3
"""Reads CPU time and resident memory of a process tree from /proc.

A benchmarked proxy is one process (River, with its threads) or a master process with
worker children (nginx). Both figures are summed over the process and all its descendants,
so the two are compared on the same footing.

    procstat.py cpu PID   -> CPU seconds (user + system) consumed so far by PID's tree
    procstat.py rss PID   -> resident set size in KiB of PID's tree
    procstat.py pids PID  -> the PIDs of the tree, one per line
"""

import os
import sys

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def tree(pid):
    """Returns pid and its descendants (children are read from every thread's list)."""
    found = [pid]
    index = 0
    while index < len(found):
        current = found[index]
        index += 1
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except FileNotFoundError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{current}/task/{task}/children") as children:
                    found.extend(int(child) for child in children.read().split())
            except FileNotFoundError:
                pass
    return found


def cpu_seconds(pid):
    """utime + stime of the tree; for a process they already include all its threads."""
    total_ticks = 0
    for member in tree(pid):
        try:
            with open(f"/proc/{member}/stat") as stat:
                text = stat.read()
        except FileNotFoundError:
            continue
        # The command name (field 2) may hold spaces; the fields after it follow ')'.
        fields = text[text.rindex(")") + 2:].split()
        # utime and stime are fields 14 and 15 of proc(5); fields[0] here is field 3.
        total_ticks += int(fields[11]) + int(fields[12])
    return total_ticks / CLOCK_TICKS


def rss_kib(pid):
    total = 0
    for member in tree(pid):
        try:
            with open(f"/proc/{member}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except FileNotFoundError:
            continue
    return total


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("cpu", "rss", "pids"):
        sys.exit("usage: procstat.py cpu|rss|pids PID")
    pid = int(sys.argv[2])
    if not os.path.exists(f"/proc/{pid}"):
        sys.exit(f"procstat.py: no process {pid}")
    if sys.argv[1] == "cpu":
        print(f"{cpu_seconds(pid):.2f}")
    elif sys.argv[1] == "rss":
        print(rss_kib(pid))
    else:
        print("\n".join(str(member) for member in tree(pid)))


if __name__ == "__main__":
    main()

"""How many CPUs this process may use: the smaller of its CPU affinity and its cgroup's CPU quota.

A container's CPU limit (``resources.limits.cpu``) is a CFS quota, not an affinity: Python's
``os.cpu_count()`` and ``os.sched_getaffinity()`` still see every CPU of the node. The kubelet
writes the limit to the container's cgroup, as ``cpu.max`` ("QUOTA PERIOD" in microseconds, or
"max PERIOD" for none) on cgroup v2, and as ``cpu.cfs_quota_us`` (-1 for none) and
``cpu.cfs_period_us`` on cgroup v1 (the kernel's Documentation/admin-guide/cgroup-v2.rst, "cpu.max";
Documentation/scheduler/sched-bwc.rst). A limit of 500m is a quota of 50000 per 100000: half a CPU,
counted here as 1; 1.5 CPUs count as 2.

The quota that binds is the smallest on the way from the process's cgroup to the root, so every
ancestor is read too.

Where the cgroup file system is found: the path in ``/proc/self/cgroup`` under the usual mounts
(``/sys/fs/cgroup`` for v2, ``/sys/fs/cgroup/unified`` beside v1, ``/sys/fs/cgroup/cpu`` or
``cpu,cpuacct`` for v1), and each of its ancestors down to the mount itself. That covers a
container with its own cgroup namespace (its path is "/": the mount is its cgroup), and a v1
container whose cgroup is bind-mounted as the mount (no namespace: the mount itself is read). Not
covered, because ``/proc/self/mountinfo`` is not read: a process in a sub-cgroup below such a
bind-mounted one, and a path outside the namespace ("/.."); then the quota may be missed and the
affinity counts.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


def cpus_from_quota(quota_us: int | None, period_us: int | None) -> int | None:
    """CPUs a CFS quota allows, rounded up to a whole one (at least 1); ``None`` for no quota
    (a missing, negative or zero quota or period)."""
    if quota_us is None or period_us is None or quota_us <= 0 or period_us <= 0:
        return None
    return max(1, math.ceil(quota_us / period_us))


def parse_cpu_max(text: str) -> int | None:
    """CPUs allowed by a cgroup v2 ``cpu.max`` ("QUOTA PERIOD" or "max PERIOD"); ``None`` for
    none or a text that is not of that form."""
    parts = text.split()
    if len(parts) != 2 or parts[0] == "max":
        return None
    try:
        return cpus_from_quota(int(parts[0]), int(parts[1]))
    except ValueError:
        return None


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def _int(text: str | None) -> int | None:
    try:
        return int(text.strip()) if text is not None else None
    except ValueError:
        return None


def _ancestors(root: Path, cgroup: str) -> list[Path]:
    """``root``/``cgroup`` and each of its parents up to ``root`` (a cgroup namespace shows "/")."""
    parts = [p for p in cgroup.strip().split("/") if p and p not in {".", ".."}]
    return [root.joinpath(*parts[:n]) for n in range(len(parts), -1, -1)]


def quota_cpus(proc_cgroup: str, root: Path = CGROUP_ROOT) -> int | None:
    """The smallest CPU quota, in CPUs, on the way from the cgroup named in ``proc_cgroup`` (the
    text of ``/proc/self/cgroup``) to the root, under the cgroup file systems mounted at ``root``;
    ``None`` when no quota is set or none can be read."""
    found: list[int] = []
    for line in proc_cgroup.splitlines():
        hierarchy, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if not hierarchy:
            continue
        if hierarchy == "0" and controllers == "":
            # cgroup v2 (unified): mounted at root itself, or at root/unified beside v1 controllers.
            for base in (root, root / "unified"):
                for directory in _ancestors(base, path):
                    cpus = parse_cpu_max(_read(directory / "cpu.max") or "")
                    if cpus is not None:
                        found.append(cpus)
        elif "cpu" in controllers.split(","):
            for mount in (root / "cpu", root / "cpu,cpuacct", root / "cpuacct,cpu"):
                for directory in _ancestors(mount, path):
                    cpus = cpus_from_quota(_int(_read(directory / "cpu.cfs_quota_us")), _int(_read(directory / "cpu.cfs_period_us")))
                    if cpus is not None:
                        found.append(cpus)
    return min(found, default=None)


def available_cpus() -> int:
    """CPUs this process may use: its affinity, lowered to its cgroup CPU quota if it has one
    (see the module's text). At least 1."""
    try:
        affinity = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        affinity = os.cpu_count() or 1
    quota = quota_cpus(_read(Path("/proc/self/cgroup")) or "")
    return max(1, min(affinity, quota) if quota is not None else affinity)

"""ragstar.cpus: the CPUs a process may use, from its cgroup's CPU quota. The parsing on made-up
cgroup trees of both versions; then the real judge, the kernel: a child process put into a cgroup
of this machine with a CPU quota, as the kubelet does for a container's CPU limit, must count it:
0.5 and 1 CPU count 1, no quota counts the affinity, and (with 3 CPUs or more) 1.5 counts 2.
Needs root and a writable cpu controller; skipped otherwise, with the reason."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ragstar.cpus import available_cpus, cpus_from_quota, parse_cpu_max, quota_cpus


def test_a_quota_counts_whole_cpus_rounded_up() -> None:
    assert cpus_from_quota(50_000, 100_000) == 1  # 500m
    assert cpus_from_quota(100_000, 100_000) == 1
    assert cpus_from_quota(150_000, 100_000) == 2
    assert cpus_from_quota(200_000, 100_000) == 2
    assert cpus_from_quota(1_000, 100_000) == 1  # 10m still runs
    assert cpus_from_quota(-1, 100_000) is None  # cgroup v1: no quota
    assert cpus_from_quota(None, 100_000) is None
    assert parse_cpu_max("max 100000\n") is None
    assert parse_cpu_max("250000 100000\n") == 3
    assert parse_cpu_max("") is None
    assert parse_cpu_max("garbage here") is None


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_the_smallest_quota_from_the_process_cgroup_to_the_root_binds(tmp_path: Path) -> None:
    # cgroup v2: the container's cgroup allows 1.5 CPUs (counted 2), the pod's 1, kubepods none.
    _write(tmp_path / "kubepods/pod1/cpu.max", "100000 100000\n")
    _write(tmp_path / "kubepods/pod1/ctr/cpu.max", "150000 100000\n")
    _write(tmp_path / "kubepods/cpu.max", "max 100000\n")
    assert quota_cpus("0::/kubepods/pod1/ctr\n", tmp_path) == 1
    assert quota_cpus("0::/kubepods\n", tmp_path) is None
    assert quota_cpus("0::/\n", tmp_path) is None  # a cgroup namespace with nothing set
    # cgroup v1, the cpu controller mounted together with cpuacct.
    v1 = tmp_path / "v1"
    _write(v1 / "cpu,cpuacct/kubepods/ctr/cpu.cfs_quota_us", "300000\n")
    _write(v1 / "cpu,cpuacct/kubepods/ctr/cpu.cfs_period_us", "100000\n")
    _write(v1 / "cpu,cpuacct/cpu.cfs_quota_us", "-1\n")
    _write(v1 / "cpu,cpuacct/cpu.cfs_period_us", "100000\n")
    assert quota_cpus("4:memory:/kubepods/ctr\n2:cpu,cpuacct:/kubepods/ctr\n0::/\n", v1) == 3
    assert quota_cpus("2:cpuacct:/kubepods/ctr\n", v1) is None  # not the cpu controller
    assert quota_cpus("", v1) is None


def _cpu_controller() -> Path | None:
    """A cgroup v1 cpu hierarchy this process can make a child cgroup in, or None."""
    for mount in (Path("/sys/fs/cgroup/cpu"), Path("/sys/fs/cgroup/cpu,cpuacct")):
        if (mount / "cpu.cfs_quota_us").exists() and os.access(mount, os.W_OK):
            return mount
    return None


def _v2_root() -> Path | None:
    """A cgroup v2 root with the cpu controller handed to its children, or None."""
    root = Path("/sys/fs/cgroup")
    try:
        controls = (root / "cgroup.subtree_control").read_text().split()
    except OSError:
        return None
    return root if "cpu" in controls and os.access(root, os.W_OK) else None


@pytest.mark.skipif(os.geteuid() != 0 or (_cpu_controller() is None and _v2_root() is None), reason="needs root and a writable cgroup cpu controller (v1, or v2 with cpu in cgroup.subtree_control)")
@pytest.mark.skipif(available_cpus() < 2, reason="needs 2 CPUs to tell a quota of 1 CPU from the affinity")
def test_a_process_in_a_cgroup_with_a_cpu_limit_counts_the_limit(tmp_path: Path) -> None:
    v1 = _cpu_controller()
    base = v1 if v1 is not None else _v2_root()
    assert base is not None
    cgroup = base / f"ragstar-test-cpus-{os.getpid()}"
    cgroup.mkdir()
    try:
        seen = {}
        affinity = available_cpus()
        cases = [(50_000, 1), (100_000, 1), (-1, affinity)]
        if affinity >= 3:
            cases.append((150_000, 2))
        for quota, expected in cases:
            if v1 is not None:
                (cgroup / "cpu.cfs_period_us").write_text("100000")
                (cgroup / "cpu.cfs_quota_us").write_text(str(quota))
            else:
                (cgroup / "cpu.max").write_text(f"{quota if quota > 0 else 'max'} 100000")
            procs = str(cgroup / "cgroup.procs")
            child = subprocess.run(
                [sys.executable, "-c", "from ragstar.cpus import available_cpus; print(available_cpus())"],
                # Joined before exec, as the container runtime puts a container's first process.
                preexec_fn=lambda: Path(procs).write_text(str(os.getpid())),
                capture_output=True,
                text=True,
                check=True,
                timeout=60,
            )
            seen[quota] = int(child.stdout)
            assert seen[quota] == expected, f"quota {quota}/100000: counted {seen[quota]}"
        print(f"the kernel's cgroup ({'v1' if v1 is not None else 'v2'}): {seen}; outside it: {available_cpus()}")
    finally:
        cgroup.rmdir()

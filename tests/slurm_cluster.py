"""A throwaway single-node SLURM cluster (Debian 12, Slurm 22.05) for tests. Needs root.

    cluster = slurm_cluster.start(tmp_path, gpus=2)  # installs the packages if needed
    ...  # snakemake --executor slurm --slurm-no-account --slurm-status-command squeue
    cluster.stop()

The daemons run in the foreground as our children, so their PIDs are the Popen PIDs.
The PIDs also go to REGISTRY, so that start() after a crashed run stops what it left.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import socket
import subprocess
import time

PACKAGES = ["slurmctld", "slurmd", "slurm-client", "munge"]
CONF = pathlib.Path("/etc/slurm")  # fixed: the plugin's job step drops SLURM_CONF
MUNGE_KEY = pathlib.Path("/etc/munge/munge.key")
REGISTRY = pathlib.Path("/run/slurm_cluster.pids")  # "pid name" per daemon we started
DAEMONS = ("munged", "slurmctld", "slurmd")
MARK = "# written by tests/slurm_cluster.py; removed when its cluster stops\n"


class Cluster:
    def __init__(self, workdir: pathlib.Path):
        self.workdir, self.procs = workdir, {}  # name -> Popen, in start order

    @property
    def pids(self) -> dict[str, int]:
        return {name: p.pid for name, p in self.procs.items()}

    def stop(self, timeout: float = 30) -> None:
        """Cancel leftover jobs, then end our daemons, by PID, in reverse order."""
        if "slurmctld" in self.procs and self.procs["slurmctld"].poll() is None:
            _cancel_jobs()
        for proc in reversed(self.procs.values()):
            proc.terminate()  # no-op for one that has exited already
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        REGISTRY.unlink(missing_ok=True)
        _remove_conf()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start(workdir: pathlib.Path, gpus: int = 2, gpu_model: str = "fake") -> Cluster:
    """Install if needed, write the config, start munged, slurmctld, slurmd; wait for the node.

    The fake GPUs have the type gpu_model, so --gpus=1 and --gpus=<gpu_model>:1 both fit.
    """
    workdir = pathlib.Path(workdir).resolve()
    _install()
    _stop_stale()
    for sub in ("state", "spool", "log", "run", "dev"):
        (workdir / sub).mkdir(parents=True, exist_ok=True)
    _write_conf(workdir, gpus, gpu_model)
    if not MUNGE_KEY.exists():
        subprocess.run(["mungekey", "--create"], check=True)
        shutil.chown(MUNGE_KEY, "munge", "munge")  # munged runs as munge (as in Debian) and reads it
    pathlib.Path("/run/munge").mkdir(mode=0o755, exist_ok=True)  # its socket folder
    shutil.chown("/run/munge", "munge", "munge")
    os.chmod("/run/munge", 0o755)  # clients (slurm, jobs) must reach the socket
    cluster = Cluster(workdir)
    try:
        _spawn(cluster, "munged", "munged", "-F", user="munge", group="munge")
        _wait_for(lambda: _run("munge", "-n"), 20, cluster)
        _spawn(cluster, "slurmctld", "slurmctld", "-D", "-c")  # -c: no state from earlier runs
        _spawn(cluster, "slurmd", "slurmd", "-D")
        _wait_for(lambda: _run("sinfo", "-h", "-N", "-o", "%T").strip() == "idle", 60, cluster)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _remove_conf() -> None:
    """Without a controller, a slurm.conf left behind makes every `scontrol` wait 10 s for it, and so every
    snakemake start: the SLURM executor plugin asks `scontrol show config` when it is imported."""
    for name in ("slurm.conf", "gres.conf"):
        path = CONF / name
        if path.exists() and path.read_text().startswith(MARK):
            path.unlink()


def _write_conf(workdir: pathlib.Path, gpus: int, gpu_model: str) -> None:
    conf = CONF / "slurm.conf"
    if conf.exists() and not conf.read_text().startswith(MARK):
        raise RuntimeError(f"{conf} exists and was not written by this module: not overwriting a real SLURM setup")
    host = socket.gethostname().split(".")[0]
    # slurmd -C prints this machine's "NodeName=... CPUs=... RealMemory=..." line.
    node = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, check=True).stdout.splitlines()[0]
    fields = dict(kv.split("=") for kv in node.split())
    lines = [
        "ClusterName=test",
        f"SlurmctldHost={host}",
        "SlurmUser=root",  # root owns workdir; no chown dance for state and spool
        f"StateSaveLocation={workdir}/state",
        f"SlurmdSpoolDir={workdir}/spool",
        f"SlurmctldPidFile={workdir}/run/slurmctld.pid",
        f"SlurmdPidFile={workdir}/run/slurmd.pid",
        f"SlurmctldLogFile={workdir}/log/slurmctld.log",
        f"SlurmdLogFile={workdir}/log/slurmd.log",  # slurmstepd logs here too
        "ProctrackType=proctrack/linuxproc",  # cgroup plugins fail to launch steps in this container
        "TaskPlugin=task/none",
        "SelectType=select/cons_tres",  # track CPUs, memory and GPUs per job
        "SelectTypeParameters=CR_Core_Memory",
        # else a job without --mem takes all the node's memory and jobs run one at a time
        f"DefMemPerCPU={min(1024, int(fields['RealMemory']) // int(fields['CPUs']))}",
        "MinJobAge=3600",  # finished jobs stay visible to squeue (the plugin's status check) and to the tests,
        # which read every job's record after a run that takes longer than 5 minutes on a loaded machine
        "ReturnToService=2",  # a node left DOWN comes back when slurmd registers
        "MailProg=/bin/true",  # no mail here; silences a startup error
        "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
    ]
    gres = ""
    if gpus:  # GRES without TRES accounting: that would need slurmdbd
        for i in range(gpus):  # a fake GPU's File= must be a character device: copy /dev/null
            if not (workdir / f"dev/gpu{i}").exists():
                os.mknod(workdir / f"dev/gpu{i}", 0o666 | 0o020000, os.makedev(1, 3))
        lines.append("GresTypes=gpu")
        node += f" Gres=gpu:{gpu_model}:{gpus}"
        gres = f"NodeName={host} Name=gpu Type={gpu_model} File={workdir}/dev/gpu[0-{gpus - 1}]\n"
    lines.append(f"{node} State=UNKNOWN")
    CONF.mkdir(parents=True, exist_ok=True)
    (CONF / "slurm.conf").write_text(MARK + "\n".join(lines) + "\n")
    (CONF / "gres.conf").write_text(MARK + gres)


def _install() -> None:
    if all(_run("dpkg-query", "-W", "-f=${Status}", p).endswith(" installed") for p in PACKAGES):
        return
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", *PACKAGES]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if subprocess.run(cmd, env=env, capture_output=True).returncode:  # stale lists? update once
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, check=True)
        subprocess.run(cmd, env=env, capture_output=True, check=True)


def _stop_stale() -> None:
    """Stop the daemons a crashed run recorded; refuse to start beside any others."""
    if REGISTRY.exists():
        stale = [line.split() for line in REGISTRY.read_text().splitlines()]
        if any(_comm(pid) == name == "slurmctld" for pid, name in stale):
            _cancel_jobs()  # still the old slurm.conf here
        for pid, name in stale:
            if _comm(pid) == name:  # else the PID is gone or reused
                os.kill(int(pid), 15)
                if not _wait_for(lambda: _comm(pid) != name, 15, must=False):
                    os.kill(int(pid), 9)
        REGISTRY.unlink()
    others = [f"{p} {_comm(p)}" for p in os.listdir("/proc") if p.isdigit() and _comm(p) in DAEMONS]
    if others:
        raise RuntimeError(f"SLURM/munge daemons running that slurm_cluster did not start: {others}")


def _cancel_jobs() -> None:
    """Else their slurmstepd and job processes outlive slurmd."""
    jobs = _run("squeue", "-h", "-o", "%i").split()
    if jobs:
        _run("scancel", *jobs)
        _wait_for(lambda: not _run("squeue", "-h", "-t", "R,CG").strip(), 20, must=False)


def _spawn(cluster: Cluster, name: str, *cmd: str, **kw) -> None:
    with open(cluster.workdir / f"log/{name}.out", "ab") as out:  # early errors land here
        # new session: a Ctrl-C meant for the test run does not reach the daemons
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True, **kw)
    cluster.procs[name] = proc
    with REGISTRY.open("a") as f:
        f.write(f"{proc.pid} {name}\n")


def _wait_for(ok, timeout: float, cluster: Cluster | None = None, must: bool = True) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if ok():
            return True
        for name, proc in cluster.procs.items() if cluster else ():
            if proc.poll() is not None:
                out = (cluster.workdir / f"log/{name}.out").read_text()[-2000:]
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{out}")
        time.sleep(0.5)
    if must:
        raise TimeoutError(f"SLURM cluster not ready after {timeout} s; see {cluster and cluster.workdir}/log")
    return False


def _run(*cmd: str) -> str:
    """stdout of cmd, or "" when it fails."""
    res = subprocess.run(cmd, capture_output=True, text=True)
    return "" if res.returncode else res.stdout


def _comm(pid: str) -> str:
    """The process's name, or "" if it is gone or a zombie (those wait for init to reap them)."""
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    name, state = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2]
    return "" if state == "Z" else name

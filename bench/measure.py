"""How the bench scripts time a command: in a fresh child process, wall time measured inside a
small wrapper, peak memory as the child's own maximum resident set size (not the accumulated
one of every child the script ran)."""

import json
import os
import subprocess
import sys

_WRAPPER = (
    "import resource,subprocess,sys,json,time;"
    "t=time.perf_counter();"
    "p=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.PIPE);"
    "t=time.perf_counter()-t;"
    "r=resource.getrusage(resource.RUSAGE_CHILDREN);"
    "sys.stderr.write(p.stderr.decode(errors='replace')[-2000:] if p.returncode else '');"
    "print(json.dumps([p.returncode,r.ru_maxrss,t]))"
)


def run(cmd, ok=(0,)):
    """Runs cmd in a fresh process; returns (wall seconds, peak RSS in MiB). Exit statuses
    other than `ok` stop the benchmark."""
    out = subprocess.run([sys.executable, "-c", _WRAPPER, *cmd], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"bench: wrapper failed for {cmd}: {out.stderr}")
    code, rss_kib, wall = json.loads(out.stdout)
    if code not in ok:
        sys.exit(f"bench: {' '.join(map(str, cmd))} exited {code}: {out.stderr}")
    return wall, rss_kib / 1024


def warm(root):
    """Reads every file under root once, so that each tool starts from a warm page cache."""
    for dirpath, _, names in os.walk(root):
        for n in names:
            with open(os.path.join(dirpath, n), "rb") as fh:
                while fh.read(8 << 20):
                    pass

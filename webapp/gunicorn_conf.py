"""gunicorn settings (gunicorn -c python:webapp.gunicorn_conf wsgi:app); workers and bind come from the command line.

Made for several instances on one host (docs/PRODUCTION.md, tests/cluster/): nothing here is shared between two
instances, and nothing left behind by a killed instance stops the next start.
"""
import gc
import os

# gunicorn ≥ 25.1 opens a control socket at $HOME/.gunicorn/gunicorn.ctl by default: one path for every instance
# run by the same user, so a second instance takes the first one's socket (and `gunicornc` then talks to the wrong
# one), and a killed instance leaves the file behind. Off unless an instance is given a path of its own.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True

# No pid file: the service manager (systemd, the test harness) knows the master's pid, and a pid file left by a
# kill -9 names a pid the system may have given to another process, which gunicorn then takes for "already running".
pidfile = None

# Workers signal that they are alive by touching a file; on a disk-backed /tmp that can stall a worker for seconds
# under I/O load (and get it killed as hung). /dev/shm is memory; each worker gets its own file in it.
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR") or ("/dev/shm" if os.access("/dev/shm", os.W_OK) else None)

# SIGTERM (systemctl stop, a deploy): workers finish the request in hand for up to this long; under the units'
# TimeoutStopSec=30 so that a stop never ends in SIGKILL in the middle of a write.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 20))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
# Keep idle connections from the reverse proxy (nginx keepalive upstream) a little longer than nginx does.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))

# The instance's name in ps/top and the logs (e.g. reaim-web-a, reaim-web-b on one host).
proc_name = os.environ.get("GUNICORN_PROC_NAME", "reaim-web")


def post_worker_init(worker) -> None:
    """Move the start-up objects (app, models, templates) out of the collector's sight: long-lived objects
    otherwise get re-scanned by every full collection, which measured ~75 ms of the p95 of a 500-post thread."""
    gc.collect()
    gc.freeze()

"""Shared helpers for the kazoo compatibility scripts.

Every script is run as: /usr/bin/python3 SCRIPT.py HOST:PORT[,HOST:PORT...] BASEPATH
It works below BASEPATH (which does not exist yet), prints "OK <name>" when every check passed,
and otherwise prints "FAIL <name>: <reason>" plus a traceback and exits non-zero.
"""

import faulthandler
import logging
import os
import sys
import threading
import time
import traceback

from kazoo.client import KazooClient

WATCHDOG_SECONDS = int(os.environ.get("COMPAT_WATCHDOG_SECONDS", "120"))

_clients = []
_lock = threading.Lock()


def args():
    if len(sys.argv) != 3:
        print("usage: %s HOST:PORT BASEPATH" % sys.argv[0], file=sys.stderr)
        sys.exit(2)
    return sys.argv[1], sys.argv[2]


# COMPAT_SPREAD_CLIENTS=1: the k-th client gets only server (k mod n) of HOST:PORT,... so that the clients of one
# script sit on different ensemble members (a watch set through one fires for a write made through another).
SPREAD = os.environ.get("COMPAT_SPREAD_CLIENTS") == "1"
_started = [0]


def client(hosts, timeout=15.0, **kwargs):
    """A started KazooClient; stopped automatically at exit."""
    if SPREAD:
        servers = hosts.split(",")
        with _lock:
            k = _started[0]
            _started[0] += 1
        hosts = servers[k % len(servers)]
        obs("client%d.server" % k, hosts)
    c = KazooClient(hosts=hosts, timeout=timeout, **kwargs)
    c.start(timeout=15)
    with _lock:
        _clients.append(c)
    return c


class CheckFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


def eq(expected, actual, what):
    if expected != actual:
        raise CheckFailed("%s: expected %r but was %r" % (what, expected, actual))


def obs(key, value):
    print("OBS %s=%s" % (key, value), flush=True)


def expect_error(exc_type, what, fn, *a, **kw):
    try:
        fn(*a, **kw)
    except exc_type:
        return
    except Exception as e:  # noqa: BLE001 - report the wrong exception type
        raise CheckFailed("%s: expected %s but got %r" % (what, exc_type.__name__, e))
    raise CheckFailed("%s: expected %s but the call succeeded" % (what, exc_type.__name__))


def wait_until(what, timeout, condition, interval=0.05):
    deadline = time.time() + timeout
    while not condition():
        if time.time() > deadline:
            raise CheckFailed("timed out after %ss waiting until %s" % (timeout, what))
        time.sleep(interval)


def run(name, body):
    """Runs body(hosts, base) with a watchdog; prints OK/FAIL and exits."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    hosts, base = args()

    def watchdog():
        time.sleep(WATCHDOG_SECONDS)
        print("FAIL %s: watchdog expired after %d s; thread stacks follow" % (name, WATCHDOG_SECONDS), flush=True)
        faulthandler.dump_traceback(file=sys.stdout, all_threads=True)
        sys.stdout.flush()
        os._exit(3)

    threading.Thread(target=watchdog, daemon=True).start()
    status = 0
    try:
        body(hosts, base)
        print("OK %s" % name, flush=True)
    except BaseException as e:  # noqa: BLE001 - any failure fails the scenario
        print("FAIL %s: %s: %s" % (name, type(e).__name__, e), flush=True)
        traceback.print_exc(file=sys.stdout)
        status = 1
    finally:
        with _lock:
            clients = list(_clients)
        for c in clients:
            try:
                c.stop()
                c.close()
            except Exception:  # noqa: BLE001 - best effort cleanup
                pass
    sys.stdout.flush()
    os._exit(status)

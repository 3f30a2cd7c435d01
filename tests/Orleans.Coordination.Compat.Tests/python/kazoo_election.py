"""kazoo: Election with three contenders; leadership passes on when the leader's session ends."""

import threading
import time

from compat_common import check, client, eq, run, wait_until


def body(hosts, base):
    path = base + "/election"
    leaders = []
    current = {"count": 0, "max": 0}
    guard = threading.Lock()
    release = {name: threading.Event() for name in ("c0", "c1", "c2")}
    clients = {name: client(hosts) for name in release}

    def lead(name):
        with guard:
            leaders.append(name)
            current["count"] += 1
            current["max"] = max(current["max"], current["count"])
        # Lead until told to stop. The test thread ends this leader's session first (a crash, as far as
        # the others can tell) and counts it out at that moment, before anyone else can be elected.
        release[name].wait(30)

    def run_quietly(election, name):
        try:
            election.run(lead, name)
        except Exception:  # noqa: BLE001 - the session was stopped under the election on purpose
            pass

    elections = {}
    threads = []
    for name, zk in clients.items():
        e = zk.Election(path, identifier=name)
        elections[name] = e
        t = threading.Thread(target=run_quietly, args=(e, name))
        t.start()
        threads.append(t)

    wait_until("a leader is elected", 15, lambda: len(leaders) == 1)
    watcher = client(hosts)
    contenders = watcher.Election(path).contenders()
    eq(3, len(contenders), "three contenders")
    eq(leaders[0], contenders[0], "the first contender leads")

    for round_ in range(3):
        leader = leaders[-1]
        time.sleep(0.3)
        eq(round_ + 1, len(leaders), "no second leader while the first leads")
        # The leader stops leading, then its session ends (as a crashed leader's would).
        with guard:
            current["count"] -= 1
        clients[leader].stop()
        release[leader].set()
        if round_ < 2:
            wait_until("the next leader takes over", 15, lambda: len(leaders) == round_ + 2)
            check(leaders[-1] != leader, "a different leader")

    for t in threads:
        t.join(15)
    eq(sorted(release), sorted(leaders), "each contender led exactly once")
    eq(1, current["max"], "never two leaders at once")


if __name__ == "__main__":
    run("kazoo_election", body)

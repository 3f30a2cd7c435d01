"""kazoo: transactions (multi) commit together or not at all."""

from kazoo.exceptions import (BadVersionError, NodeExistsError, NoNodeError, RolledBackError,
                              RuntimeInconsistency, NotEmptyError)

from compat_common import check, client, eq, run


def body(hosts, base):
    zk = client(hosts)
    zk.create(base)
    zk.create(base + "/a", b"a0")

    t = zk.transaction()
    t.create(base + "/b", b"b0")
    t.create(base + "/b/c")
    t.set_data(base + "/a", b"a1", version=0)
    t.check(base + "/a", 1)
    t.create(base + "/seq-", sequence=True)
    t.create(base + "/tmp")
    t.delete(base + "/tmp")
    results = t.commit()
    eq([base + "/b", base + "/b/c"], results[0:2], "create results")
    eq(1, results[2].version, "set_data result is a Stat")
    eq(True, results[3], "check result")
    check(results[4].startswith(base + "/seq-") and len(results[4]) == len(base + "/seq-") + 10,
          "sequential create result %r" % results[4])
    eq(base + "/tmp", results[5], "create result")
    eq(True, results[6], "delete result")
    zxid = zk.exists(base + "/b").czxid
    eq(zxid, zk.exists(base + "/b/c").czxid, "one zxid for the whole transaction")
    eq(zxid, zk.exists(base + "/a").mzxid, "set_data inside the transaction")

    # A failing op: every result is an exception, nothing applied.
    t = zk.transaction()
    t.create(base + "/x")
    t.set_data(base + "/a", b"a2", version=99)
    t.create(base + "/y")
    results = t.commit()
    eq([RolledBackError, BadVersionError, RuntimeInconsistency], [type(r) for r in results],
       "results of a failed transaction")
    eq(None, zk.exists(base + "/x"), "rolled back create")
    eq(None, zk.exists(base + "/y"), "create after the failed op")
    eq((b"a1", 1), (zk.get(base + "/a")[0], zk.get(base + "/a")[1].version), "rolled back set_data")

    t = zk.transaction()
    t.create(base + "/a")
    results = t.commit()
    eq([NodeExistsError], [type(r) for r in results], "create of an existing node")

    t = zk.transaction()
    t.delete(base + "/z")
    t.create(base + "/z")
    results = t.commit()
    eq([NoNodeError, RuntimeInconsistency], [type(r) for r in results], "delete of a missing node")

    t = zk.transaction()
    t.check(base + "/a", 1)
    t.delete(base + "/b")
    results = t.commit()
    eq([RolledBackError, NotEmptyError], [type(r) for r in results], "delete of a non-empty node")
    check(zk.exists(base + "/b") is not None, "non-empty node kept")

    # Ephemeral create in a transaction belongs to the session.
    t = zk.transaction()
    t.create(base + "/eph", ephemeral=True)
    t.commit()
    eq(zk.client_id[0], zk.exists(base + "/eph").ephemeralOwner, "ephemeral in a transaction")


if __name__ == "__main__":
    run("kazoo_transactions", body)

"""kazoo: CRUD, Stat fields, errors, ACLs, create2 (include_data) and sequence names."""

import hashlib
import base64

from kazoo.exceptions import (BadVersionError, NoAuthError, NodeExistsError, NoNodeError,
                              NotEmptyError, NoChildrenForEphemeralsError, InvalidACLError)
from kazoo.security import ACL, Id, OPEN_ACL_UNSAFE, READ_ACL_UNSAFE, Permissions, make_digest_acl

from compat_common import check, client, eq, expect_error, obs, run


def body(hosts, base):
    zk = client(hosts)
    other = client(hosts)

    eq(base, zk.create(base, b"root"), "create returns the path")
    value, stat = zk.get(base)
    eq(b"root", value, "get value")
    eq(0, stat.version, "version")
    eq(stat.czxid, stat.mzxid, "mzxid == czxid")
    eq(stat.czxid, stat.pzxid, "pzxid == czxid")
    eq(4, stat.dataLength, "dataLength")
    eq(0, stat.numChildren, "numChildren")
    eq(0, stat.ephemeralOwner, "ephemeralOwner")

    # create2 (include_data) returns the Stat; it equals exists().
    path, st = zk.create(base + "/a", b"A", include_data=True)
    eq(base + "/a", path, "create2 path")
    eq(st, zk.exists(base + "/a"), "create2 Stat equals exists Stat")
    eq(1, st.dataLength, "create2 dataLength")

    # set / versions
    st2 = zk.set(base + "/a", b"A2", version=0)
    eq(1, st2.version, "version after set")
    expect_error(BadVersionError, "set with stale version", zk.set, base + "/a", b"x", version=0)
    eq(b"A2", zk.get(base + "/a")[0], "value after set")

    # children, ensure_path, makepath
    zk.ensure_path(base + "/deep/er/path")
    check(zk.exists(base + "/deep/er/path") is not None, "ensure_path")
    zk.create(base + "/mk/a/b", b"x", makepath=True)
    eq(["a", "deep", "mk"], sorted(zk.get_children(base)), "get_children")
    children, pstat = zk.get_children(base, include_data=True)
    eq(3, pstat.numChildren, "getChildren2 Stat numChildren")
    eq(3, pstat.cversion, "getChildren2 Stat cversion")

    # errors
    expect_error(NodeExistsError, "create existing", zk.create, base + "/a")
    expect_error(NoNodeError, "create under missing parent", zk.create, base + "/missing/x")
    expect_error(NoNodeError, "get missing", zk.get, base + "/missing")
    expect_error(NoNodeError, "delete missing", zk.delete, base + "/missing")
    expect_error(NotEmptyError, "delete non-empty", zk.delete, base + "/deep")
    expect_error(BadVersionError, "delete with stale version", zk.delete, base + "/a", version=5)
    eq(None, zk.exists(base + "/missing"), "exists on missing node")

    # ephemeral and sequence
    e = zk.create(base + "/e", b"", ephemeral=True)
    eq(zk.client_id[0], zk.exists(e).ephemeralOwner, "ephemeralOwner is the session id")
    expect_error(NoChildrenForEphemeralsError, "child of ephemeral", zk.create, e + "/c")
    s1 = zk.create(base + "/s-", b"", sequence=True)
    s2 = zk.create(base + "/s-", b"", sequence=True, ephemeral=True)
    # base had 5 child creates before (a, deep, mk, e, s1) -> s1 = 4, s2 = 5
    eq(base + "/s-0000000004", s1, "first sequential name")
    eq(base + "/s-0000000005", s2, "second sequential name")
    # zk's writes completed through zk's server; other's may not have caught up yet (sync first, as any
    # client reading another client's write through a different ensemble member must).
    other.sync(base)
    check(other.exists(e) is not None, "ephemeral visible to others")
    zk.delete(s2)

    # recursive delete
    zk.delete(base + "/deep", recursive=True)
    eq(None, zk.exists(base + "/deep"), "recursive delete")
    st = zk.exists(base)
    eq(4, st.numChildren, "numChildren after deletes")
    eq(2 * 6 - 4, st.cversion, "cversion = 2*creates - numChildren")

    # empty and large-ish values
    zk.create(base + "/empty")
    eq(b"", zk.get(base + "/empty")[0], "empty value")
    big = bytes(range(256)) * 2000
    zk.create(base + "/big", big)
    eq(big, zk.get(base + "/big")[0], "512000-byte value")

    # ACLs: digest and world read-only
    auth = client(hosts, auth_data=[("digest", "kazoo:pw")])
    digest_id = "kazoo:" + base64.b64encode(hashlib.sha1(b"kazoo:pw").digest()).decode()
    acl = make_digest_acl("kazoo", "pw", all=True)
    eq(digest_id, acl.id.id, "make_digest_acl id")
    auth.create(base + "/secure", b"s", acl=[acl, ACL(Permissions.READ, Id("world", "anyone"))])
    other.sync(base + "/secure")
    eq(b"s", other.get(base + "/secure")[0], "world READ")
    expect_error(NoAuthError, "set without auth", other.set, base + "/secure", b"x")
    acls, _ = other.get_acls(base + "/secure")
    obs("get_acls_without_admin", [(a.perms, a.id.scheme, a.id.id) for a in acls])
    eq("kazoo:x", acls[0].id.id, "digest id masked without ADMIN")
    acls, _ = auth.get_acls(base + "/secure")
    eq(digest_id, acls[0].id.id, "digest id with ADMIN")
    auth.set(base + "/secure", b"t")
    other.add_auth("digest", "kazoo:pw")
    other.set(base + "/secure", b"u")
    auth.sync(base + "/secure")
    eq(b"u", auth.get(base + "/secure")[0], "write after add_auth")
    zk.create(base + "/ro", b"r", acl=READ_ACL_UNSAFE)
    expect_error(NoAuthError, "write read-only", zk.set, base + "/ro", b"x")
    # (kazoo replaces an empty ACL list by its default ACL, so send an unknown scheme instead.)
    expect_error(InvalidACLError, "ACL with an unknown scheme", zk.create, base + "/bad",
                 acl=[ACL(Permissions.ALL, Id("nosuch", "x"))])
    st = auth.set_acls(base + "/secure", OPEN_ACL_UNSAFE)
    eq(1, st.aversion, "aversion after set_acls")
    expect_error(BadVersionError, "set_acls with stale version", auth.set_acls, base + "/secure", OPEN_ACL_UNSAFE, version=0)

    # sync and the four-letter word helper
    eq(base, zk.sync(base), "sync returns the path")
    eq("imok", zk.command(b"ruok"), "ruok via kazoo")

    # closing a session removes its ephemerals
    zk.stop()
    other.sync(base)
    eq(None, other.exists(e), "ephemeral gone after stop")


if __name__ == "__main__":
    run("kazoo_basic", body)

"""Four-letter words that describe live sessions (stat, cons, wchs, wchc, wchp, mntr), sent with
kazoo's command() while a kazoo session holds watches and an ephemeral node."""

import re

from compat_common import check, client, eq, obs, run


def body(hosts, base):
    zk = client(hosts)
    sid = "0x%x" % zk.client_id[0]
    zk.create(base + "/a", b"a", makepath=True)
    zk.create(base + "/b", b"b")
    zk.create(base + "/eph", b"", ephemeral=True)
    zk.get(base + "/a", watch=lambda e: None)
    zk.exists(base + "/b", watch=lambda e: None)
    zk.get_children(base, watch=lambda e: None)

    # wchs: "<n> connections watching <m> paths\nTotal watches:<t>\n"
    wchs = zk.command(b"wchs")
    obs("wchs", repr(wchs))
    m = re.match(r"^(\d+) connections watching (\d+) paths\nTotal watches:(\d+)\n$", wchs)
    check(m is not None, "wchs shape: %r" % wchs)
    check(int(m.group(1)) >= 1 and int(m.group(2)) >= 2 and int(m.group(3)) >= 2, "wchs counts: %r" % wchs)

    # wchc: per session "0x<sid>" then "\t<path>" lines (data watches; Apache ZooKeeper 3.8 lists
    # only data/exist watches here, not child watches).
    wchc = zk.command(b"wchc")
    check(re.search(r"(^|\n)%s\n(\t[^\n]+\n)+" % re.escape(sid), wchc) is not None, "wchc lists the session: %r" % wchc)
    block = wchc.split(sid + "\n", 1)[1].split("\n\n", 1)[0]
    paths = [line[1:] for line in block.split("\n") if line.startswith("\t")]
    check(base + "/a" in paths and base + "/b" in paths, "wchc lists the watched paths: %r" % paths)

    # wchp: per path "<path>" then "\t0x<sid>" lines
    wchp = zk.command(b"wchp")
    for path in (base + "/a", base + "/b"):
        check(re.search(r"(^|\n)%s\n(\t0x[0-9a-f]+\n)*\t%s\n" % (re.escape(path), re.escape(sid)), wchp) is not None,
              "wchp lists %s for the session: %r" % (path, wchp[:2000]))

    # cons: one line per connection, ours with sid=0x<sid>
    cons = zk.command(b"cons")
    lines = [l for l in cons.split("\n") if "sid=%s," % sid in l]
    eq(1, len(lines), "cons has one line for the session: %r" % cons)
    line = lines[0]
    obs("cons_line", line)
    check(re.match(r"^ /127\.0\.0\.1:\d+\[\d+\]\(queued=\d+,recved=\d+,sent=\d+,sid=0x[0-9a-f]+,lop=\w+,est=\d+,to=\d+,"
                   r"lcxid=0x[0-9a-f]+,lzxid=0x-?[0-9a-f]+,lresp=\d+,llat=\d+,minlat=\d+,avglat=[\d.]+,maxlat=\d+\)$",
                   line) is not None, "cons line shape: %r" % line)
    check(",to=15000," in line or ",to=%d," % int(zk._session_timeout) in line, "cons shows the negotiated timeout: %r" % line)
    check(cons.endswith("\n\n"), "cons ends with a blank line: %r" % cons[-20:])

    # stat: the Clients: block includes our connection
    stat = zk.command(b"stat")
    check(stat.startswith("Zookeeper version: "), "stat first line: %r" % stat[:80])
    check("\nClients:\n" in stat, "stat has Clients: %r" % stat)
    check(re.search(r"\n /127\.0\.0\.1:\d+\[\d+\]\(queued=\d+,recved=\d+,sent=\d+\)\n", stat) is not None,
          "stat client line shape: %r" % stat)
    for key in ("Latency min/avg/max: ", "Received: ", "Sent: ", "Connections: ", "Outstanding: ", "Zxid: 0x",
                "Mode: ", "Node count: "):
        check("\n" + key in stat, "stat has %r: %r" % (key, stat))

    # mntr: tab-separated counters reflect the session
    mntr = zk.command(b"mntr")
    values = dict(l.split("\t", 1) for l in mntr.split("\n") if "\t" in l)
    for key in ("zk_version", "zk_server_state", "zk_avg_latency", "zk_max_latency", "zk_min_latency",
                "zk_packets_received", "zk_packets_sent", "zk_num_alive_connections", "zk_outstanding_requests",
                "zk_znode_count", "zk_watch_count", "zk_ephemerals_count", "zk_approximate_data_size"):
        check(key in values, "mntr has %s" % key)
    check(int(values["zk_num_alive_connections"]) >= 1, "zk_num_alive_connections")
    check(int(values["zk_watch_count"]) >= 2, "zk_watch_count: %s" % values["zk_watch_count"])
    check(int(values["zk_ephemerals_count"]) >= 1, "zk_ephemerals_count")
    check(int(values["zk_znode_count"]) >= 8, "zk_znode_count")
    obs("mntr_watch_count_with_2_data_and_1_child_watch", values["zk_watch_count"])


if __name__ == "__main__":
    run("kazoo_fourletter", body)

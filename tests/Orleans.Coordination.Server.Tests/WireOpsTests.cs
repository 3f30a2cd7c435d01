using System.Diagnostics;
using System.Text;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Server.Tests.TestSupport;

namespace Orleans.Coordination.Server.Tests;

/// <summary>Each opcode's reply as the bytes a client reads.</summary>
public sealed class WireOpsTests
{
    private static IReadOnlyList<MultiResult> MultiResults(Reply r)
    {
        Assert.Equal(ErrorCode.Ok, r.Err);
        return r.Read<MultiResponse>().Results;
    }

    [Fact]
    public async Task Create2_returns_the_path_and_a_Stat_stamped_with_the_reply_zxid()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var r = await c.Create2Async("/c2", ClientOps.Bytes("hello"));
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Assert.Equal(ErrorCode.Ok, r.Err);
        var (path, stat) = r.Read<Create2Response>();
        Assert.Equal("/c2", path);
        Assert.Equal(r.Zxid, stat.Czxid);
        Assert.Equal(r.Zxid, stat.Mzxid);
        Assert.Equal(r.Zxid, stat.Pzxid);
        Assert.Equal(stat.Ctime, stat.Mtime);
        Assert.InRange(stat.Ctime, before - 1000, after + 1000);
        Assert.Equal((0, 0, 0), (stat.Version, stat.Cversion, stat.Aversion));
        Assert.Equal((0L, 5, 0), (stat.EphemeralOwner, stat.DataLength, stat.NumChildren));

        var eph = (await c.Create2Async("/c2/e", mode: CreateMode.EphemeralSequential)).Read<Create2Response>();
        Assert.Equal("/c2/e0000000000", eph.Path);
        Assert.Equal(c.SessionId, eph.Stat.EphemeralOwner);

        // The parent's Stat shows the child create: pzxid moved, cversion as clients see it is 2*1-1.
        var parent = (await c.ExistsAsync("/c2")).Read<StatResponse>().Stat;
        Assert.Equal(eph.Stat.Czxid, parent.Pzxid);
        Assert.Equal(1, parent.Cversion);
        Assert.Equal(1, parent.NumChildren);
        Assert.Equal(stat.Mzxid, parent.Mzxid);
    }

    [Fact]
    public async Task Plain_create_returns_only_the_path()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        var r = await c.CreateAsync("/plain");
        Assert.Equal("/plain", r.Read<PathRecord>().Path);
        Assert.Equal(4 + "/plain".Length, r.Body.Length);
    }

    [Fact]
    public async Task Error_replies_have_no_body()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        var r = await c.GetDataAsync("/missing");
        Assert.Equal(ErrorCode.NoNode, r.Err);
        Assert.Empty(r.Body);
        r = await c.CreateAsync("/a/b");
        Assert.Equal(ErrorCode.NoNode, r.Err);
        Assert.Empty(r.Body);
        r = await c.CreateAsync("bad-path");
        Assert.Equal(ErrorCode.BadArguments, r.Err);
        Assert.Empty(r.Body);
    }

    [Fact]
    public async Task CreateTtl_without_extended_types_is_unimplemented()
    {
        await using var silo = await TestSilo.StartAsync(o => o.ExtendedTypesEnabled = false);
        await using var c = await silo.ConnectAsync();
        var r = await c.CallAsync(OpCode.CreateTtl, new CreateTtlRequest("/ttl", [], Acl.OpenAclUnsafe, (int)CreateMode.PersistentWithTtl, 5000));
        Assert.Equal(ErrorCode.Unimplemented, r.Err);
        Assert.False(await c.NodeExistsAsync("/ttl"));

        // UNIMPLEMENTED for a disabled feature does not cost the connection.
        await c.AssertHealthyAsync("/still-here");
    }

    [Theory]
    [InlineData((int)CreateMode.PersistentWithTtl, 0L, ErrorCode.BadArguments)]
    [InlineData((int)CreateMode.PersistentWithTtl, -5L, ErrorCode.BadArguments)]
    [InlineData((int)CreateMode.PersistentWithTtl, 1L << 40, ErrorCode.BadArguments)]
    [InlineData((int)CreateMode.Persistent, 1000L, ErrorCode.BadArguments)]
    [InlineData((int)CreateMode.PersistentSequentialWithTtl, 60_000L, ErrorCode.Ok)]
    [InlineData((int)CreateMode.PersistentWithTtl, (1L << 40) - 1, ErrorCode.Ok)]
    public async Task CreateTtl_validates_the_ttl(int flags, long ttl, ErrorCode expected)
    {
        await using var silo = await TestSilo.StartAsync(o => o.ExtendedTypesEnabled = true);
        await using var c = await silo.ConnectAsync();
        var r = await c.CallAsync(OpCode.CreateTtl, new CreateTtlRequest("/ttl", [], Acl.OpenAclUnsafe, flags, ttl));
        Assert.Equal(expected, r.Err);
        if (expected == ErrorCode.Ok)
        {
            var created = r.Read<Create2Response>();
            Assert.StartsWith("/ttl", created.Path, StringComparison.Ordinal);
            Assert.Equal(0, created.Stat.EphemeralOwner);
        }
    }

    [Fact]
    public async Task Create_with_an_invalid_flag_is_bad_arguments()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        var r = await c.CallAsync(OpCode.Create, new CreateRequest("/f", [], Acl.OpenAclUnsafe, 42));
        Assert.Equal(ErrorCode.BadArguments, r.Err);
    }

    [Fact]
    public async Task Multi_with_a_failing_op_reports_every_result_as_an_error_and_applies_nothing()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        await c.CreateOkAsync("/existing", ClientOps.Bytes("v"));
        var multi = new MultiRequest(
        [
            new MultiOp(OpCode.Create, new CreateRequest("/m1", [], Acl.OpenAclUnsafe, 0)),
            new MultiOp(OpCode.SetData, new SetDataRequest("/existing", ClientOps.Bytes("changed"), -1)),
            new MultiOp(OpCode.Create, new CreateRequest("/no-parent/child", [], Acl.OpenAclUnsafe, 0)),
            new MultiOp(OpCode.Delete, new DeleteRequest("/existing", -1)),
            new MultiOp(OpCode.Check, new CheckVersionRequest("/existing", 0)),
        ]);
        var r = await c.CallAsync(OpCode.Multi, multi);
        var results = MultiResults(r);
        Assert.Equal(5, results.Count);
        Assert.All(results, x => Assert.Equal(OpCode.Error, x.Type));
        Assert.Equal(
            [ErrorCode.Ok, ErrorCode.Ok, ErrorCode.NoNode, ErrorCode.RuntimeInconsistency, ErrorCode.RuntimeInconsistency],
            results.Select(x => ((ErrorResponse)x.Body!).Err).ToArray());
        Assert.Equal(results.Select(x => x.Err), results.Select(x => ((ErrorResponse)x.Body!).Err));

        Assert.False(await c.NodeExistsAsync("/m1"));
        var data = (await c.GetDataAsync("/existing")).Read<GetDataResponse>();
        Assert.Equal(ClientOps.Bytes("v"), data.Data);
        Assert.Equal(0, data.Stat.Version);
    }

    [Fact]
    public async Task Multi_that_succeeds_applies_every_op_at_one_zxid_with_typed_results()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        await c.CreateOkAsync("/v", ClientOps.Bytes("0"));
        var multi = new MultiRequest(
        [
            new MultiOp(OpCode.Check, new CheckVersionRequest("/v", 0)),
            new MultiOp(OpCode.Create, new CreateRequest("/m", [], Acl.OpenAclUnsafe, 0)),
            new MultiOp(OpCode.Create2, new CreateRequest("/m/c", [7], Acl.OpenAclUnsafe, 0)),
            new MultiOp(OpCode.SetData, new SetDataRequest("/v", ClientOps.Bytes("1"), 0)),
            new MultiOp(OpCode.Delete, new DeleteRequest("/m/c", 0)),
        ]);
        var r = await c.CallAsync(OpCode.Multi, multi);
        var results = MultiResults(r);
        Assert.Equal([OpCode.Check, OpCode.Create, OpCode.Create2, OpCode.SetData, OpCode.Delete], results.Select(x => x.Type).ToArray());
        Assert.All(results, x => Assert.Equal(ErrorCode.Ok, x.Err));
        Assert.Equal("/m", ((PathRecord)results[1].Body!).Path);
        var created = (Create2Response)results[2].Body!;
        Assert.Equal("/m/c", created.Path);
        Assert.Equal(r.Zxid, created.Stat.Czxid);
        var set = ((StatResponse)results[3].Body!).Stat;
        Assert.Equal((1, r.Zxid), (set.Version, set.Mzxid));

        Assert.True(await c.NodeExistsAsync("/m"));
        Assert.False(await c.NodeExistsAsync("/m/c"));
    }

    [Fact]
    public async Task Multi_with_an_invalid_create_flag_is_a_marshalling_error_in_the_header()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        var multi = new MultiRequest(
        [
            new MultiOp(OpCode.Create, new CreateRequest("/ok", [], Acl.OpenAclUnsafe, 0)),
            new MultiOp(OpCode.Create, new CreateRequest("/bad-flag", [], Acl.OpenAclUnsafe, 99)),
        ]);
        var r = await c.CallAsync(OpCode.Multi, multi);
        Assert.Equal(ErrorCode.MarshallingError, r.Err);
        Assert.Empty(r.Body);
        Assert.False(await c.NodeExistsAsync("/ok"));
        await c.AssertHealthyAsync("/after");
    }

    [Fact]
    public async Task Multi_mixing_reads_into_writes_is_a_marshalling_error()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        var multi = new MultiRequest(
        [
            new MultiOp(OpCode.Create, new CreateRequest("/w", [], Acl.OpenAclUnsafe, 0)),
            new MultiOp(OpCode.GetData, new PathWatchRequest("/w", false)),
        ]);
        var r = await c.CallAsync(OpCode.Multi, multi);
        Assert.Equal(ErrorCode.MarshallingError, r.Err);
        Assert.False(await c.NodeExistsAsync("/w"));
    }

    [Fact]
    public async Task MultiRead_returns_per_op_results_including_errors()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        await c.CreateOkAsync("/r", ClientOps.Bytes("data"));
        await c.CreateOkAsync("/r/x");
        await c.CreateOkAsync("/r/y");
        var multi = new MultiRequest(
        [
            new MultiOp(OpCode.GetData, new PathWatchRequest("/r", false)),
            new MultiOp(OpCode.GetChildren, new PathWatchRequest("/r", false)),
            new MultiOp(OpCode.GetData, new PathWatchRequest("/missing", false)),
            new MultiOp(OpCode.GetChildren, new PathWatchRequest("/r/x", false)),
        ]);
        var r = await c.CallAsync(OpCode.MultiRead, multi);
        var results = MultiResults(r);
        Assert.Equal([OpCode.GetData, OpCode.GetChildren, OpCode.Error, OpCode.GetChildren], results.Select(x => x.Type).ToArray());
        var data = (GetDataResponse)results[0].Body!;
        Assert.Equal(ClientOps.Bytes("data"), data.Data);
        Assert.Equal(2, data.Stat.NumChildren);
        Assert.Equal(["x", "y"], ((StringListResponse)results[1].Body!).Items.Order(StringComparer.Ordinal));
        Assert.Equal(ErrorCode.NoNode, ((ErrorResponse)results[2].Body!).Err);
        Assert.Empty(((StringListResponse)results[3].Body!).Items);
    }

    [Fact]
    public async Task AddWatch_reply_has_a_four_byte_error_response_body_of_zero()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        foreach (var mode in new[] { AddWatchMode.Persistent, AddWatchMode.PersistentRecursive })
        {
            var r = await c.AddWatchAsync("/aw", mode);
            Assert.Equal(ErrorCode.Ok, r.Err);
            Assert.Equal(new byte[4], r.Body);
        }
    }

    [Fact]
    public async Task Reconfig_is_disabled_by_default()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        var r = await c.CallAsync(OpCode.Reconfig, new ReconfigRequest(null, null, "server.1=127.0.0.1:2888:3888", -1));
        Assert.Equal(ErrorCode.ReconfigDisabled, r.Err);
        Assert.Empty(r.Body);
    }

    [Fact]
    public async Task Sasl_is_unimplemented()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        var r = await c.CallAsync(OpCode.Sasl, new BufferRecord([1, 2, 3]));
        Assert.Equal(ErrorCode.Unimplemented, r.Err);
        Assert.Empty(r.Body);
    }

    [Fact]
    public async Task WhoAmI_reports_the_ip_and_then_the_digest_user()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        var who = (await c.CallAsync(OpCode.WhoAmI, null)).Read<WhoAmIResponse>().ClientInfo;
        Assert.Equal([new ClientInfo("ip", "127.0.0.1")], who);

        await c.SendAsync(Xids.Auth, OpCode.Auth, new AuthPacket(0, "digest", ClientOps.Bytes("bob:secret")));
        var auth = await c.ReadReplyAsync();
        Assert.Equal((Xids.Auth, ErrorCode.Ok), (auth.Xid, auth.Err));
        Assert.Empty(auth.Body);

        who = (await c.CallAsync(OpCode.WhoAmI, null)).Read<WhoAmIResponse>().ClientInfo;
        Assert.Contains(new ClientInfo("ip", "127.0.0.1"), who);
        Assert.Contains(new ClientInfo("digest", "bob"), who);
        Assert.Equal(2, who.Count);
    }

    [Fact]
    public async Task Digest_auth_grants_access_to_a_digest_acl_and_the_auth_scheme_expands_to_it()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var bob = await silo.ConnectAsync();
        await using var stranger = await silo.ConnectAsync();
        await bob.SendAsync(Xids.Auth, OpCode.Auth, new AuthPacket(0, "digest", ClientOps.Bytes("bob:secret")));
        Assert.Equal(ErrorCode.Ok, (await bob.ReadReplyAsync()).Err);

        await bob.CreateOkAsync("/private", ClientOps.Bytes("s3cret"), acl: Acl.CreatorAllAcl);
        var acl = (await bob.CallAsync(OpCode.GetAcl, new PathRecord("/private"))).Read<GetAclResponse>().Acl;
        var expectedId = "bob:" + Convert.ToBase64String(System.Security.Cryptography.SHA1.HashData(Encoding.UTF8.GetBytes("bob:secret")));
        Assert.Equal([new Acl(Perms.All, new Id("digest", expectedId))], acl);

        Assert.Equal(ErrorCode.NoAuth, (await stranger.GetDataAsync("/private")).Err);
        Assert.Equal(ErrorCode.NoAuth, (await stranger.SetDataAsync("/private", [1])).Err);
        Assert.Equal(ErrorCode.NoAuth, (await stranger.CallAsync(OpCode.GetAcl, new PathRecord("/private"))).Err);
        Assert.Equal(ClientOps.Bytes("s3cret"), (await bob.GetDataAsync("/private")).Read<GetDataResponse>().Data);

        // Without an authenticated id, "auth" in an ACL is invalid.
        Assert.Equal(ErrorCode.InvalidAcl, (await stranger.CreateAsync("/nope", acl: Acl.CreatorAllAcl)).Err);
    }

    [Fact]
    public async Task Digest_auth_without_a_colon_is_accepted_as_zookeeper_does()
    {
        // ZooKeeper's DigestAuthenticationProvider hashes whatever bytes it gets ("bob" → "bob:" + base64(sha1("bob")))
        // and answers OK; it does not require "user:password".
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        await c.SendAsync(Xids.Auth, OpCode.Auth, new AuthPacket(0, "digest", ClientOps.Bytes("bob")));
        var auth = await c.ReadReplyAsync();
        Assert.Equal((Xids.Auth, ErrorCode.Ok), (auth.Xid, auth.Err));
        var who = (await c.CallAsync(OpCode.WhoAmI, null)).Read<WhoAmIResponse>().ClientInfo;
        Assert.Contains(new ClientInfo("digest", "bob"), who);
    }

    [Fact]
    public async Task Super_digest_bypasses_acls()
    {
        var superId = "super:" + Convert.ToBase64String(System.Security.Cryptography.SHA1.HashData(Encoding.UTF8.GetBytes("super:admin")));
        Assert.Equal("super:xQJmxLMiHGwaqBvst5y6rkB6HQs=", superId);
        await using var silo = await TestSilo.StartAsync(o => o.SuperDigest = superId);
        await using var bob = await silo.ConnectAsync();
        await using var admin = await silo.ConnectAsync();
        await bob.SendAsync(Xids.Auth, OpCode.Auth, new AuthPacket(0, "digest", ClientOps.Bytes("bob:pw")));
        Assert.Equal(ErrorCode.Ok, (await bob.ReadReplyAsync()).Err);
        await bob.CreateOkAsync("/locked", ClientOps.Bytes("x"), acl: Acl.CreatorAllAcl);

        Assert.Equal(ErrorCode.NoAuth, (await admin.GetDataAsync("/locked")).Err);
        await admin.SendAsync(Xids.Auth, OpCode.Auth, new AuthPacket(0, "digest", ClientOps.Bytes("super:admin")));
        Assert.Equal(ErrorCode.Ok, (await admin.ReadReplyAsync()).Err);
        Assert.Equal(ClientOps.Bytes("x"), (await admin.GetDataAsync("/locked")).Read<GetDataResponse>().Data);
        Assert.Equal(ErrorCode.Ok, (await admin.DeleteAsync("/locked")).Err);
    }

    [Fact]
    public async Task Auth_with_an_unknown_scheme_fails_with_xid_minus_4_then_closes()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var healthy = await silo.ConnectAsync();
        await using var c = await silo.ConnectAsync();
        await c.SendAsync(Xids.Auth, OpCode.Auth, new AuthPacket(0, "kerberos-ish", ClientOps.Bytes("who:me")));
        var frames = await c.AssertClosedAsync();
        var reply = Assert.Single(frames);
        Assert.Equal((Xids.Auth, ErrorCode.AuthFailed), (reply.Xid, reply.Err));
        Assert.Equal(0, reply.Zxid);
        Assert.Empty(reply.Body);
        await healthy.AssertHealthyAsync("/fine");
    }

    [Fact]
    public async Task Auth_failure_reply_is_delivered_even_with_requests_pipelined_behind_it()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var healthy = await silo.ConnectAsync();
        await using var c = await silo.ConnectAsync();
        await c.SendRawAsync(RawClient.Concat(
            RawClient.EncodeRequest(Xids.Auth, OpCode.Auth, new AuthPacket(0, "nosuchscheme", [1])),
            RawClient.EncodeRequest(1, OpCode.Create, new CreateRequest("/after-auth-failure", [], Acl.OpenAclUnsafe, 0))));
        var reply = Assert.Single(await c.AssertClosedAsync());
        Assert.Equal((Xids.Auth, ErrorCode.AuthFailed), (reply.Xid, reply.Err));
        Assert.False(await healthy.NodeExistsAsync("/after-auth-failure"));
    }

    [Fact]
    public async Task GetEphemerals_lists_this_sessions_ephemerals_by_prefix()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        await using var other = await silo.ConnectAsync();
        await c.CreateOkAsync("/eph-a", mode: CreateMode.Ephemeral);
        await c.CreateOkAsync("/eph-b", mode: CreateMode.Ephemeral);
        await c.CreateOkAsync("/dir");
        await c.CreateOkAsync("/dir/e", mode: CreateMode.Ephemeral);
        await c.CreateOkAsync("/persistent");
        await other.CreateOkAsync("/eph-other", mode: CreateMode.Ephemeral);

        async Task<IReadOnlyList<string>> ListAsync(string prefix) =>
            (await c.CallAsync(OpCode.GetEphemerals, new PathRecord(prefix))).Read<StringListResponse>().Items.Order(StringComparer.Ordinal).ToList();

        Assert.Equal(["/dir/e", "/eph-a", "/eph-b"], await ListAsync("/"));
        Assert.Equal(["/dir/e", "/eph-a", "/eph-b"], await ListAsync(""));
        Assert.Equal(["/eph-a", "/eph-b"], await ListAsync("/eph"));
        Assert.Equal(["/dir/e"], await ListAsync("/dir"));
        Assert.Empty(await ListAsync("/nothing"));
    }

    [Fact]
    public async Task GetAllChildrenNumber_of_root_counts_the_zookeeper_nodes()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        async Task<int> CountAsync(string path) =>
            (await c.CallAsync(OpCode.GetAllChildrenNumber, new PathRecord(path))).Read<CountResponse>().TotalNumber;

        Assert.Equal(3, await CountAsync("/"));
        Assert.Equal(2, await CountAsync("/zookeeper"));
        await c.CreateOkAsync("/a");
        await c.CreateOkAsync("/a/b");
        await c.CreateOkAsync("/a/b/c");
        await c.CreateOkAsync("/a/d");
        Assert.Equal(7, await CountAsync("/"));
        Assert.Equal(3, await CountAsync("/a"));
        Assert.Equal(0, await CountAsync("/a/d"));
    }

    [Fact]
    public async Task Sync_returns_its_path()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        await c.CreateOkAsync("/s");
        var r = await c.CallAsync(OpCode.Sync, new PathRecord("/s"));
        Assert.Equal(ErrorCode.Ok, r.Err);
        Assert.Equal("/s", r.Read<PathRecord>().Path);
        Assert.True(r.Zxid >= c.LastZxid);
    }

    [Fact]
    public async Task Reserved_nodes_exist_and_cannot_be_deleted_or_recreated()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        var root = (await c.ExistsAsync("/")).Read<StatResponse>().Stat;
        Assert.Equal(-1, root.Cversion);
        var zk = (await c.ExistsAsync("/zookeeper")).Read<StatResponse>().Stat;
        Assert.Equal((-2, 2, 0L, 0L), (zk.Cversion, zk.NumChildren, zk.Czxid, zk.Mzxid));
        Assert.Equal(["config", "quota"], (await c.GetChildrenAsync("/zookeeper")).Read<StringListResponse>().Items.Order(StringComparer.Ordinal));

        Assert.Equal(ErrorCode.BadArguments, (await c.DeleteAsync("/zookeeper")).Err);
        Assert.Equal(ErrorCode.BadArguments, (await c.DeleteAsync("/zookeeper/config")).Err);
        Assert.Equal(ErrorCode.BadArguments, (await c.DeleteAsync("/")).Err);
        Assert.Equal(ErrorCode.NodeExists, (await c.CreateAsync("/zookeeper")).Err);
        Assert.Equal(ErrorCode.NodeExists, (await c.CreateAsync("/zookeeper/quota")).Err);

        // /zookeeper/config is world-readable only.
        var configAcl = (await c.CallAsync(OpCode.GetAcl, new PathRecord("/zookeeper/config"))).Read<GetAclResponse>().Acl;
        Assert.Equal(Acl.ReadAclUnsafe, configAcl);
        Assert.Equal(ErrorCode.NoAuth, (await c.SetDataAsync("/zookeeper/config", [1])).Err);
    }

    [Fact]
    public async Task SetWatches_fires_owed_events_with_zxid_minus_1_before_the_reply()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var writer = await silo.ConnectAsync();
        await writer.CreateOkAsync("/changed", ClientOps.Bytes("v1"));
        await writer.CreateOkAsync("/unchanged");
        await writer.CreateOkAsync("/kids");
        var relative = writer.LastZxid;
        Assert.Equal(ErrorCode.Ok, (await writer.SetDataAsync("/changed", ClientOps.Bytes("v2"))).Err);
        await writer.CreateOkAsync("/kids/new");
        await writer.CreateOkAsync("/appeared");

        await using var c = await silo.ConnectAsync();
        var setWatches = new SetWatchesRequest(
            relative,
            DataWatches: ["/changed", "/unchanged", "/vanished"],
            ExistWatches: ["/appeared", "/still-missing"],
            ChildWatches: ["/kids", "/no-kids"],
            PersistentWatches: [],
            PersistentRecursiveWatches: [],
            IsVersion2: false);
        var xid = await c.SendAsync(OpCode.SetWatches, new SetWatchesRecord(setWatches));
        var frames = new List<Reply>();
        while (true)
        {
            var f = await c.ReadReplyAsync();
            frames.Add(f);
            if (!f.IsNotification)
            {
                break;
            }
        }

        var reply = frames[^1];
        Assert.Equal((xid, ErrorCode.Ok), (reply.Xid, reply.Err));
        Assert.Empty(reply.Body);
        var events = frames.GetRange(0, frames.Count - 1);
        Assert.All(events, e => Assert.Equal(-1, e.Zxid));
        Assert.Equal(
            new HashSet<(EventType, string)>
            {
                (EventType.NodeDataChanged, "/changed"),
                (EventType.NodeDeleted, "/vanished"),
                (EventType.NodeCreated, "/appeared"),
                (EventType.NodeChildrenChanged, "/kids"),
                (EventType.NodeDeleted, "/no-kids"),
            },
            events.Select(e => (e.Event.Type, e.Event.Path)).ToHashSet());
        Assert.Equal(5, events.Count);

        // The watches that were not owed an event were registered and now fire normally.
        Assert.Equal(ErrorCode.Ok, (await writer.SetDataAsync("/unchanged", [1])).Err);
        await writer.CreateOkAsync("/still-missing");
        var e1 = await c.NextEventAsync();
        var e2 = await c.NextEventAsync();
        Assert.Equal((EventType.NodeDataChanged, "/unchanged"), (e1.Event.Type, e1.Event.Path));
        Assert.Equal((EventType.NodeCreated, "/still-missing"), (e2.Event.Type, e2.Event.Path));
        Assert.True(e1.Zxid > 0 && e2.Zxid > e1.Zxid);
    }

    [Fact]
    public async Task SetWatches2_re_adds_persistent_watches()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var writer = await silo.ConnectAsync();
        await using var c = await silo.ConnectAsync();
        var req = new SetWatchesRequest(writer.LastZxid, [], [], [], ["/p"], ["/r"], IsVersion2: true);
        var r = await c.CallAsync(OpCode.SetWatches2, new SetWatchesRecord(req));
        Assert.Equal(ErrorCode.Ok, r.Err);
        Assert.Empty(c.DrainEvents());

        await writer.CreateOkAsync("/p");
        await writer.CreateOkAsync("/r");
        await writer.CreateOkAsync("/r/deep");
        var got = new List<(EventType, string)>();
        for (var i = 0; i < 3; i++)
        {
            var e = await c.NextEventAsync();
            got.Add((e.Event.Type, e.Event.Path));
        }

        Assert.Equal([(EventType.NodeCreated, "/p"), (EventType.NodeCreated, "/r"), (EventType.NodeCreated, "/r/deep")], got);
    }

    [Theory]
    [InlineData(OpCode.CheckWatches)]
    [InlineData(OpCode.RemoveWatches)]
    public async Task Check_and_remove_watches_answer_NOWATCHER_when_absent(OpCode op)
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        await c.CreateOkAsync("/w");
        foreach (var type in new[] { WatcherType.Children, WatcherType.Data, WatcherType.Any, WatcherType.Persistent, WatcherType.PersistentRecursive })
        {
            var r = await c.CallAsync(op, new WatchesRequest("/w", type));
            Assert.Equal(ErrorCode.NoWatcher, r.Err);
            Assert.Empty(r.Body);
        }

        Assert.Equal(ErrorCode.Ok, (await c.GetDataAsync("/w", watch: true)).Err);
        Assert.Equal(ErrorCode.NoWatcher, (await c.CallAsync(op, new WatchesRequest("/w", WatcherType.Children))).Err);
        Assert.Equal(ErrorCode.Ok, (await c.CallAsync(op, new WatchesRequest("/w", WatcherType.Data))).Err);
    }

    [Fact]
    public async Task RemoveWatches_removes_the_watch_and_sends_no_event()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        await using var writer = await silo.ConnectAsync();
        await c.CreateOkAsync("/rw");
        Assert.Equal(ErrorCode.Ok, (await c.GetDataAsync("/rw", watch: true)).Err);
        Assert.Equal(ErrorCode.Ok, (await c.GetChildrenAsync("/rw", watch: true)).Err);
        Assert.Equal(ErrorCode.Ok, (await c.CallAsync(OpCode.RemoveWatches, new WatchesRequest("/rw", WatcherType.Any))).Err);
        Assert.Equal(ErrorCode.NoWatcher, (await c.CallAsync(OpCode.CheckWatches, new WatchesRequest("/rw", WatcherType.Any))).Err);
        Assert.Equal(ErrorCode.Ok, (await writer.SetDataAsync("/rw", [1])).Err);
        await writer.CreateOkAsync("/rw/child");
        Assert.Equal(ErrorCode.Ok, (await c.PingAsync()).Err);
        Assert.Empty(c.DrainEvents());
        Assert.False(await c.HasFrameWithinAsync(TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public async Task Persistent_recursive_watch_gets_NodeCreated_for_a_grandchild_and_never_NodeChildrenChanged()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        await using var writer = await silo.ConnectAsync();
        await writer.CreateOkAsync("/r");
        Assert.Equal(ErrorCode.Ok, (await c.AddWatchAsync("/r", AddWatchMode.PersistentRecursive)).Err);

        await writer.CreateOkAsync("/r/a");
        await writer.CreateOkAsync("/r/a/b");
        Assert.Equal(ErrorCode.Ok, (await writer.SetDataAsync("/r/a/b", [1])).Err);
        Assert.Equal(ErrorCode.Ok, (await writer.DeleteAsync("/r/a/b")).Err);
        await writer.CreateOkAsync("/elsewhere");
        Assert.Equal(ErrorCode.Ok, (await writer.DeleteAsync("/r/a")).Err);
        Assert.Equal(ErrorCode.Ok, (await writer.SetDataAsync("/r", [2])).Err);

        var expected = new List<(EventType, string)>
        {
            (EventType.NodeCreated, "/r/a"),
            (EventType.NodeCreated, "/r/a/b"),
            (EventType.NodeDataChanged, "/r/a/b"),
            (EventType.NodeDeleted, "/r/a/b"),
            (EventType.NodeDeleted, "/r/a"),
            (EventType.NodeDataChanged, "/r"),
        };
        var got = new List<(EventType, string)>();
        foreach (var _ in expected)
        {
            var e = await c.NextEventAsync();
            got.Add((e.Event.Type, e.Event.Path));
        }

        Assert.Equal(expected, got);

        // Nothing else is owed: a round trip shows no NodeChildrenChanged was queued.
        Assert.Equal(ErrorCode.Ok, (await c.PingAsync()).Err);
        Assert.Empty(c.DrainEvents());
        Assert.False(await c.HasFrameWithinAsync(TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public async Task Persistent_watch_gets_data_and_child_events_and_survives_NodeDeleted()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        await using var writer = await silo.ConnectAsync();
        Assert.Equal(ErrorCode.Ok, (await c.AddWatchAsync("/p", AddWatchMode.Persistent)).Err);
        await writer.CreateOkAsync("/p");
        await writer.CreateOkAsync("/p/kid");
        await writer.CreateOkAsync("/p/kid/grandkid");
        Assert.Equal(ErrorCode.Ok, (await writer.DeleteAsync("/p/kid/grandkid")).Err);
        Assert.Equal(ErrorCode.Ok, (await writer.DeleteAsync("/p/kid")).Err);
        Assert.Equal(ErrorCode.Ok, (await writer.DeleteAsync("/p")).Err);
        await writer.CreateOkAsync("/p");

        var expected = new List<(EventType, string)>
        {
            (EventType.NodeCreated, "/p"),
            (EventType.NodeChildrenChanged, "/p"),
            (EventType.NodeChildrenChanged, "/p"),
            (EventType.NodeDeleted, "/p"),
            (EventType.NodeCreated, "/p"),
        };
        var got = new List<(EventType, string)>();
        foreach (var _ in expected)
        {
            var e = await c.NextEventAsync();
            got.Add((e.Event.Type, e.Event.Path));
        }

        Assert.Equal(expected, got);
    }

    [Fact]
    public async Task Standard_watches_fire_once()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        await using var writer = await silo.ConnectAsync();
        await writer.CreateOkAsync("/once");
        Assert.Equal(ErrorCode.Ok, (await c.GetDataAsync("/once", watch: true)).Err);
        Assert.Equal(ErrorCode.Ok, (await c.ExistsAsync("/once", watch: true)).Err);
        Assert.Equal(ErrorCode.Ok, (await writer.SetDataAsync("/once", [1])).Err);
        Assert.Equal(ErrorCode.Ok, (await writer.SetDataAsync("/once", [2])).Err);
        var e = await c.NextEventAsync();
        Assert.Equal((EventType.NodeDataChanged, "/once"), (e.Event.Type, e.Event.Path));
        Assert.Equal(ErrorCode.Ok, (await c.PingAsync()).Err);
        Assert.Empty(c.DrainEvents());
    }

    [Fact]
    public async Task Exists_getData_and_getChildren_watches_fire_the_documented_events()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        await using var writer = await silo.ConnectAsync();
        Assert.Equal(ErrorCode.NoNode, (await c.ExistsAsync("/later", watch: true)).Err);
        Assert.Equal(ErrorCode.NoNode, (await c.GetDataAsync("/never", watch: true)).Err);
        await writer.CreateOkAsync("/later");
        var e = await c.NextEventAsync();
        Assert.Equal((EventType.NodeCreated, "/later"), (e.Event.Type, e.Event.Path));

        Assert.Equal(ErrorCode.Ok, (await c.GetChildrenAsync("/later", watch: true)).Err);
        await writer.CreateOkAsync("/later/kid");
        e = await c.NextEventAsync();
        Assert.Equal((EventType.NodeChildrenChanged, "/later"), (e.Event.Type, e.Event.Path));

        Assert.Equal(ErrorCode.Ok, (await c.GetChildrenAsync("/later/kid", watch: true)).Err);
        Assert.Equal(ErrorCode.Ok, (await c.GetDataAsync("/later/kid", watch: true)).Err);
        Assert.Equal(ErrorCode.Ok, (await writer.DeleteAsync("/later/kid")).Err);
        e = await c.NextEventAsync();
        Assert.Equal((EventType.NodeDeleted, "/later/kid"), (e.Event.Type, e.Event.Path));

        // getData on a missing node sets no watch.
        await writer.CreateOkAsync("/never");
        Assert.Equal(ErrorCode.Ok, (await c.PingAsync()).Err);
        Assert.Empty(c.DrainEvents());
        Assert.False(await c.HasFrameWithinAsync(TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public async Task Reads_need_read_permission_and_set_no_watch_without_it()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var bob = await silo.ConnectAsync();
        await using var stranger = await silo.ConnectAsync();
        await bob.SendAsync(Xids.Auth, OpCode.Auth, new AuthPacket(0, "digest", ClientOps.Bytes("bob:pw")));
        Assert.Equal(ErrorCode.Ok, (await bob.ReadReplyAsync()).Err);
        await bob.CreateOkAsync("/mine", acl: [new Acl(Perms.All, Id.AuthIds), new Acl(Perms.Write, Id.Anyone)]);

        Assert.Equal(ErrorCode.NoAuth, (await stranger.ExistsAsync("/mine", watch: true)).Err);
        Assert.Equal(ErrorCode.NoAuth, (await stranger.GetDataAsync("/mine", watch: true)).Err);
        Assert.Equal(ErrorCode.NoAuth, (await stranger.GetChildrenAsync("/mine", watch: true)).Err);
        Assert.Equal(ErrorCode.NoWatcher, (await stranger.CallAsync(OpCode.CheckWatches, new WatchesRequest("/mine", WatcherType.Any))).Err);

        // WRITE without READ still allows setData.
        Assert.Equal(ErrorCode.Ok, (await stranger.SetDataAsync("/mine", [1])).Err);
    }

    [Fact]
    public async Task GetAcl_without_admin_masks_digest_ids()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var bob = await silo.ConnectAsync();
        await using var reader = await silo.ConnectAsync();
        await bob.SendAsync(Xids.Auth, OpCode.Auth, new AuthPacket(0, "digest", ClientOps.Bytes("bob:pw")));
        Assert.Equal(ErrorCode.Ok, (await bob.ReadReplyAsync()).Err);
        await bob.CreateOkAsync("/masked", acl: [new Acl(Perms.All, Id.AuthIds), new Acl(Perms.Read, Id.Anyone)]);

        var seenByReader = (await reader.CallAsync(OpCode.GetAcl, new PathRecord("/masked"))).Read<GetAclResponse>();
        Assert.Equal([new Acl(Perms.All, new Id("digest", "bob:x")), new Acl(Perms.Read, Id.Anyone)], seenByReader.Acl);
        var seenByBob = (await bob.CallAsync(OpCode.GetAcl, new PathRecord("/masked"))).Read<GetAclResponse>();
        Assert.StartsWith("bob:", seenByBob.Acl[0].Id.Ident, StringComparison.Ordinal);
        Assert.NotEqual("bob:x", seenByBob.Acl[0].Id.Ident);
        Assert.Equal(seenByBob.Stat, seenByReader.Stat);
    }

    [Fact]
    public async Task Invalid_paths_are_bad_arguments_for_reads_and_sync()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        Assert.Equal(ErrorCode.BadArguments, (await c.GetDataAsync("/a/")).Err);
        Assert.Equal(ErrorCode.BadArguments, (await c.ExistsAsync("relative")).Err);
        Assert.Equal(ErrorCode.BadArguments, (await c.GetChildrenAsync("/a/../b")).Err);
        Assert.Equal(ErrorCode.BadArguments, (await c.CallAsync(OpCode.Sync, new PathRecord("no-slash"))).Err);
        Assert.Equal(ErrorCode.BadArguments, (await c.AddWatchAsync("/x/", AddWatchMode.Persistent)).Err);
        await c.AssertHealthyAsync("/ok");
    }

    [Fact]
    public async Task Events_are_not_delivered_without_read_permission()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var bob = await silo.ConnectAsync();
        await using var stranger = await silo.ConnectAsync();
        await bob.SendAsync(Xids.Auth, OpCode.Auth, new AuthPacket(0, "digest", ClientOps.Bytes("bob:pw")));
        Assert.Equal(ErrorCode.Ok, (await bob.ReadReplyAsync()).Err);
        await bob.CreateOkAsync("/secret", acl: [new Acl(Perms.Read | Perms.Write | Perms.Admin | Perms.Delete, Id.AuthIds), new Acl(Perms.Create, Id.Anyone)]);
        Assert.Equal(ErrorCode.Ok, (await stranger.AddWatchAsync("/secret", AddWatchMode.PersistentRecursive)).Err);
        Assert.Equal(ErrorCode.Ok, (await stranger.AddWatchAsync("/open", AddWatchMode.Persistent)).Err);
        Assert.Equal(ErrorCode.Ok, (await bob.SetDataAsync("/secret", [1])).Err);
        await bob.CreateOkAsync("/open");
        var e = await stranger.NextEventAsync();
        Assert.Equal((EventType.NodeCreated, "/open"), (e.Event.Type, e.Event.Path));
        Assert.Empty(stranger.DrainEvents());
    }

    [Fact]
    public async Task Container_is_reaped_after_its_last_child_is_deleted()
    {
        await using var silo = await TestSilo.StartAsync(o => o.ContainerCheckIntervalMs = 50);
        await using var c = await silo.ConnectAsync();
        var r = await c.CallAsync(OpCode.CreateContainer, new CreateRequest("/box", [], Acl.OpenAclUnsafe, (int)CreateMode.Container));
        Assert.Equal(ErrorCode.Ok, r.Err);
        var created = r.Read<Create2Response>();
        Assert.Equal(("/box", 0L), (created.Path, created.Stat.EphemeralOwner));
        var r2 = await c.CallAsync(OpCode.CreateContainer, new CreateRequest("/never-used", [], Acl.OpenAclUnsafe, (int)CreateMode.Container));
        Assert.Equal(ErrorCode.Ok, r2.Err);

        await c.CreateOkAsync("/box/item");
        await Task.Delay(300);
        Assert.True(await c.NodeExistsAsync("/box"), "a container with a child must not be reaped");

        Assert.Equal(ErrorCode.Ok, (await c.DeleteAsync("/box/item")).Err);
        await ClientOps.EventuallyAsync(async () => !await c.NodeExistsAsync("/box"), TimeSpan.FromSeconds(10), "the empty container to be reaped");

        // A container that never had a child is left alone.
        Assert.True(await c.NodeExistsAsync("/never-used"));
    }

    [Fact]
    public async Task CreateContainer_with_a_non_container_flag_is_bad_arguments()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        var r = await c.CallAsync(OpCode.CreateContainer, new CreateRequest("/box", [], Acl.OpenAclUnsafe, 0));
        Assert.Equal(ErrorCode.BadArguments, r.Err);
    }

    [Fact]
    public async Task Ttl_node_is_reaped_after_its_ttl_when_childless()
    {
        await using var silo = await TestSilo.StartAsync(o =>
        {
            o.ExtendedTypesEnabled = true;
            o.ContainerCheckIntervalMs = 50;
        });
        await using var c = await silo.ConnectAsync();
        var sw = Stopwatch.StartNew();
        var r = await c.CallAsync(OpCode.CreateTtl, new CreateTtlRequest("/ttl", [], Acl.OpenAclUnsafe, (int)CreateMode.PersistentWithTtl, 400));
        Assert.Equal(ErrorCode.Ok, r.Err);
        r = await c.CallAsync(OpCode.CreateTtl, new CreateTtlRequest("/ttl-parent", [], Acl.OpenAclUnsafe, (int)CreateMode.PersistentWithTtl, 100));
        Assert.Equal(ErrorCode.Ok, r.Err);
        await c.CreateOkAsync("/ttl-parent/child");

        await ClientOps.EventuallyAsync(async () => !await c.NodeExistsAsync("/ttl"), TimeSpan.FromSeconds(10), "the TTL node to be reaped");
        Assert.True(sw.ElapsedMilliseconds >= 400, $"TTL node reaped after {sw.ElapsedMilliseconds} ms, before its 400 ms TTL");
        Assert.True(await c.NodeExistsAsync("/ttl-parent"), "a TTL node with children must not be reaped");
    }

    [Fact]
    public async Task Large_data_of_a_million_bytes_round_trips()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        var data = new byte[1_000_000];
        new Random(1).NextBytes(data);
        var created = await c.Create2Async("/big", data);
        Assert.Equal(ErrorCode.Ok, created.Err);
        Assert.Equal(1_000_000, created.Read<Create2Response>().Stat.DataLength);
        var got = (await c.GetDataAsync("/big")).Read<GetDataResponse>();
        Assert.Equal(data, got.Data);
        Assert.Equal(1_000_000, got.Stat.DataLength);
    }

    [Fact]
    public async Task A_frame_above_jute_max_buffer_closes_the_connection()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var healthy = await silo.ConnectAsync();
        await using var c = await silo.ConnectAsync();
        await c.CreateOkAsync("/big");
        var frame = RawClient.EncodeRequest(9, OpCode.SetData, new SetDataRequest("/big", new byte[JuteLimits.DefaultMaxBuffer], -1));
        try
        {
            await c.SendRawAsync(frame);
        }
        catch (IOException)
        {
            // The server may close while the frame is still being written.
        }

        await c.AssertClosedWithoutReplyAsync();
        Assert.Equal(0, (await healthy.ExistsAsync("/big")).Read<StatResponse>().Stat.DataLength);
        await healthy.AssertHealthyAsync("/fine");
    }

    [Fact]
    public async Task Version_checks_on_setData_delete_and_setAcl()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        await c.CreateOkAsync("/v");
        Assert.Equal(ErrorCode.BadVersion, (await c.SetDataAsync("/v", [1], 3)).Err);
        var s1 = (await c.SetDataAsync("/v", [1], 0)).Read<StatResponse>().Stat;
        Assert.Equal(1, s1.Version);
        var s2 = (await c.SetDataAsync("/v", [2], -1)).Read<StatResponse>().Stat;
        Assert.Equal(2, s2.Version);
        Assert.True(s2.Mzxid > s1.Mzxid);
        Assert.Equal(s1.Czxid, s2.Czxid);

        Assert.Equal(ErrorCode.BadVersion, (await c.CallAsync(OpCode.SetAcl, new SetAclRequest("/v", Acl.ReadAclUnsafe, 1))).Err);
        var acl = (await c.CallAsync(OpCode.SetAcl, new SetAclRequest("/v", [new Acl(Perms.All, Id.Anyone)], 0))).Read<StatResponse>().Stat;
        Assert.Equal((1, 2), (acl.Aversion, acl.Version));

        Assert.Equal(ErrorCode.BadVersion, (await c.DeleteAsync("/v", 1)).Err);
        Assert.Equal(ErrorCode.Ok, (await c.DeleteAsync("/v", 2)).Err);
    }

    [Fact]
    public async Task Delete_of_a_node_with_children_is_not_empty_and_ephemerals_take_no_children()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        await c.CreateOkAsync("/p");
        await c.CreateOkAsync("/p/c");
        Assert.Equal(ErrorCode.NotEmpty, (await c.DeleteAsync("/p")).Err);
        await c.CreateOkAsync("/e", mode: CreateMode.Ephemeral);
        Assert.Equal(ErrorCode.NoChildrenForEphemerals, (await c.CreateAsync("/e/c")).Err);
    }
}

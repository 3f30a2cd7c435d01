using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.Client.Tests;

public abstract partial class ClientContractTests
{
    [Fact]
    public async Task Create_get_set_delete_round_trip_with_stat_fields()
    {
        var path = P("node");
        var created = await Within(Client.CreateWithStatAsync(path, B("one")));
        Assert.Equal(path, created.Path);
        var s = created.Stat;
        Assert.True(s.Czxid > 0);
        Assert.Equal(s.Czxid, s.Mzxid);
        Assert.Equal(s.Czxid, s.Pzxid);
        Assert.Equal(s.Ctime, s.Mtime);
        Assert.Equal(0, s.Version);
        Assert.Equal(0, s.Cversion);
        Assert.Equal(0, s.Aversion);
        Assert.Equal(0, s.EphemeralOwner);
        Assert.Equal(3, s.DataLength);
        Assert.Equal(0, s.NumChildren);
        Assert.InRange(DateTimeOffset.FromUnixTimeMilliseconds(s.Ctime), DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5));

        var read = await Within(Client.GetDataAsync(path));
        Assert.Equal("one", S(read.Data));
        Assert.Equal(s, read.Stat);

        var set = await Within(Client.SetDataAsync(path, B("second"), version: 0));
        Assert.Equal(1, set.Version);
        Assert.Equal(6, set.DataLength);
        Assert.True(set.Mzxid > s.Mzxid);
        Assert.Equal(s.Czxid, set.Czxid);
        Assert.True(set.Mtime >= s.Mtime);
        Assert.Equal("second", S((await Within(Client.GetDataAsync(path))).Data));

        await Within(Client.DeleteAsync(path, version: 1));
        Assert.Null(await Within(Client.ExistsAsync(path)));
        Assert.Equal(path, (await Within(Client.CreateAsync(path, null))));
    }

    [Fact]
    public async Task Errors_are_typed_and_carry_code_and_path()
    {
        var path = P("e");
        await Within(Client.CreateAsync(path, B("x")));
        await Within(Client.CreateAsync(P("e/child"), null));

        var exists = await Assert.ThrowsAsync<NodeExistsException>(() => Client.CreateAsync(path, null));
        Assert.Equal(ErrorCode.NodeExists, exists.Code);
        Assert.Equal(path, exists.Path);

        var noParent = await Assert.ThrowsAsync<NoNodeException>(() => Client.CreateAsync(P("missing/child"), null));
        Assert.Equal(P("missing/child"), noParent.Path);
        await Assert.ThrowsAsync<NoNodeException>(() => Client.GetDataAsync(P("missing")));
        await Assert.ThrowsAsync<NoNodeException>(() => Client.DeleteAsync(P("missing")));
        await Assert.ThrowsAsync<NotEmptyException>(() => Client.DeleteAsync(path));
        var badVersion = await Assert.ThrowsAsync<BadVersionException>(() => Client.SetDataAsync(path, B("y"), version: 7));
        Assert.Equal(ErrorCode.BadVersion, badVersion.Code);
        await Assert.ThrowsAsync<BadVersionException>(() => Client.DeleteAsync(P("e/child"), version: 3));
        Assert.IsAssignableFrom<KeeperException>(KeeperException.Create(ErrorCode.NoAuth, "/p"));
        Assert.IsType<NoAuthException>(KeeperException.Create(ErrorCode.NoAuth, "/p"));

        // Invalid paths are refused before anything is sent.
        await Assert.ThrowsAsync<ArgumentException>(() => Client.CreateAsync("relative", null));
        await Assert.ThrowsAsync<ArgumentException>(() => Client.GetDataAsync(path + "/"));
        await Assert.ThrowsAsync<ArgumentException>(() => Client.GetDataAsync(path + "/../x"));
    }

    [Fact]
    public async Task Exists_returns_null_for_missing_and_stat_for_existing()
    {
        Assert.Null(await Within(Client.ExistsAsync(P("nope"))));
        await Within(Client.CreateAsync(P("yes"), B("12345")));
        var stat = await Within(Client.ExistsAsync(P("yes")));
        Assert.NotNull(stat);
        Assert.Equal(5, stat.Value.DataLength);
        var root = await Within(Client.ExistsAsync("/"));
        Assert.NotNull(root);
    }

    [Fact]
    public async Task Children_names_and_parent_stat()
    {
        var parent = P("parent");
        var before = await Within(Client.CreateWithStatAsync(parent, null));
        foreach (var name in new[] { "a", "b", "c" })
        {
            await Within(Client.CreateAsync(parent + "/" + name, null));
        }

        await Within(Client.DeleteAsync(parent + "/b"));
        var names = await Within(Client.GetChildrenAsync(parent));
        Assert.Equal(["a", "c"], names.Order());

        var withStat = await Within(Client.GetChildrenWithStatAsync(parent));
        Assert.Equal(["a", "c"], withStat.Children.Order());
        Assert.Equal(2, withStat.Stat.NumChildren);
        // Clients see cversion counting creates and deletes: 3 creates + 1 delete.
        Assert.Equal(4, withStat.Stat.Cversion);
        Assert.True(withStat.Stat.Pzxid > before.Stat.Pzxid);
        Assert.Equal(0, withStat.Stat.Version);

        Assert.Equal(3, await Within(Client.GetAllChildrenNumberAsync(Root)));
        Assert.Empty(await Within(Client.GetChildrenAsync(parent + "/a")));
    }

    [Fact]
    public async Task Sequential_nodes_get_increasing_ten_digit_suffixes()
    {
        var queue = P("queue");
        await Within(Client.CreateAsync(queue, null));
        var first = await Within(Client.CreateAsync(queue + "/item-", B("1"), mode: CreateMode.PersistentSequential));
        var second = await Within(Client.CreateAsync(queue + "/item-", B("2"), mode: CreateMode.PersistentSequential));
        Assert.Equal(queue + "/item-0000000000", first);
        Assert.Equal(queue + "/item-0000000001", second);

        // The counter is the parent's cversion, which deletes do not lower.
        await Within(Client.DeleteAsync(second));
        var third = await Within(Client.CreateWithStatAsync(queue + "/item-", null, mode: CreateMode.EphemeralSequential));
        Assert.Equal(queue + "/item-0000000002", third.Path);
        Assert.Equal(Client.SessionId, third.Stat.EphemeralOwner);

        // A prefix ending in "/" is allowed for sequential creates.
        var bare = await Within(Client.CreateAsync(queue + "/", null, mode: CreateMode.PersistentSequential));
        Assert.Equal(queue + "/0000000003", bare);
    }

    [Fact]
    public async Task Ephemeral_nodes_belong_to_the_session_and_go_when_it_closes()
    {
        var owner = await ConnectAsync();
        var path = P("ephemeral");
        var created = await Within(owner.CreateWithStatAsync(path, B("e"), mode: CreateMode.Ephemeral));
        Assert.Equal(owner.SessionId, created.Stat.EphemeralOwner);
        Assert.NotEqual(0, owner.SessionId);

        Assert.Equal([path], await Within(owner.GetEphemeralsAsync(Root)));
        Assert.Empty(await Within(Client.GetEphemeralsAsync(Root)));
        await Assert.ThrowsAsync<NoChildrenForEphemeralsException>(() => owner.CreateAsync(path + "/child", null));

        await owner.DisposeAsync();
        Assert.Equal(ConnectionState.Closed, owner.State);
        // closeSession deletes the session's ephemerals before it is answered.
        Assert.Null(await Within(Client.ExistsAsync(path)));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => owner.GetDataAsync("/"));
    }

    [Fact]
    public async Task Null_and_empty_data_read_as_empty()
    {
        await Within(Client.CreateAsync(P("null"), null));
        await Within(Client.CreateAsync(P("empty"), []));
        var n = await Within(Client.GetDataAsync(P("null")));
        var e = await Within(Client.GetDataAsync(P("empty")));
        Assert.Empty(n.Data);
        Assert.Empty(e.Data);
        Assert.Equal(0, n.Stat.DataLength);
        Assert.Equal(0, e.Stat.DataLength);

        var big = new byte[512 * 1024];
        Random.Shared.NextBytes(big);
        await Within(Client.SetDataAsync(P("empty"), big));
        Assert.Equal(big, (await Within(Client.GetDataAsync(P("empty")))).Data);
    }

    [Fact]
    public async Task Container_and_ttl_nodes_are_created_with_their_opcodes()
    {
        var container = await Within(Client.CreateWithStatAsync(P("container"), B("c"), mode: CreateMode.Container));
        Assert.Equal(P("container"), container.Path);
        Assert.Equal(0, container.Stat.EphemeralOwner);
        Assert.Equal(P("container2"), await Within(Client.CreateAsync(P("container2"), null, mode: CreateMode.Container)));

        var ttl = await Within(Client.CreateWithStatAsync(P("ttl-"), B("t"), mode: CreateMode.PersistentSequentialWithTtl, ttl: 60_000));
        Assert.StartsWith(P("ttl-"), ttl.Path);
        Assert.Equal(0, ttl.Stat.EphemeralOwner);
        Assert.Equal("t", S((await Within(Client.GetDataAsync(ttl.Path))).Data));

        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = Client.CreateAsync(P("ttl2"), null, mode: CreateMode.PersistentWithTtl); });
        Assert.Throws<ArgumentException>(() => { _ = Client.CreateAsync(P("ttl3"), null, mode: CreateMode.Persistent, ttl: 5); });
    }

    [Fact]
    public async Task Sync_and_whoami_answer()
    {
        await Within(Client.SyncAsync(Root));
        var identities = await Within(Client.WhoAmIAsync());
        Assert.Contains(identities, i => i.AuthScheme == "ip" && i.User == "127.0.0.1");
    }

    [Fact]
    public async Task Acls_are_read_and_written_with_aversion()
    {
        var path = P("acl");
        await Within(Client.CreateAsync(path, B("x")));
        var acl = await Within(Client.GetAclAsync(path));
        Assert.Equal(Acl.OpenAclUnsafe, acl.Acl);

        await Assert.ThrowsAsync<BadVersionException>(() => Client.SetAclAsync(path, Acl.ReadAclUnsafe, version: 3));
        var stat = await Within(Client.SetAclAsync(path, Acl.ReadAclUnsafe, version: 0));
        Assert.Equal(1, stat.Aversion);
        Assert.Equal(0, stat.Version);
        // Without ADMIN the ACL cannot be changed back.
        await Assert.ThrowsAsync<NoAuthException>(() => Client.SetAclAsync(path, Acl.OpenAclUnsafe, version: 1));
        Assert.Equal(Acl.ReadAclUnsafe, (await Within(Client.GetAclAsync(path))).Acl);
        await Assert.ThrowsAsync<NoAuthException>(() => Client.SetDataAsync(path, B("y")));
        Assert.Equal("x", S((await Within(Client.GetDataAsync(path))).Data));
        await Assert.ThrowsAsync<InvalidAclException>(() => Client.CreateAsync(P("bad-acl"), null, acl: []));
    }

    [Fact]
    public async Task Digest_auth_grants_access_to_creator_acls()
    {
        var alice = await ConnectAsync();
        await Within(alice.AddAuthAsync("digest", B("alice:secret")));
        var path = P("private");
        await Within(alice.CreateAsync(path, B("mine"), acl: Acl.CreatorAllAcl));

        var acl = (await Within(alice.GetAclAsync(path))).Acl;
        var entry = Assert.Single(acl);
        Assert.Equal(Perms.All, entry.Perms);
        Assert.Equal("digest", entry.Id.Scheme);
        Assert.StartsWith("alice:", entry.Id.Ident);
        Assert.Contains(await Within(alice.WhoAmIAsync()), i => i.AuthScheme == "digest" && i.User == "alice");

        var stranger = await ConnectAsync();
        var denied = await Assert.ThrowsAsync<NoAuthException>(() => stranger.GetDataAsync(path));
        Assert.Equal(path, denied.Path);
        await Assert.ThrowsAsync<NoAuthException>(() => stranger.SetDataAsync(path, B("theirs")));
        await Within(stranger.AddAuthAsync("digest", B("bob:other")));
        await Assert.ThrowsAsync<NoAuthException>(() => stranger.GetDataAsync(path));

        // Credentials from the options are sent on connect.
        var again = await ConnectAsync(configure: o => o.Authentication.Add(new CoordinationAuthOptions { Scheme = "digest", Credentials = "alice:secret" }));
        Assert.Equal("mine", S((await Within(again.GetDataAsync(path))).Data));
        await Within(again.SetDataAsync(path, B("ours")));

        // Without ids to substitute, the auth scheme is an invalid ACL.
        await Assert.ThrowsAsync<InvalidAclException>(() => Client.CreateAsync(P("no-creator"), null, acl: Acl.CreatorAllAcl));
    }
}

using Orleans.Coordination.DataTree.Tests.Support;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Protocol.Txn;

namespace Orleans.Coordination.DataTree.Tests;

/// <summary>
/// The Prep stage: the documented order of checks (create: TTL/session, path shape, ACL fix-up, parent,
/// CREATE, sequence + validation, exists, ephemeral parent; delete: special path, parent, DELETE, node,
/// version, children) and the outstanding-change window.
/// </summary>
public sealed class PreparerTests
{
    private static readonly IReadOnlyList<Acl> InvalidAcl = [new Acl(Perms.All, new Id("nosuchscheme", "x"))];

    /// <summary>An ACL that grants everything except the given permission to anyone.</summary>
    private static IReadOnlyList<Acl> AllBut(Perms perm) => [new Acl(Perms.All & ~perm, Id.Anyone)];

    private static ErrorCode PrepareCreate(TreeHarness h, string path, CreateMode mode = CreateMode.Persistent, IReadOnlyList<Acl>? acl = null, IReadOnlyList<Id>? ids = null) =>
        h.Prepare(OpCode.Create, new CreateRequest(path, [], acl ?? Acl.OpenAclUnsafe, (int)mode), ids: ids).Err;

    // ---- create: order of checks ----

    [Fact]
    public void Ttl_checks_come_before_the_path_shape()
    {
        var disabled = new TreeHarness(extendedTypes: false);
        Assert.Equal(ErrorCode.Unimplemented, disabled.Prepare(OpCode.CreateTtl, new CreateTtlRequest("no-slash", [], InvalidAcl, (int)CreateMode.PersistentWithTtl, 1000)).Err);

        var h = new TreeHarness();
        Assert.Equal(ErrorCode.BadArguments, h.Prepare(OpCode.CreateTtl, new CreateTtlRequest("/missing/x", [], InvalidAcl, (int)CreateMode.PersistentWithTtl, 0)).Err);
        Assert.Equal(ErrorCode.BadArguments, h.Prepare(OpCode.CreateTtl, new CreateTtlRequest("/missing/x", [], InvalidAcl, (int)CreateMode.Persistent, 10)).Err);
        Assert.Equal(ErrorCode.BadArguments, h.Prepare(OpCode.Create, new CreateRequest("/missing/x", [], InvalidAcl, 7)).Err);
    }

    [Fact]
    public void Path_shape_comes_before_the_acl_fix_up()
    {
        var h = new TreeHarness();
        Assert.Equal(ErrorCode.BadArguments, PrepareCreate(h, "no-slash", acl: InvalidAcl));
        Assert.Equal(ErrorCode.BadArguments, PrepareCreate(h, "/a\0b", acl: InvalidAcl));
    }

    [Fact]
    public void Acl_fix_up_comes_before_the_parent_check()
    {
        var h = new TreeHarness();
        Assert.Equal(ErrorCode.InvalidAcl, PrepareCreate(h, "/missing/child", acl: InvalidAcl));
        Assert.Equal(ErrorCode.InvalidAcl, PrepareCreate(h, "/missing/child", acl: []));
        Assert.Equal(ErrorCode.InvalidAcl, PrepareCreate(h, "/missing/child", acl: Acl.CreatorAllAcl));
        Assert.Equal(ErrorCode.NoNode, PrepareCreate(h, "/missing/child"));
    }

    [Fact]
    public void Create_permission_comes_before_full_path_validation_and_exists()
    {
        var h = new TreeHarness();
        h.CreateOk("/locked", acl: AllBut(Perms.Create));
        h.ApplyRaw(new CreateTxn("/locked/existing", [], Acl.OpenAclUnsafe, 0, 1, OpCode.Create));

        Assert.Equal(ErrorCode.NoAuth, PrepareCreate(h, "/locked/."));
        Assert.Equal(ErrorCode.NoAuth, PrepareCreate(h, "/locked/existing"));
        Assert.Equal(ErrorCode.NoAuth, PrepareCreate(h, "/locked/new"));
    }

    [Fact]
    public void Full_validation_happens_after_the_sequence_suffix()
    {
        var h = new TreeHarness();
        h.CreateOk("/p");
        Assert.Equal(ErrorCode.BadArguments, PrepareCreate(h, "/p/"));
        Assert.Equal(ErrorCode.BadArguments, PrepareCreate(h, "/p/."));
        Assert.Equal("/p/0000000000", h.CreateOk("/p/", mode: CreateMode.PersistentSequential));
        Assert.Equal("/p/.0000000001", h.CreateOk("/p/.", mode: CreateMode.PersistentSequential));
    }

    [Fact]
    public void Node_exists_comes_before_ephemeral_parent_and_validation_before_both()
    {
        var h = new TreeHarness();
        h.CreateOk("/a");
        Assert.Equal(ErrorCode.NodeExists, PrepareCreate(h, "/a"));
        h.CreateOk("/eph", mode: CreateMode.Ephemeral);
        Assert.Equal(ErrorCode.NodeExists, PrepareCreate(h, "/eph"));
        Assert.Equal(ErrorCode.NoChildrenForEphemerals, PrepareCreate(h, "/eph/child"));
        Assert.Equal(ErrorCode.NoChildrenForEphemerals, PrepareCreate(h, "/eph/seq-", CreateMode.PersistentSequential));
        Assert.Equal(ErrorCode.BadArguments, PrepareCreate(h, "/eph/.."));
    }

    [Fact]
    public void Reserved_nodes_cannot_be_created()
    {
        var h = new TreeHarness();
        Assert.Equal(ErrorCode.NodeExists, PrepareCreate(h, "/zookeeper"));
        Assert.Equal(ErrorCode.NodeExists, PrepareCreate(h, "/zookeeper/quota"));
        Assert.Equal(ErrorCode.NodeExists, PrepareCreate(h, "/zookeeper/config"));
    }

    [Fact]
    public void Sequential_suffix_is_the_parents_stored_cversion()
    {
        var h = new TreeHarness();
        h.CreateOk("/q");
        Assert.Equal("/q/lock-0000000000", h.CreateOk("/q/lock-", mode: CreateMode.EphemeralSequential));
        h.CreateOk("/q/other");
        Assert.Equal(ErrorCode.Ok, h.Delete("/q/other"));
        Assert.Equal(ErrorCode.Ok, h.Delete("/q/lock-0000000000"));

        // Two creates happened; deletes do not count. Clients see cversion 2*2-0 = 4, the name uses 2.
        Assert.Equal(4, h.StatOf("/q").Cversion);
        Assert.Equal("/q/lock-0000000002", h.CreateOk("/q/lock-", mode: CreateMode.PersistentSequential));
    }

    [Fact]
    public void Sequential_suffix_wraps_past_int_max_like_java()
    {
        var h = new TreeHarness();
        h.CreateOk("/w");

        // A child create txn carries the parent's new stored cversion; start just below the wrap.
        h.ApplyRaw(new CreateTxn("/w/seed", [], Acl.OpenAclUnsafe, 0, int.MaxValue, OpCode.Create));
        Assert.Equal("/w/n2147483647", h.CreateOk("/w/n", mode: CreateMode.PersistentSequential));
        Assert.Equal("/w/n-2147483648", h.CreateOk("/w/n", mode: CreateMode.PersistentSequential));
        Assert.Equal("/w/n-2147483647", h.CreateOk("/w/n", mode: CreateMode.PersistentSequential));
    }

    [Fact]
    public void Sequential_suffix_of_a_small_negative_cversion_is_padded_like_java_percent_010d()
    {
        // ZooKeeper formats with String.format("%010d"): the width of 10 includes the sign, so -6 is "-000000006".
        var h = new TreeHarness();
        h.CreateOk("/w");
        h.ApplyRaw(new CreateTxn("/w/seed", [], Acl.OpenAclUnsafe, 0, -6, OpCode.Create));
        Assert.Equal("/w/n-000000006", h.CreateOk("/w/n", mode: CreateMode.PersistentSequential));
    }

    [Fact]
    public void Create_stores_the_owner_for_each_mode()
    {
        var h = new TreeHarness();
        h.CreateOk("/p", mode: CreateMode.Persistent);
        h.CreateOk("/e", mode: CreateMode.Ephemeral, session: TreeHarness.SessionB);
        h.CreateOk("/c", mode: CreateMode.Container);
        var (err, _) = h.Write(OpCode.CreateTtl, new CreateTtlRequest("/t", [], Acl.OpenAclUnsafe, (int)CreateMode.PersistentWithTtl, 5000));
        Assert.Equal(ErrorCode.Ok, err);

        Assert.Equal(0, h.Tree.Get("/p")!.EphemeralOwner);
        Assert.Equal(TreeHarness.SessionB, h.Tree.Get("/e")!.EphemeralOwner);
        Assert.Equal(EphemeralOwners.Container, h.Tree.Get("/c")!.EphemeralOwner);
        Assert.Equal(EphemeralOwners.ForTtl(5000), h.Tree.Get("/t")!.EphemeralOwner);
        Assert.Equal(0, h.StatOf("/c").EphemeralOwner);
        Assert.Equal(0, h.StatOf("/t").EphemeralOwner);
        Assert.Equal(["/c"], h.Tree.Containers);
        Assert.Equal(["/t"], h.Tree.TtlNodes);
    }

    [Fact]
    public void CreateContainer_requires_the_container_flag()
    {
        var h = new TreeHarness();
        Assert.Equal(ErrorCode.BadArguments, h.Prepare(OpCode.CreateContainer, new CreateRequest("/c", [], Acl.OpenAclUnsafe, 0)).Err);
        Assert.True(h.Prepare(OpCode.CreateContainer, new CreateRequest("/c", [], Acl.OpenAclUnsafe, (int)CreateMode.Container)).Succeeded);
    }

    // ---- delete: order of checks ----

    [Theory]
    [InlineData("/")]
    [InlineData("/zookeeper")]
    [InlineData("/zookeeper/quota")]
    [InlineData("/zookeeper/config")]
    [InlineData("no-slash")]
    [InlineData("/a\0")]
    public void Delete_of_a_special_or_malformed_path_is_bad_arguments(string path)
    {
        var h = new TreeHarness();
        Assert.Equal(ErrorCode.BadArguments, h.Delete(path));
    }

    [Fact]
    public void Delete_checks_parent_then_permission_then_node_then_version_then_children()
    {
        var h = new TreeHarness();
        Assert.Equal(ErrorCode.NoNode, h.Delete("/missing/child"));

        h.CreateOk("/locked", acl: AllBut(Perms.Delete));
        Assert.Equal(ErrorCode.NoAuth, h.Delete("/locked/missing"));

        h.CreateOk("/open");
        Assert.Equal(ErrorCode.NoNode, h.Delete("/open/missing", version: 5));

        h.CreateOk("/open/full");
        h.CreateOk("/open/full/child");
        Assert.Equal(ErrorCode.BadVersion, h.Delete("/open/full", version: 3));
        Assert.Equal(ErrorCode.NotEmpty, h.Delete("/open/full", version: 0));
        Assert.Equal(ErrorCode.NotEmpty, h.Delete("/open/full"));
    }

    [Fact]
    public void Delete_permission_is_checked_on_the_parent_not_the_node()
    {
        var h = new TreeHarness();
        h.CreateOk("/parent");
        h.CreateOk("/parent/undeletable-acl", acl: AllBut(Perms.Delete));
        Assert.Equal(ErrorCode.Ok, h.Delete("/parent/undeletable-acl"));
    }

    [Fact]
    public void SetData_and_SetAcl_check_path_node_permission_and_version()
    {
        var h = new TreeHarness();
        Assert.Equal(ErrorCode.BadArguments, h.SetData("/bad/", []));
        Assert.Equal(ErrorCode.NoNode, h.SetData("/missing", []));
        h.CreateOk("/ro", acl: AllBut(Perms.Write));
        Assert.Equal(ErrorCode.NoAuth, h.SetData("/ro", [1], version: 99));
        h.CreateOk("/n");
        Assert.Equal(ErrorCode.BadVersion, h.SetData("/n", [1], version: 1));
        Assert.Equal(ErrorCode.Ok, h.SetData("/n", [1], version: 0));

        Assert.Equal(ErrorCode.InvalidAcl, h.SetAcl("/missing", []));
        Assert.Equal(ErrorCode.NoNode, h.SetAcl("/missing", Acl.OpenAclUnsafe));
        h.CreateOk("/noadmin", acl: AllBut(Perms.Admin));
        Assert.Equal(ErrorCode.NoAuth, h.SetAcl("/noadmin", Acl.OpenAclUnsafe));
        Assert.Equal(ErrorCode.BadVersion, h.SetAcl("/n", Acl.ReadAclUnsafe, version: 1));
        Assert.Equal(ErrorCode.Ok, h.SetAcl("/n", Acl.ReadAclUnsafe, version: 0));
    }

    // ---- the outstanding-change window ----

    [Fact]
    public void Create_under_a_parent_whose_create_is_not_yet_applied_succeeds()
    {
        var h = new TreeHarness();
        Assert.True(h.Prepare(OpCode.Create, new CreateRequest("/a", [], Acl.OpenAclUnsafe, 0)).Succeeded);
        Assert.True(h.Prepare(OpCode.Create, new CreateRequest("/a/b", [], Acl.OpenAclUnsafe, 0)).Succeeded);
        Assert.True(h.Prepare(OpCode.Create, new CreateRequest("/a/b/c", [], Acl.OpenAclUnsafe, 0)).Succeeded);
        Assert.Null(h.Tree.Get("/a"));
        Assert.Equal(ErrorCode.NodeExists, h.Prepare(OpCode.Create, new CreateRequest("/a/b", [], Acl.OpenAclUnsafe, 0)).Err);

        h.ApplyAll();
        Assert.NotNull(h.Tree.Get("/a/b/c"));
        Assert.Equal(0, h.Preparer.OutstandingCount);
    }

    [Fact]
    public void Delete_then_create_of_the_same_path_within_the_window()
    {
        var h = new TreeHarness();
        h.CreateOk("/x", [1]);
        Assert.True(h.Prepare(OpCode.Delete, new DeleteRequest("/x", -1)).Succeeded);
        Assert.Equal(ErrorCode.NoNode, h.Prepare(OpCode.SetData, new SetDataRequest("/x", [2], -1)).Err);
        Assert.True(h.Prepare(OpCode.Create, new CreateRequest("/x", [3], Acl.OpenAclUnsafe, 0)).Succeeded);
        Assert.Equal(ErrorCode.NodeExists, h.Prepare(OpCode.Create, new CreateRequest("/x", [4], Acl.OpenAclUnsafe, 0)).Err);

        // The recreated node starts at version 0.
        Assert.Equal(ErrorCode.BadVersion, h.Prepare(OpCode.SetData, new SetDataRequest("/x", [5], 1)).Err);

        h.ApplyAll();
        Assert.Equal([3], h.Tree.Get("/x")!.Data);
        Assert.Equal(0, h.Preparer.OutstandingCount);
    }

    [Fact]
    public void Versions_and_sequence_numbers_advance_within_the_window()
    {
        var h = new TreeHarness();
        h.CreateOk("/v");
        Assert.True(h.Prepare(OpCode.SetData, new SetDataRequest("/v", [1], 0)).Succeeded);
        Assert.True(h.Prepare(OpCode.SetData, new SetDataRequest("/v", [2], 1)).Succeeded);
        Assert.Equal(ErrorCode.BadVersion, h.Prepare(OpCode.SetData, new SetDataRequest("/v", [3], 1)).Err);

        var first = h.Prepare(OpCode.Create, new CreateRequest("/v/s-", [], Acl.OpenAclUnsafe, (int)CreateMode.PersistentSequential));
        var second = h.Prepare(OpCode.Create, new CreateRequest("/v/s-", [], Acl.OpenAclUnsafe, (int)CreateMode.PersistentSequential));
        Assert.Equal("/v/s-0000000000", ((CreateTxn)first.Body!).Path);
        Assert.Equal("/v/s-0000000001", ((CreateTxn)second.Body!).Path);

        // The parent is not empty in the window, so its delete is refused.
        Assert.Equal(ErrorCode.NotEmpty, h.Prepare(OpCode.Delete, new DeleteRequest("/v", -1)).Err);

        h.ApplyAll();
        Assert.Equal(2, h.StatOf("/v").Version);
        Assert.Equal(2, h.StatOf("/v").NumChildren);
    }

    [Fact]
    public void A_failed_multi_leaves_no_outstanding_changes()
    {
        var h = new TreeHarness();
        var multi = new MultiRequest(
        [
            new MultiOp(OpCode.Create, new CreateRequest("/m", [], Acl.OpenAclUnsafe, 0)),
            new MultiOp(OpCode.Create, new CreateRequest("/m/c", [], Acl.OpenAclUnsafe, 0)),
            new MultiOp(OpCode.Delete, new DeleteRequest("/nope", -1)),
            new MultiOp(OpCode.Create, new CreateRequest("/after", [], Acl.OpenAclUnsafe, 0)),
        ]);
        var prep = h.Prepare(OpCode.Multi, multi);
        Assert.False(prep.Succeeded);
        Assert.Equal(ErrorCode.Ok, prep.Err);
        Assert.Equal(
            [ErrorCode.Ok, ErrorCode.Ok, ErrorCode.NoNode, ErrorCode.RuntimeInconsistency],
            prep.MultiResults!.Select(r => r.Err).ToArray());
        Assert.All(prep.MultiResults!, r => Assert.Equal(OpCode.Error, r.Type));

        Assert.Equal(ErrorCode.NoNode, h.Prepare(OpCode.Create, new CreateRequest("/m/c", [], Acl.OpenAclUnsafe, 0)).Err);
        Assert.True(h.Prepare(OpCode.Create, new CreateRequest("/m", [], Acl.OpenAclUnsafe, 0)).Succeeded);
        h.ApplyAll();
        Assert.Equal(0, h.StatOf("/m").Cversion);
    }

    [Fact]
    public void A_multi_sees_its_own_earlier_ops()
    {
        var h = new TreeHarness();
        var multi = new MultiRequest(
        [
            new MultiOp(OpCode.Create, new CreateRequest("/m", [], Acl.OpenAclUnsafe, 0)),
            new MultiOp(OpCode.SetData, new SetDataRequest("/m", [1], 0)),
            new MultiOp(OpCode.Check, new CheckVersionRequest("/m", 1)),
            new MultiOp(OpCode.Create, new CreateRequest("/m/c", [], Acl.OpenAclUnsafe, 0)),
            new MultiOp(OpCode.Delete, new DeleteRequest("/m/c", 0)),
        ]);
        var (err, _) = h.Write(OpCode.Multi, multi);
        Assert.Equal(ErrorCode.Ok, err);
        Assert.Equal(1, h.StatOf("/m").Version);
        Assert.Null(h.Tree.Get("/m/c"));
    }

    [Fact]
    public void Multi_rejects_read_ops()
    {
        var h = new TreeHarness();
        var prep = h.Prepare(OpCode.Multi, new MultiRequest([new MultiOp(OpCode.GetData, new PathWatchRequest("/", false))]));
        Assert.Equal(ErrorCode.MarshallingError, prep.MultiResults!.Single().Err);
    }

    [Fact]
    public void CloseSession_in_the_window_deletes_pending_ephemerals_too()
    {
        var h = new TreeHarness();
        h.OpenSession(TreeHarness.SessionA);
        h.CreateOk("/applied-eph", mode: CreateMode.Ephemeral);
        Assert.True(h.Prepare(OpCode.Create, new CreateRequest("/pending-eph", [], Acl.OpenAclUnsafe, (int)CreateMode.Ephemeral)).Succeeded);
        Assert.True(h.Prepare(OpCode.CloseSession, null).Succeeded);

        // Both paths are free again in the window.
        Assert.True(h.Prepare(OpCode.Create, new CreateRequest("/applied-eph", [], Acl.OpenAclUnsafe, 0), session: TreeHarness.SessionB).Succeeded);
        Assert.True(h.Prepare(OpCode.Create, new CreateRequest("/pending-eph", [], Acl.OpenAclUnsafe, 0), session: TreeHarness.SessionB).Succeeded);
        h.ApplyAll();
        Assert.Equal(0, h.Tree.Get("/applied-eph")!.EphemeralOwner);
        Assert.Equal(0, h.Tree.Get("/pending-eph")!.EphemeralOwner);
        Assert.Empty(h.Tree.EphemeralsOf(TreeHarness.SessionA));
    }

    [Fact]
    public void Reset_forgets_the_window()
    {
        var h = new TreeHarness();
        Assert.True(h.Prepare(OpCode.Create, new CreateRequest("/a", [], Acl.OpenAclUnsafe, 0)).Succeeded);
        Assert.Equal(2, h.Preparer.OutstandingCount);
        h.Preparer.Reset();
        Assert.Equal(0, h.Preparer.OutstandingCount);
        Assert.Equal(ErrorCode.NoNode, h.Preparer.Prepare(OpCode.Create, new CreateRequest("/a/b", [], Acl.OpenAclUnsafe, 0), TreeHarness.SessionA, TreeHarness.Anonymous, 99).Err);
    }
}

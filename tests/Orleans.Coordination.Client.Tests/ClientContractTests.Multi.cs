using Orleans.Coordination.Protocol;

namespace Orleans.Coordination.Client.Tests;

public abstract partial class ClientContractTests
{
    [Fact]
    public async Task Multi_applies_every_operation_and_returns_typed_results()
    {
        await Within(Client.CreateAsync(P("doomed"), null));
        await Within(Client.CreateAsync(P("checked"), B("c")));
        var results = await Within(Client.Transaction()
            .Create(P("made"), B("m"))
            .Create(P("seq-"), null, CreateMode.PersistentSequential)
            .Create(P("box"), null, CreateMode.Container)
            .SetData(P("checked"), B("c2"), version: 0)
            .Check(P("checked"), version: 1)
            .Delete(P("doomed"))
            .CommitAsync());

        Assert.Equal(6, results.Count);
        Assert.Equal(P("made"), Assert.IsType<OpResult.Create>(results[0]).Path);
        Assert.Equal(P("seq-0000000003"), Assert.IsType<OpResult.Create>(results[1]).Path);
        var box = Assert.IsType<OpResult.Create>(results[2]);
        Assert.Equal(P("box"), box.Path);
        Assert.Equal(1, Assert.IsType<OpResult.SetData>(results[3]).Stat.Version);
        Assert.IsType<OpResult.Check>(results[4]);
        Assert.IsType<OpResult.Delete>(results[5]);

        Assert.Equal("m", S((await Within(Client.GetDataAsync(P("made")))).Data));
        Assert.Null(await Within(Client.ExistsAsync(P("doomed"))));
        // One transaction, one zxid.
        var made = await Within(Client.ExistsAsync(P("made")));
        var set = await Within(Client.ExistsAsync(P("checked")));
        Assert.Equal(made!.Value.Czxid, set!.Value.Mzxid);
    }

    [Fact]
    public async Task Multi_failure_applies_nothing_and_reports_the_failing_operation()
    {
        await Within(Client.CreateAsync(P("existing"), B("v")));
        var failure = await Assert.ThrowsAsync<BadVersionException>(() => Client.MultiAsync(
        [
            new Op.Create(P("new1")),
            new Op.SetData(P("existing"), B("w")),
            new Op.Check(P("existing"), 5),
            new Op.Create(P("new2")),
        ]));
        Assert.Equal(2, failure.FailedOperationIndex);
        Assert.Equal(P("existing"), failure.Path);
        Assert.Equal(ErrorCode.BadVersion, failure.Code);
        Assert.NotNull(failure.OperationResults);
        Assert.Equal(
            [ErrorCode.Ok, ErrorCode.Ok, ErrorCode.BadVersion, ErrorCode.RuntimeInconsistency],
            failure.OperationResults.Select(r => Assert.IsType<OpResult.Error>(r).Code));

        Assert.Null(await Within(Client.ExistsAsync(P("new1"))));
        Assert.Null(await Within(Client.ExistsAsync(P("new2"))));
        var data = await Within(Client.GetDataAsync(P("existing")));
        Assert.Equal("v", S(data.Data));
        Assert.Equal(0, data.Stat.Version);

        var exists = await Assert.ThrowsAsync<NodeExistsException>(() => Client.Transaction().Create(P("x")).Create(P("existing")).CommitAsync());
        Assert.Equal(1, exists.FailedOperationIndex);
        Assert.Null(await Within(Client.ExistsAsync(P("x"))));
    }

    [Fact]
    public async Task MultiRead_returns_values_and_per_operation_errors()
    {
        await Within(Client.CreateAsync(P("r"), B("data")));
        await Within(Client.CreateAsync(P("r/c1"), null));
        await Within(Client.CreateAsync(P("r/c2"), null));
        var results = await Within(Client.MultiReadAsync(
        [
            new Op.GetData(P("r")),
            new Op.GetChildren(P("r")),
            new Op.GetData(P("missing")),
        ]));

        var data = Assert.IsType<OpResult.GetData>(results[0]);
        Assert.Equal("data", S(data.Data));
        Assert.Equal(2, data.Stat.NumChildren);
        Assert.Equal(["c1", "c2"], Assert.IsType<OpResult.GetChildren>(results[1]).Children.Order());
        Assert.Equal(ErrorCode.NoNode, Assert.IsType<OpResult.Error>(results[2]).Code);
        await Assert.ThrowsAsync<ArgumentException>(() => Client.MultiReadAsync([new Op.Delete(P("r"))]));
    }

    [Fact]
    public async Task Chroot_prefixes_requests_and_strips_results_and_events()
    {
        await Within(Client.CreateAsync(P("app"), null));
        var rooted = await ConnectAsync(chroot: P("app"));
        Assert.Equal(P("app"), rooted.Chroot);

        Assert.Equal("/config", await Within(rooted.CreateAsync("/config", B("c"))));
        Assert.Equal("c", S((await Within(Client.GetDataAsync(P("app/config")))).Data));
        Assert.Equal(["config"], await Within(rooted.GetChildrenAsync("/")));

        var seq = await Within(rooted.CreateWithStatAsync("/lock-", null, mode: CreateMode.EphemeralSequential));
        Assert.Equal("/lock-0000000001", seq.Path);
        Assert.Equal(["/lock-0000000001"], await Within(rooted.GetEphemeralsAsync()));

        var watched = await Within(rooted.WatchDataAsync("/config"));
        await using var recursive = await Within(rooted.AddWatchAsync("/", AddWatchMode.PersistentRecursive));
        await Within(Client.SetDataAsync(P("app/config"), B("d")));
        Assert.Equal(new WatchEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, "/config"), await Within(watched.Changed));
        Assert.Equal("/config", (await recursive.ReadAsync().AsTask().WaitAsync(Timeout)).Path);

        var multi = await Within(rooted.Transaction().Create("/m", null).CommitAsync());
        Assert.Equal("/m", Assert.IsType<OpResult.Create>(multi[0]).Path);
        Assert.Equal("/m", (await recursive.ReadAsync().AsTask().WaitAsync(Timeout)).Path);
        await Within(rooted.SyncAsync("/"));
        Assert.NotNull(await Within(rooted.ExistsAsync("/")));
    }
}

using System.Text;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Server.Configuration;
using Orleans.Coordination.Server.Tests.TestSupport;

namespace Orleans.Coordination.Server.Tests;

/// <summary>/zookeeper/config: the ensemble's member list in Apache ZooKeeper's format; empty on a standalone silo.</summary>
public sealed class ZooKeeperConfigTests
{
    [Fact]
    public void The_text_is_one_server_line_per_member_in_id_order_then_the_version()
    {
        var members = new[]
        {
            EnsembleMemberOptions.Parse("3=10.0.0.3:2888:3888:observer"),
            EnsembleMemberOptions.Parse("1=10.0.0.1:2888:3888;2181"),
            new EnsembleMemberOptions(2, "::1", 2890, 3890, EnsembleRole.Voter, 2182),
        };
        Assert.Equal(
            "server.1=10.0.0.1:2888:3888:participant;0.0.0.0:2181\n"
            + "server.2=[::1]:2890:3890:participant;0.0.0.0:2182\n"
            + "server.3=10.0.0.3:2888:3888:observer\n"
            + "version=100000000",
            ZooKeeperConfigText.Format(members, 0x100000000));
    }

    [Fact]
    public void An_ensemble_gets_version_0_and_a_standalone_silo_nothing()
    {
        var three = new EnsembleOptions
        {
            Members = [.. Enumerable.Range(1, 3).Select(i => new EnsembleMemberOptions(i, "127.0.0.1", 2890 + i, 3890 + i))],
        };
        Assert.Equal(
            "server.1=127.0.0.1:2891:3891:participant\nserver.2=127.0.0.1:2892:3892:participant\nserver.3=127.0.0.1:2893:3893:participant\nversion=0",
            Encoding.UTF8.GetString(ZooKeeperConfigText.For(three)!));
        Assert.Null(ZooKeeperConfigText.For(new EnsembleOptions()));
        Assert.Null(ZooKeeperConfigText.For(new EnsembleOptions { Members = [new EnsembleMemberOptions(1, "127.0.0.1", 2891, 3891)] }));
    }

    [Fact]
    public async Task A_standalone_silo_keeps_zookeeper_config_empty()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        var get = await c.GetDataAsync("/zookeeper/config");
        Assert.Equal(ErrorCode.Ok, get.Err);
        var r = get.Read<GetDataResponse>();
        Assert.Equal([], r.Data ?? []);
        Assert.Equal(new Stat(0, 0, 0, 0, 0, 0, -1, 0, 0, 0, 0), r.Stat);
    }

    [Fact]
    public async Task Every_silo_of_an_ensemble_returns_the_same_member_list_and_stat_and_digest()
    {
        await using var e = await TestEnsemble.StartAsync(3);
        var expected = ZooKeeperConfigText.For(e[1].Options.Ensemble)!;
        foreach (var id in e.Running)
        {
            await using var c = await RawClient.ConnectAsync(e.PortOf(id));
            var get = await c.GetDataAsync("/zookeeper/config");
            Assert.Equal(ErrorCode.Ok, get.Err);
            var r = get.Read<GetDataResponse>();
            Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(r.Data!));
            Assert.Equal(new Stat(0, 0, 0, 0, -1, 0, -1, 0, expected.Length, 0, 0), r.Stat);
        }

        // The node is outside the digest: the silos still converge to one digest (WaitConvergedAsync compares them).
        await e.WaitConvergedAsync();
    }
}

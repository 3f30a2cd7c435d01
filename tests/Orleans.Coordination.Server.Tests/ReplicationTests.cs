using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Server.Tests.TestSupport;

namespace Orleans.Coordination.Server.Tests;

/// <summary>
/// Three silos in this process replicating over loopback: what a client sees from whichever silo it is connected to.
/// </summary>
public sealed class ReplicationTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static async Task<int> FollowerAsync(TestEnsemble e)
    {
        var leader = await e.LeaderAsync();
        return e.Running.First(i => i != leader);
    }

    private static async Task<Reply> SyncAsync(RawClient c, string path = "/") => await c.CallAsync(OpCode.Sync, new PathRecord(path));

    [Fact]
    public async Task One_silo_leads_and_the_others_follow()
    {
        await using var e = await TestEnsemble.StartAsync(3);
        var leader = await e.LeaderAsync();
        var views = await Task.WhenAll(e.Running.Select(e.ViewAsync));
        Assert.Single(views, v => v.Mode == "leader");
        Assert.Equal(2, views.Count(v => v.Mode == "follower"));
        Assert.All(views, v => Assert.Equal(leader, v.LeaderId));
        Assert.All(views, v => Assert.Equal(views[0].Epoch, v.Epoch));
        Assert.Equal(3, views.Single(v => v.Mode == "leader").SyncedVoters);
    }

    [Fact]
    public async Task A_write_through_a_follower_is_visible_on_every_silo_after_sync()
    {
        await using var e = await TestEnsemble.StartAsync(3);
        var follower = await FollowerAsync(e);
        await using var writer = await RawClient.ConnectAsync(e.PortOf(follower));
        await writer.CreateOkAsync("/via-follower", ClientOps.Bytes("v1"));
        var set = await writer.SetDataAsync("/via-follower", ClientOps.Bytes("v2"), 0);
        Assert.Equal(ErrorCode.Ok, set.Err);
        Assert.Equal(1, set.Read<StatResponse>().Stat.Version);

        foreach (var id in e.Running)
        {
            await using var reader = await RawClient.ConnectAsync(e.PortOf(id));
            Assert.Equal(ErrorCode.Ok, (await SyncAsync(reader)).Err);
            var get = await reader.GetDataAsync("/via-follower");
            Assert.Equal(ErrorCode.Ok, get.Err);
            Assert.Equal(ClientOps.Bytes("v2"), get.Read<GetDataResponse>().Data);
        }
    }

    [Fact]
    public async Task A_follower_answers_failed_writes_with_the_error_the_leader_found()
    {
        await using var e = await TestEnsemble.StartAsync(3);
        var leader = await e.LeaderAsync();
        var follower = e.Running.First(i => i != leader);
        await using var f = await RawClient.ConnectAsync(e.PortOf(follower));
        await using var l = await RawClient.ConnectAsync(e.PortOf(leader));
        await f.CreateOkAsync("/exists");

        Assert.Equal(ErrorCode.NodeExists, (await f.CreateAsync("/exists")).Err);
        Assert.Equal(ErrorCode.NoNode, (await f.CreateAsync("/missing/child")).Err);
        Assert.Equal(ErrorCode.BadVersion, (await f.SetDataAsync("/exists", [], 7)).Err);
        Assert.Equal(ErrorCode.NoNode, (await f.DeleteAsync("/missing")).Err);

        // A failed multi reports the same per-op results through a follower as on the leader, and applies nothing.
        MultiRequest Multi() => new([
            new MultiOp(OpCode.Create, new CreateRequest("/m-new", [], Acl.OpenAclUnsafe, 0)),
            new MultiOp(OpCode.Create, new CreateRequest("/exists", [], Acl.OpenAclUnsafe, 0)),
        ]);
        var viaFollower = await f.CallAsync(OpCode.Multi, Multi());
        var viaLeader = await l.CallAsync(OpCode.Multi, Multi());
        Assert.Equal(ErrorCode.Ok, viaFollower.Err);
        var fr = viaFollower.Read<MultiResponse>().Results.Select(r => r.Err).ToList();
        var lr = viaLeader.Read<MultiResponse>().Results.Select(r => r.Err).ToList();
        Assert.Equal(lr, fr);
        Assert.Contains(ErrorCode.NodeExists, fr);
        Assert.False(await f.NodeExistsAsync("/m-new"));

        // The connection stays healthy after errors.
        await f.AssertHealthyAsync("/after-errors");
    }

    [Fact]
    public async Task Requests_on_a_follower_are_answered_in_order_with_replies_zxids_never_going_back()
    {
        await using var e = await TestEnsemble.StartAsync(3);
        var follower = await FollowerAsync(e);
        await using var c = await RawClient.ConnectAsync(e.PortOf(follower));
        var xids = new List<int>();
        for (var i = 0; i < 50; i++)
        {
            xids.Add(await c.SendAsync(OpCode.Create, new CreateRequest($"/o{i}", [], Acl.OpenAclUnsafe, 0)));
            xids.Add(await c.SendAsync(OpCode.Exists, new PathWatchRequest($"/o{i}", false)));
        }

        long lastZxid = 0;
        foreach (var xid in xids)
        {
            var r = await c.ReadReplyAsync(Wait);
            Assert.Equal(xid, r.Xid);
            Assert.Equal(ErrorCode.Ok, r.Err);
            Assert.True(r.Zxid >= lastZxid, $"reply zxid 0x{r.Zxid:x} after 0x{lastZxid:x}");
            lastZxid = r.Zxid;
        }
    }

    [Fact]
    public async Task A_session_created_on_a_follower_is_global_and_moves_between_silos()
    {
        await using var e = await TestEnsemble.StartAsync(3);
        var leader = await e.LeaderAsync();
        var follower = e.Running.First(i => i != leader);
        var other = e.Running.First(i => i != leader && i != follower);
        var c = await RawClient.ConnectAsync(e.PortOf(follower));
        await c.CreateOkAsync("/eph", mode: CreateMode.Ephemeral);
        var (sessionId, passwd, seen) = (c.SessionId, c.Passwd, c.LastZxid);
        await using (var l = await RawClient.ConnectAsync(e.PortOf(leader)))
        {
            await SyncAsync(l);
            var stat = (await l.ExistsAsync("/eph")).Read<StatResponse>().Stat;
            Assert.Equal(sessionId, stat.EphemeralOwner);
        }

        // The client moves to another silo with its session: the ephemeral stays.
        await c.DisposeAsync();
        var (moved, hs) = await RawClient.ReattachAsync(e.PortOf(other), sessionId, passwd, lastZxid: seen);
        await using (moved)
        {
            Assert.Equal(sessionId, hs.Response.SessionId);
            Assert.True(hs.Response.TimeOut > 0, "the session was not accepted by another silo");
            Assert.True(await moved.NodeExistsAsync("/eph"));

            // Closing it there removes the ephemeral everywhere.
            var close = await moved.CallAsync(OpCode.CloseSession, null);
            Assert.Equal(ErrorCode.Ok, close.Err);
        }

        await e.WaitConvergedAsync();
        foreach (var id in e.Running)
        {
            await using var r = await RawClient.ConnectAsync(e.PortOf(id));
            Assert.False(await r.NodeExistsAsync("/eph"), $"silo {id} still has the closed session's ephemeral");
        }
    }

    [Fact]
    public async Task The_leader_expires_a_session_held_on_a_follower_once_its_client_goes_quiet()
    {
        await using var e = await TestEnsemble.StartAsync(3, o => o.TickTime = 100);
        var follower = await FollowerAsync(e);
        await using var quiet = await RawClient.ConnectAsync(e.PortOf(follower), timeoutMs: 300);
        await quiet.CreateOkAsync("/quiet", mode: CreateMode.Ephemeral);

        // A client that keeps pinging through a follower keeps its session: the follower reports it to the leader.
        await using var busy = await RawClient.ConnectAsync(e.PortOf(follower), timeoutMs: 300);
        await busy.CreateOkAsync("/busy", mode: CreateMode.Ephemeral);
        await using var observer = await RawClient.ConnectAsync(e.PortOf(await e.LeaderAsync()));
        await ClientOps.EventuallyAsync(
            async () =>
            {
                await busy.PingAsync();
                return !await observer.NodeExistsAsync("/quiet");
            },
            Wait,
            "the quiet session's ephemeral to disappear on the leader",
            pollMs: 50);
        Assert.True(await observer.NodeExistsAsync("/busy"), "a session that kept pinging a follower expired");
    }

    [Fact]
    public async Task When_the_leader_dies_another_takes_over_and_acknowledged_writes_survive()
    {
        await using var e = await TestEnsemble.StartAsync(3);
        var leader = await e.LeaderAsync();
        var follower = e.Running.First(i => i != leader);
        await using (var c = await RawClient.ConnectAsync(e.PortOf(leader)))
        {
            for (var i = 0; i < 20; i++)
            {
                await c.CreateOkAsync($"/before-{i}");
            }
        }

        var oldEpoch = (await e.ViewAsync(follower)).Epoch;
        await e.KillSiloAsync(leader);
        var next = await e.LeaderAsync();
        Assert.NotEqual(leader, next);
        Assert.True((await e.ViewAsync(next)).Epoch > oldEpoch, "the new leader did not start a new epoch");
        await using (var c = await RawClient.ConnectAsync(e.PortOf(follower)))
        {
            for (var i = 0; i < 20; i++)
            {
                Assert.True(await c.NodeExistsAsync($"/before-{i}"), $"/before-{i} was lost");
            }

            await c.CreateOkAsync("/after");
        }

        // The old leader comes back as a follower and catches up.
        await e.StartSiloAsync(leader);
        await e.WaitServingAsync([leader]);
        Assert.Equal("follower", (await e.ViewAsync(leader)).Mode);
        await e.WaitConvergedAsync();
        await using var back = await RawClient.ConnectAsync(e.PortOf(leader));
        Assert.True(await back.NodeExistsAsync("/after"));
    }

    [Fact]
    public async Task A_silo_cut_off_from_the_others_stops_serving_and_catches_up_after_healing()
    {
        await using var e = await TestEnsemble.StartAsync(3);
        var follower = await FollowerAsync(e);
        var others = e.Running.Where(i => i != follower).ToArray();
        await using var onIsolated = await RawClient.ConnectAsync(e.PortOf(follower));
        e[follower].Core.Links.Block(others);
        foreach (var o in others)
        {
            e[o].Core.Links.Block(follower);
        }

        await ClientOps.EventuallyAsync(async () => !(await e.ViewAsync(follower)).IsServing, Wait, "the isolated silo to stop serving");
        await Assert.ThrowsAnyAsync<Exception>(async () => await RawClient.ConnectAsync(e.PortOf(follower), timeoutMs: 5000));

        // The majority carries on.
        await using (var c = await RawClient.ConnectAsync(e.PortOf(others[0])))
        {
            await c.CreateOkAsync("/while-partitioned");
        }

        foreach (var id in e.Running)
        {
            e[id].Core.Links.Heal();
        }

        await e.WaitServingAsync([follower]);
        await e.WaitConvergedAsync();
        await using var again = await RawClient.ConnectAsync(e.PortOf(follower));
        Assert.True(await again.NodeExistsAsync("/while-partitioned"));
    }

    [Fact]
    public async Task A_lone_member_of_three_never_serves()
    {
        await using var e = await TestEnsemble.StartAsync(3);
        var leader = await e.LeaderAsync();
        foreach (var id in e.Running.Where(i => i != leader).ToList())
        {
            await e.KillSiloAsync(id);
        }

        await ClientOps.EventuallyAsync(async () => !(await e.ViewAsync(leader)).IsServing, Wait, "the leader without a quorum to stop serving");
        await Assert.ThrowsAnyAsync<Exception>(async () => await RawClient.ConnectAsync(e.PortOf(leader), timeoutMs: 5000));
        Assert.False((await e.ViewAsync(leader)).IsServing);
    }

    [Fact]
    public async Task A_follower_that_missed_more_than_the_retained_log_gets_a_snapshot()
    {
        await using var e = await TestEnsemble.StartAsync(3, o => o.SnapCount = 20);
        var leader = await e.LeaderAsync();
        var behind = e.Running.First(i => i != leader);
        await e.KillSiloAsync(behind);
        await using (var c = await RawClient.ConnectAsync(e.PortOf(leader)))
        {
            for (var i = 0; i < 150; i++)
            {
                await c.CreateOkAsync($"/snap-{i}", ClientOps.Bytes(new string('x', 100)));
            }
        }

        await e.StartSiloAsync(behind);
        await e.WaitServingAsync([behind]);
        await e.WaitConvergedAsync();
        Assert.Equal(1, (await e.ViewAsync(behind)).SnapshotsInstalled);
        await using var r = await RawClient.ConnectAsync(e.PortOf(behind));
        Assert.True(await r.NodeExistsAsync("/snap-149"));
        // The leader's snapshot carries an empty /zookeeper/config; the follower lays its own member list over it.
        var config = (await r.GetDataAsync("/zookeeper/config")).Read<GetDataResponse>();
        Assert.Equal(Configuration.ZooKeeperConfigText.For(e[behind].Options.Ensemble), config.Data);
        Assert.Equal(-1, config.Stat.Version);

        // And it recovers from what it stored: stop it, start it, it converges again.
        await e.KillSiloAsync(behind);
        await e.StartSiloAsync(behind);
        await e.WaitServingAsync([behind]);
        await e.WaitConvergedAsync();
    }
}

using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Server.Tests.TestSupport;
using Cluster = Orleans.Coordination.TestingHost.TestCluster;

namespace Orleans.Coordination.Server.Tests;

/// <summary>
/// The lastZxid rule on an ensemble member: a client that has seen a zxid the silo has not applied yet is not served
/// before the silo has it. A silo only a commit behind holds the handshake until it catches up (so a client whose silo
/// died does not bounce round its server list); one still behind after syncLimit ticks hangs up, as ZooKeeper does.
/// </summary>
public sealed class EnsembleHandshakeTests
{
    [Fact]
    public async Task A_handshake_from_a_client_one_zxid_ahead_is_answered_once_the_follower_applies_it()
    {
        await using var cluster = await Cluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Silos.First(s => s.Id != leader);
        var applied = (await follower.GetStatusAsync()).AppliedZxid;

        await using var ahead = await RawClient.OpenAsync(follower.ClientPort);
        await ahead.SendConnectAsync(new ConnectRequest(0, applied + 1, 10_000, 0, new byte[16], false));

        // Any later txn gives the follower zxid applied + 1: another client's write through the leader.
        await using var writer = await RawClient.ConnectAsync(cluster[leader].ClientPort);
        var created = await writer.CallAsync(OpCode.Create, new CreateRequest("/handshake-ahead", [1], Acl.OpenAclUnsafe, 0));
        Assert.Equal(ErrorCode.Ok, created.Err);

        var handshake = await ahead.ReadConnectResponseAsync(TimeSpan.FromSeconds(10));
        Assert.True(handshake.Response.TimeOut > 0, "the session was refused");
        Assert.NotEqual(0, handshake.Response.SessionId);
        Assert.True((await follower.GetStatusAsync()).AppliedZxid > applied);
    }

    [Fact]
    public async Task A_handshake_from_a_client_far_ahead_is_refused_by_closing_the_connection()
    {
        await using var cluster = await Cluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Silos.First(s => s.Id != leader);
        var applied = (await follower.GetStatusAsync()).AppliedZxid;

        await using var ahead = await RawClient.OpenAsync(follower.ClientPort);
        await ahead.SendConnectAsync(new ConnectRequest(0, applied + 1_000_000, 10_000, 0, new byte[16], false));
        await Assert.ThrowsAsync<ConnectionClosedException>(() => ahead.ReadConnectResponseAsync(TimeSpan.FromSeconds(10)));

        // The silo still serves a client that has seen nothing it lacks.
        await using var fine = await RawClient.ConnectAsync(follower.ClientPort);
        Assert.NotEqual(0, fine.SessionId);
    }
}

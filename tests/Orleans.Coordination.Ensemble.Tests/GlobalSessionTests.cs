using System.Collections.Concurrent;
using System.Diagnostics;
using Orleans.Coordination.Client;
using Orleans.Coordination.Ensemble.Tests.Infrastructure;
using Orleans.Coordination.Protocol;
using static Orleans.Coordination.Ensemble.Tests.Infrastructure.EnsembleChecks;

namespace Orleans.Coordination.Ensemble.Tests;

/// <summary>Sessions belong to the ensemble, not to the silo a client happens to be on.</summary>
[Collection(ThreeSiloCollection.Name)]
public sealed class GlobalSessionTests(ThreeSiloEnsemble ensemble, ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    /// <param name="killed">The silo the client is on: a follower, or the leader (the session must then survive the election).</param>
    [Theory]
    [InlineData("follower")]
    [InlineData("leader")]
    public Task ClientOfAKilledSilo_ReconnectsElsewhere_KeepingItsSessionAndItsEphemeral(string killed) => WithLogsOnFailureAsync(ensemble, output, async () =>
    {
        await ensemble.EnsureAllRunningAsync();
        var leader = await ensemble.LeaderAsync(Bound);
        var x = killed == "leader" ? leader : ensemble.Ids.First(i => i != leader);
        var root = $"/global-session-{Guid.NewGuid():N}";
        var sessionTimeout = TimeSpan.FromSeconds(10);
        var client = new CoordinationClient(new CoordinationClientOptions
        {
            ConnectionString = ensemble.ConnectionStringFrom(x),
            ShuffleHosts = false,
            SessionTimeout = sessionTimeout,
        });
        var states = new ConcurrentQueue<ConnectionState>();
        client.StateChanged += (_, e) => states.Enqueue(e.State);
        try
        {
            await client.ConnectAsync();
            Assert.Equal(ensemble.Port(x), client.CurrentServer?.Port);
            var sessionId = client.SessionId;
            await client.CreateAsync(root, null);
            var ephemeral = await client.CreateAsync($"{root}/eph", null, mode: CreateMode.Ephemeral);

            var watch = Stopwatch.StartNew();
            await ensemble.KillAsync(x);
            while (!(client.IsConnected && client.CurrentServer is { } s && s.Port != ensemble.Port(x)) && watch.Elapsed < sessionTimeout)
            {
                await Task.Delay(20);
            }

            var reconnectedAfter = watch.Elapsed;
            Assert.True(client.IsConnected, $"the client did not reconnect within the session timeout {sessionTimeout}; states: {string.Join(" -> ", states)}");
            var now = ensemble.IdOfPort(client.CurrentServer!.Port);
            output.WriteLine($"session 0x{sessionId:x} on s{x} (leader s{leader}); s{x} killed; reconnected to s{now} after {reconnectedAfter.TotalMilliseconds:F0} ms; states: {string.Join(" -> ", states)}");
            var newLeader = await ensemble.LeaderAsync(Bound);
            var observerSilo = ensemble.Ids.First(i => i != x && i != now);
            await using var observer = await ensemble.ConnectPinnedAsync(observerSilo);
            Assert.Equal(sessionId, client.SessionId);
            Assert.DoesNotContain(ConnectionState.Lost, states);

            var own = await client.ExistsAsync(ephemeral);
            Assert.Equal(sessionId, own?.EphemeralOwner);
            await client.CreateAsync($"{root}/eph-after-move", null, mode: CreateMode.Ephemeral);
            await observer.SyncAsync(root);
            Assert.Equal(sessionId, (await observer.ExistsAsync(ephemeral))?.EphemeralOwner);

            // The leader hears of the session only through the silo it moved to: it must still be alive after its timeout.
            await Task.Delay(sessionTimeout + TimeSpan.FromSeconds(2));
            await observer.SyncAsync(root);
            Assert.Equal(sessionId, (await observer.ExistsAsync(ephemeral))?.EphemeralOwner);
            Assert.Equal(sessionId, client.SessionId);
            Assert.DoesNotContain(ConnectionState.Lost, states);

            // Closing the moved session deletes its ephemerals at once.
            await client.DisposeAsync();
            var gone = await WaitGoneAsync(observer, ephemeral, Bound);
            output.WriteLine($"session closed on s{now}; ephemeral gone for the observer on s{observerSilo} (leader now s{newLeader}) after {Seconds(gone)}");
            Assert.NotEqual(TimeSpan.MaxValue, gone);
            Assert.Null(await observer.ExistsAsync($"{root}/eph-after-move"));
        }
        finally
        {
            await WriteLoad.DisposeQuietlyAsync(client);
        }

        await ensemble.StartOneAsync(x);
    });

    [Fact]
    public Task SessionOfAKilledSilo_ExpiresOnTheLeader_AndItsEphemeralIsDeleted() => WithLogsOnFailureAsync(ensemble, output, async () =>
    {
        await ensemble.EnsureAllRunningAsync();
        var leader = await ensemble.LeaderAsync(Bound);
        var y = ensemble.Ids.Last(i => i != leader);
        var root = $"/session-expiry-{Guid.NewGuid():N}";

        // Pinned to y, so it cannot move: once y is dead the session can only expire.
        var client = await ensemble.ConnectPinnedAsync(y, TimeSpan.FromSeconds(4));
        await using var observer = await ensemble.ConnectPinnedAsync(leader);
        try
        {
            await client.CreateAsync(root, null);
            var ephemeral = await client.CreateAsync($"{root}/eph", null, mode: CreateMode.Ephemeral);
            var negotiated = client.SessionTimeout;
            await observer.SyncAsync(root);
            Assert.Equal(client.SessionId, (await observer.ExistsAsync(ephemeral))?.EphemeralOwner);

            var watch = Stopwatch.StartNew();
            await ensemble.KillAsync(y);
            var bound = negotiated + TimeSpan.FromSeconds(15);
            var gone = await WaitGoneAsync(observer, ephemeral, bound);
            output.WriteLine($"session 0x{client.SessionId:x} (timeout {negotiated.TotalMilliseconds:F0} ms) on s{y}; s{y} killed; ephemeral gone for the observer on leader s{leader} after {Seconds(gone == TimeSpan.MaxValue ? gone : watch.Elapsed)}");
            Assert.True(gone != TimeSpan.MaxValue, $"the ephemeral of the dead silo's session was still there {bound} after the kill");

            // Every survivor agrees.
            foreach (var i in ensemble.Ids.Where(i => i != y))
            {
                Assert.Empty(await ReadTreeAsync(ensemble, i, root));
            }
        }
        finally
        {
            await WriteLoad.DisposeQuietlyAsync(client);
        }

        await ensemble.StartOneAsync(y);
    });

    /// <summary>Polls until <paramref name="path"/> does not exist; how long it took, or MaxValue on timeout.</summary>
    private static async Task<TimeSpan> WaitGoneAsync(CoordinationClient observer, string path, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (await observer.ExistsAsync(path) is null)
            {
                return watch.Elapsed;
            }

            await Task.Delay(50);
        }

        return TimeSpan.MaxValue;
    }
}

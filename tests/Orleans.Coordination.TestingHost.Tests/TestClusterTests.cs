using Orleans.Coordination.Client;

namespace Orleans.Coordination.TestingHost.Tests;

/// <summary>The cluster's failure controls, observed the way an application sees them: through the client.</summary>
public sealed class TestClusterTests
{
    [Fact]
    public async Task Three_silos_elect_one_leader_and_a_write_through_a_follower_is_readable_on_every_silo()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var statuses = await cluster.GetStatusAsync();
        Assert.Equal(["follower", "follower", "leader"], statuses.Select(s => s.Mode).Order());
        Assert.All(statuses, s => Assert.Equal(leader, s.Replication!.LeaderId));
        Assert.All(cluster.Silos, s => Assert.True(s.IsRunning));
        Assert.Equal(string.Join(",", cluster.Silos.Select(s => s.ClientEndpoint)), cluster.ConnectionString);

        var follower = cluster.Silos.First(s => s.Id != leader).Id;
        await using (var writer = await cluster.CreateClientAsync(o => o.ConnectionString = cluster.ConnectionStringFor(follower)))
        {
            await writer.CreateAsync("/greeting", ClientSteps.Bytes("hello"));
        }

        foreach (var silo in cluster.Silos)
        {
            Assert.Equal("hello", await ClientSteps.ReadOnSiloAsync(cluster, silo.Id, "/greeting"));
        }
    }

    [Fact]
    public async Task A_single_silo_runs_standalone_logs_where_told_and_its_data_directory_is_deleted_on_dispose()
    {
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var cluster = await new TestClusterBuilder(1).WithLogOutput(lines.Enqueue).CaptureLog(100).BuildAndStartAsync();
        await using (cluster)
        {
            Assert.Equal(1, await cluster.WaitForLeaderAsync());
            Assert.Equal("standalone", await cluster[1].GetModeAsync());
            await using var client = await cluster.CreateClientAsync();
            await client.CreateAsync("/solo", ClientSteps.Bytes("1"));
            Assert.Equal("1", ClientSteps.Text((await client.GetDataAsync("/solo")).Data));
            Assert.True(Directory.Exists(cluster[1].DataDirectory));
        }

        Assert.False(Directory.Exists(cluster.DataDirectory));
        Assert.Contains(lines, l => l.Contains(" s1 ", StringComparison.Ordinal) && l.Contains("serving clients", StringComparison.Ordinal));
        Assert.NotEmpty(cluster.CapturedLog);
    }

    [Fact]
    public async Task Killing_the_leader_elects_another_keeps_acknowledged_writes_and_the_client_carries_on()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await using var client = await cluster.CreateClientAsync();
        var session = client.SessionId;
        for (var i = 0; i < 20; i++)
        {
            await client.CreateAsync($"/before-{i}", ClientSteps.Bytes($"v{i}"));
        }

        var oldLeader = await cluster.WaitForLeaderAsync();
        await cluster.KillSiloAsync(oldLeader);
        Assert.False(cluster[oldLeader].IsRunning);
        Assert.Equal("stopped", await cluster[oldLeader].GetModeAsync());

        var newLeader = await cluster.WaitForLeaderAsync();
        Assert.NotEqual(oldLeader, newLeader);

        await ClientSteps.CreateSurvivingFailoverAsync(client, "/after", "x");
        for (var i = 0; i < 20; i++)
        {
            var data = await client.RetryAsync(ct => client.GetDataAsync($"/before-{i}", ct));
            Assert.Equal($"v{i}", ClientSteps.Text(data.Data));
        }

        Assert.Equal(session, client.SessionId);
    }

    [Fact]
    public async Task A_killed_follower_restarts_on_its_data_and_catches_up()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Silos.First(s => s.Id != leader).Id;
        await using var client = await cluster.CreateClientAsync(o => o.ConnectionString = cluster.ConnectionStringFor(leader));
        await client.CreateAsync("/old", ClientSteps.Bytes("1"));

        await cluster.KillSiloAsync(follower);
        await client.CreateAsync("/while-down", ClientSteps.Bytes("2"));
        await cluster.RestartSiloAsync(follower);
        await cluster.WaitForConvergenceAsync();

        Assert.True(cluster[follower].IsRunning);
        Assert.Equal("follower", await cluster[follower].GetModeAsync());
        Assert.Equal("1", await ClientSteps.ReadOnSiloAsync(cluster, follower, "/old"));
        Assert.Equal("2", await ClientSteps.ReadOnSiloAsync(cluster, follower, "/while-down"));
    }

    [Fact]
    public async Task Without_a_majority_a_write_does_not_succeed_and_it_does_once_a_silo_is_back()
    {
        await using var cluster = await TestCluster.StartAsync(3, o => o.ClientSessionTimeout = TimeSpan.FromSeconds(30));
        await using var client = await cluster.CreateClientAsync();
        await client.CreateAsync("/base", null);

        var leader = await cluster.WaitForLeaderAsync();
        var down = new[] { leader, cluster.Silos.First(s => s.Id != leader).Id };
        foreach (var id in down)
        {
            await cluster.KillSiloAsync(id);
        }

        var survivor = cluster.Silos.Single(s => s.IsRunning).Id;
        await cluster.WaitForNotServingAsync(survivor);

        // No quorum: the write either fails (connection loss) or waits; it must not be acknowledged.
        var write = client.CreateAsync("/no-quorum", ClientSteps.Bytes("late"));
        var first = await Task.WhenAny(write, Task.Delay(TimeSpan.FromSeconds(3)));
        if (first == write)
        {
            await Assert.ThrowsAsync<ConnectionLossException>(() => write);
        }

        await cluster.RestartSiloAsync(down[1]);
        await cluster.WaitForLeaderAsync();
        var applied = false;
        if (first != write)
        {
            // Queued while suspended, it goes out once the client reconnects to a serving silo.
            try
            {
                await write.WaitAsync(ClientSteps.Wait);
                applied = true;
            }
            catch (ConnectionLossException)
            {
                // Lost on the wire: the retry below finds out whether it was applied.
            }
        }

        if (!applied)
        {
            await ClientSteps.CreateSurvivingFailoverAsync(client, "/no-quorum", "late");
        }

        foreach (var id in new[] { survivor, down[1] })
        {
            Assert.Equal("late", await ClientSteps.ReadOnSiloAsync(cluster, id, "/no-quorum"));
        }
    }

    [Fact]
    public async Task A_partitioned_away_leader_stops_serving_the_majority_carries_on_and_heal_converges()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var oldLeader = await cluster.WaitForLeaderAsync();
        var majority = cluster.Silos.Where(s => s.Id != oldLeader).Select(s => s.Id).ToArray();

        cluster.Partition(oldLeader);
        await cluster.WaitForNotServingAsync(oldLeader);
        var newLeader = await cluster.WaitForLeaderAsync();
        Assert.Contains(newLeader, majority);

        await using (var client = await cluster.CreateClientAsync(o => o.ConnectionString = cluster.ConnectionStringFor(majority)))
        {
            await ClientSteps.CreateSurvivingFailoverAsync(client, "/during-partition", "majority");
        }

        // The cut-off silo still accepts TCP connections but refuses sessions while it does not serve.
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var minority = await cluster.CreateClientAsync(o =>
            {
                o.ConnectionString = cluster.ConnectionStringFor(oldLeader);
                o.ConnectTimeout = TimeSpan.FromSeconds(2);
            });
        });

        cluster.Heal();
        await cluster.WaitForConvergenceAsync();
        Assert.Equal("majority", await ClientSteps.ReadOnSiloAsync(cluster, oldLeader, "/during-partition"));
    }

    [Fact]
    public async Task A_paused_follower_misses_the_writes_made_meanwhile_until_resumed()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var paused = cluster.Silos.First(s => s.Id != leader).Id;
        var others = cluster.Silos.Where(s => s.Id != paused).Select(s => s.Id).ToArray();

        cluster.Pause(paused);
        Assert.Equal("paused", await cluster[paused].GetModeAsync());
        await using (var client = await cluster.CreateClientAsync(o => o.ConnectionString = cluster.ConnectionStringFor(others)))
        {
            await client.CreateAsync("/while-paused", ClientSteps.Bytes("p"));
        }

        // The two others are a quorum: they converge without the paused silo.
        await cluster.WaitForConvergenceAsync();

        cluster.Resume(paused);
        await cluster.WaitForConvergenceAsync();
        Assert.Equal("p", await ClientSteps.ReadOnSiloAsync(cluster, paused, "/while-paused"));
    }

    [Fact]
    public async Task A_gracefully_stopped_silo_on_the_real_disk_restarts_with_its_data()
    {
        await using var cluster = await new TestClusterBuilder(3).UseRealDisk().BuildAndStartAsync();
        Assert.All(cluster.Silos, s => Assert.Null(s.LogFileSystem));
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Silos.First(s => s.Id != leader).Id;
        await using var client = await cluster.CreateClientAsync(o => o.ConnectionString = cluster.ConnectionStringFor(leader));
        await client.CreateAsync("/disk", ClientSteps.Bytes("d"));
        await cluster.WaitForConvergenceAsync();

        await cluster.StopSiloAsync(follower);
        Assert.False(cluster[follower].IsRunning);
        await cluster.RestartSiloAsync(follower);
        await cluster.WaitForConvergenceAsync();
        Assert.Equal("d", await ClientSteps.ReadOnSiloAsync(cluster, follower, "/disk"));
    }
}

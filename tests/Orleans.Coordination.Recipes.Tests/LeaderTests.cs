using System.Collections.Concurrent;
using System.Globalization;
using Orleans.Coordination.Client;
using Orleans.Coordination.Client.Tests.TestSupport;
using Orleans.Coordination.Recipes.Tests.TestSupport;

namespace Orleans.Coordination.Recipes.Tests;

/// <summary>LeaderLatch and LeaderSelector.</summary>
public abstract class LeaderTests(ServerFixture server) : RecipeTests(server)
{
    [Fact]
    public async Task Latch_elects_exactly_one_and_fails_over_in_join_order()
    {
        var latches = new List<LeaderLatch>();
        foreach (var id in new[] { "a", "b", "c" })
        {
            var latch = new LeaderLatch(await ConnectAsync(), P("election"), id);
            await Within(latch.StartAsync());
            latches.Add(latch);
        }

        await Within(latches[0].AwaitLeadershipAsync());
        await Task.Delay(200);
        Assert.Equal([true, false, false], latches.Select(l => l.HasLeadership));
        Assert.Equal(["a", "b", "c"], await Within(latches[2].GetParticipantsAsync()));
        Assert.Equal("a", await Within(latches[2].GetLeaderIdAsync()));
        Assert.False(latches[0].LeadershipToken.IsCancellationRequested);
        Assert.True(latches[1].LeadershipToken.IsCancellationRequested);

        var term = latches[0].LeadershipToken;
        await latches[0].DisposeAsync();
        Assert.True(term.IsCancellationRequested);
        Assert.True(await Within(latches[1].AwaitLeadershipAsync(Timeout)));
        Assert.False(latches[2].HasLeadership);

        // b's node goes from under it (an operator deleting it): b steps down and rejoins behind c.
        await Within(Client.DeleteAsync(latches[1].OurPath!));
        Assert.True(await Within(latches[2].AwaitLeadershipAsync(Timeout)));
        await Eventually(() => !latches[1].HasLeadership, "b stepped down");
        await Eventually(() => latches[1].GetParticipantsAsync().Result.SequenceEqual(["c", "b"]), "b rejoined behind c");
        foreach (var latch in latches)
        {
            await latch.DisposeAsync();
        }
    }

    [Fact]
    public async Task Latch_reports_leadership_lost_when_its_session_expires()
    {
        var victim = await ConnectAsync();
        await using var leader = new LeaderLatch(victim, P("election"), "victim");
        var changes = new ConcurrentQueue<bool>();
        leader.IsLeaderChanged += (_, isLeader) => changes.Enqueue(isLeader);
        await Within(leader.StartAsync());
        await Within(leader.AwaitLeadershipAsync());
        var term = leader.LeadershipToken;
        await using var follower = new LeaderLatch(Client, P("election"), "follower");
        await Within(follower.StartAsync());
        Assert.False(await Within(follower.AwaitLeadershipAsync(TimeSpan.FromMilliseconds(200))));

        await ExpireSessionAsync(victim);

        await Eventually(() => changes.SequenceEqual([true, false]), "leadership gained then lost");
        Assert.False(leader.HasLeadership);
        Assert.True(term.IsCancellationRequested);
        Assert.True(await Within(follower.AwaitLeadershipAsync(Timeout)));
        Assert.Equal(["follower"], await Within(follower.GetParticipantsAsync()));
    }

    [Fact]
    public async Task Latch_under_suspended_policy_steps_down_while_disconnected_and_resumes()
    {
        var client = await ConnectAsync();
        await using var latch = new LeaderLatch(client, P("election"), "strict", OwnershipLossPolicy.ConnectionSuspended);
        var changes = new ConcurrentQueue<bool>();
        latch.IsLeaderChanged += (_, isLeader) => changes.Enqueue(isLeader);
        await Within(latch.StartAsync());
        await Within(latch.AwaitLeadershipAsync());
        var firstTerm = latch.LeadershipToken;

        client.DropConnectionForTesting();

        // The session survived, so its node is still first: leadership comes back, as a new term.
        await Eventually(() => changes.SequenceEqual([true, false, true]), "leading, not leading, leading again");
        Assert.True(firstTerm.IsCancellationRequested);
        Assert.False(latch.LeadershipToken.IsCancellationRequested);
    }

    [Fact]
    public async Task Latch_with_a_renewing_client_rejoins_after_expiry()
    {
        var renewing = await ConnectAsync(o => o.RenewSessionOnExpiry = true);
        await using var latch = new LeaderLatch(renewing, P("election"), "renewing");
        await Within(latch.StartAsync());
        await Within(latch.AwaitLeadershipAsync());
        var oldPath = latch.OurPath;
        var oldSession = renewing.SessionId;
        var lost = new TaskCompletionSource();
        latch.LeadershipToken.Register(() => lost.TrySetResult());

        await using (var thief = new CoordinationClient(new CoordinationClientOptions { ConnectionString = Server.ConnectionString, SessionId = renewing.SessionId, SessionPassword = renewing.SessionPassword }))
        {
            await Within(thief.ConnectAsync());
        }

        await Within(lost.Task);
        await Eventually(() => renewing.SessionId != oldSession && renewing.IsConnected, "a renewed session");
        Assert.True(await Within(latch.AwaitLeadershipAsync(Timeout)));
        Assert.NotEqual(oldPath, latch.OurPath);
        Assert.Null(await Client.ExistsAsync(oldPath!));
    }

    [Fact]
    public async Task Leadership_is_lost_when_the_server_is_unreachable_past_the_session_timeout()
    {
        var leaderClient = await ConnectAsync(o => o.SessionTimeout = TimeSpan.FromSeconds(4));
        await using var latch = new LeaderLatch(leaderClient, P("election"), "paused");
        var changes = new ConcurrentQueue<bool>();
        latch.IsLeaderChanged += (_, isLeader) => changes.Enqueue(isLeader);
        await Within(latch.StartAsync());
        await Within(latch.AwaitLeadershipAsync());
        var mutexClient = await ConnectAsync(o => o.SessionTimeout = TimeSpan.FromSeconds(4));
        var handle = await Within(new InterProcessMutex(mutexClient, P("lock")).AcquireAsync());

        await PauseServerUntilLostAsync(leaderClient, mutexClient, Client);

        await Eventually(() => changes.SequenceEqual([true, false]), "leadership lost");
        await Eventually(() => handle.IsLost, "the lock lost");
        var fresh = await ConnectAsync();
        await Eventually(() => fresh.GetChildrenAsync(P("election")).Result.Count == 0, "the server expired the leader's node");
        await using var next = new LeaderLatch(fresh, P("election"), "next");
        await Within(next.StartAsync());
        Assert.True(await Within(next.AwaitLeadershipAsync(Timeout)));
        await using var relock = await Within(new InterProcessMutex(fresh, P("lock")).AcquireAsync());
    }

    [Fact]
    public async Task Selector_runs_one_leader_at_a_time_and_requeues()
    {
        var running = 0;
        var maxRunning = 0;
        var terms = new ConcurrentQueue<string>();
        var selectors = new List<LeaderSelector>();
        foreach (var id in new[] { "a", "b", "c" })
        {
            var selector = new LeaderSelector(await ConnectAsync(), P("election"), async ct =>
            {
                var now = Interlocked.Increment(ref running);
                InterlockedMax(ref maxRunning, now);
                terms.Enqueue(id);
                await Task.Delay(30, CancellationToken.None);
                Interlocked.Decrement(ref running);
            }, autoRequeue: true, id: id);
            selectors.Add(selector);
        }

        selectors.ForEach(s => s.Start());
        await Eventually(() => terms.Count >= 9, "nine terms");
        foreach (var selector in selectors)
        {
            await selector.DisposeAsync();
        }

        Assert.Equal(1, maxRunning);
        Assert.All(selectors, s => Assert.True(s.Terms >= 2, $"{s.Id} led {s.Terms} terms"));
    }

    [Fact]
    public async Task Selector_without_requeue_leads_once_until_requeued()
    {
        var count = 0;
        await using var selector = new LeaderSelector(Client, P("election"), _ =>
        {
            Interlocked.Increment(ref count);
            return Task.CompletedTask;
        }, id: "once");
        selector.Start();
        await Eventually(() => selector.Terms == 1, "one term");
        await Task.Delay(300);
        Assert.Equal(1, count);
        selector.Requeue();
        await Eventually(() => selector.Terms == 2, "a second term after Requeue");
    }

    [Fact]
    public async Task Selector_cancels_the_leader_callback_when_the_session_expires()
    {
        var victim = await ConnectAsync();
        var started = new TaskCompletionSource();
        var cancelled = new TaskCompletionSource();
        await using var leader = new LeaderSelector(victim, P("election"), async ct =>
        {
            started.TrySetResult();
            try
            {
                await Task.Delay(Timeout, ct);
            }
            finally
            {
                if (ct.IsCancellationRequested)
                {
                    cancelled.TrySetResult();
                }
            }
        }, id: "victim");
        leader.Start();
        await Within(started.Task);
        Assert.True(leader.HasLeadership);
        var next = new TaskCompletionSource();
        await using var follower = new LeaderSelector(Client, P("election"), ct =>
        {
            next.TrySetResult();
            return Task.Delay(System.Threading.Timeout.Infinite, ct);
        }, id: "follower");
        follower.Start();
        await StillPending(next.Task);

        await ExpireSessionAsync(victim);

        await Within(cancelled.Task);
        await Eventually(() => !leader.HasLeadership, "the old leader stepped down");
        await Within(next.Task);
        Assert.True(follower.HasLeadership);
    }

    [Fact]
    public async Task Selector_elects_one_leader_at_a_time_across_processes()
    {
        const int workers = 3, terms = 4;
        var gate = await PrepareGateAsync();
        var files = Enumerable.Range(0, workers).Select(_ => Path.GetTempFileName()).ToList();
        var processes = files.Select(f => StartWorker("leader", terms.ToString(CultureInfo.InvariantCulture), f)).ToList();
        await OpenGateAsync(gate, workers, processes);
        foreach (var p in processes)
        {
            var result = await p.WaitAsync();
            Assert.True(p.ExitCode == 0, result);
        }

        var intervals = Intervals(files.Select(File.ReadAllLines).ToList());
        Assert.True(intervals.Count >= workers * terms, $"{intervals.Count} terms");
        Assert.Equal(1, MaxOverlap(intervals));
        Assert.Equal(workers, intervals.Select(i => i.Worker).Distinct().Count());
        files.ForEach(File.Delete);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}

[Collection(SiloCollection.Silo)]
public sealed class LeaderTests_OnSilo(SiloFixture server) : LeaderTests(server);

[Collection(ZooKeeperCollection.ZooKeeper)]
public sealed class LeaderTests_OnZooKeeper(ZooKeeperFixture server) : LeaderTests(server);

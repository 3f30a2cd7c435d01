using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.Client.Tests;

public abstract partial class ClientContractTests
{
    [Fact]
    public async Task Thousand_concurrent_requests_are_pipelined_on_one_connection()
    {
        var parent = P("many");
        await Within(Client.CreateAsync(parent, null));
        var creates = Enumerable.Range(0, 1000).Select(i => Client.CreateAsync($"{parent}/n{i:D4}", B(i.ToString(System.Globalization.CultureInfo.InvariantCulture)))).ToArray();
        var created = await Within(Task.WhenAll(creates));
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => $"{parent}/n{i:D4}"), created);

        var reads = Enumerable.Range(0, 1000).Select(i => Client.GetDataAsync($"{parent}/n{i:D4}")).ToArray();
        var data = await Within(Task.WhenAll(reads));
        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), S(data[i].Data));
        }

        // Replies come in request order, so the zxids of the creates increase with their order.
        var stats = await Within(Task.WhenAll(Enumerable.Range(0, 1000).Select(i => Client.ExistsAsync($"{parent}/n{i:D4}"))));
        for (var i = 1; i < 1000; i++)
        {
            Assert.True(stats[i]!.Value.Czxid > stats[i - 1]!.Value.Czxid);
        }

        Assert.Equal(1000, await Within(Client.GetAllChildrenNumberAsync(parent)));
        Assert.Equal(1000, (await Within(Client.GetChildrenAsync(parent))).Count);
    }

    [Fact]
    public async Task Concurrent_clients_creating_sequential_nodes_never_collide()
    {
        var parent = P("contended");
        await Within(Client.CreateAsync(parent, null));
        var clients = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => ConnectAsync()));
        var paths = await Within(Task.WhenAll(clients.SelectMany(c => Enumerable.Range(0, 40).Select(_ => c.CreateAsync(parent + "/s-", null, mode: CreateMode.EphemeralSequential)))));
        Assert.Equal(200, paths.Distinct().Count());
        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"{parent}/s-{i:D10}"), paths.Order());
        Assert.Equal(5, clients.Select(c => c.SessionId).Distinct().Count());
    }

    [Fact]
    public async Task State_changes_are_reported_in_order()
    {
        var client = NewClient();
        var states = new ConcurrentQueue<ConnectionStateChangedEventArgs>();
        client.StateChanged += (_, e) => states.Enqueue(e);
        Assert.Equal(ConnectionState.NotStarted, client.State);
        await Within(client.ConnectAsync());
        Assert.Equal(ConnectionState.Connected, client.State);
        Assert.True(client.IsConnected);
        Assert.InRange(client.SessionTimeout, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(10));
        Assert.Equal(16, client.SessionPassword.Length);
        Assert.NotNull(client.CurrentServer);

        client.DropConnectionForTesting();
        await WaitForState(client, ConnectionState.Reconnected);
        await client.DisposeAsync();
        await Eventually(() => states.Count == 4, "four transitions");
        Assert.Equal(
            [ConnectionState.Connected, ConnectionState.Suspended, ConnectionState.Reconnected, ConnectionState.Closed],
            states.Select(s => s.State));
        Assert.Equal(ConnectionState.NotStarted, states.First().PreviousState);
        Assert.All(states.Take(3), s => Assert.Equal(client.SessionId, s.SessionId));
    }

    [Fact]
    public async Task Reconnect_keeps_session_ephemerals_auth_and_watches()
    {
        var client = await ConnectAsync();
        await Within(client.AddAuthAsync("digest", B("carol:pw")));
        await Within(client.CreateAsync(P("guarded"), B("g"), acl: Acl.CreatorAllAcl));
        await Within(client.CreateAsync(P("eph"), null, mode: CreateMode.Ephemeral));
        await Within(client.CreateAsync(P("quiet"), null));
        await Within(client.CreateAsync(P("busy"), null));
        var sessionId = client.SessionId;

        var quiet = await Within(client.WatchDataAsync(P("quiet")));
        var busy = await Within(client.WatchDataAsync(P("busy")));
        var appear = await Within(client.WatchExistsAsync(P("appear")));
        var kids = await Within(client.WatchChildrenAsync(P("busy")));
        // Not on "busy": ZooKeeper 3.8.0 stops delivering NodeChildrenChanged to a child watch on a path that
        // also has a recursive watch from the same connection (fixed in later ZooKeeper releases).
        await Within(client.CreateAsync(P("tree"), null));
        await using var stream = await Within(client.AddWatchAsync(P("tree"), AddWatchMode.PersistentRecursive));

        var suspended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.StateChanged += (_, e) =>
        {
            if (e.State == ConnectionState.Suspended)
            {
                suspended.TrySetResult();
            }
        };

        // Requests on the wire when the connection breaks fail with ConnectionLoss; the rest go through.
        var inFlight = Enumerable.Range(0, 200).Select(_ => client.ExistsAsync(P("quiet"))).ToArray();
        client.DropConnectionForTesting();
        await Within(suspended.Task);
        var outcomes = await Task.WhenAll(inFlight.Select(async t =>
        {
            try
            {
                await t;
                return "ok";
            }
            catch (ConnectionLossException)
            {
                return "loss";
            }
        })).WaitAsync(Timeout);
        Assert.All(outcomes, o => Assert.Contains(o, new[] { "ok", "loss" }));

        // Requests issued while suspended wait for the new connection (after the credentials are re-sent).
        var queued = client.GetDataAsync(P("guarded"));

        // A change while the client is away: setWatches reports it on reconnect.
        await Within(Client.SetDataAsync(P("busy"), B("changed-while-away")));
        await WaitForState(client, ConnectionState.Reconnected);
        Assert.Equal(sessionId, client.SessionId);
        Assert.Equal(EventType.NodeDataChanged, (await Within(busy.Changed)).Type);

        Assert.Equal(EventType.None, (await stream.ReadAsync().AsTask().WaitAsync(Timeout)).Type);
        var e2 = await stream.ReadAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal(new WatchEvent(EventType.None, KeeperState.SyncConnected, null), e2);

        // The session and its credentials survived.
        Assert.Equal("g", S((await Within(queued)).Data));
        Assert.Equal("g", S((await Within(client.GetDataAsync(P("guarded")))).Data));
        var eph = await Within(client.ExistsAsync(P("eph")));
        Assert.Equal(sessionId, eph!.Value.EphemeralOwner);

        // Watches that did not fire were re-registered.
        Assert.False(quiet.Changed.IsCompleted);
        await Within(Client.SetDataAsync(P("quiet"), B("now")));
        Assert.Equal(EventType.NodeDataChanged, (await Within(quiet.Changed)).Type);
        await Within(Client.CreateAsync(P("appear"), null));
        Assert.Equal(EventType.NodeCreated, (await Within(appear.Changed)).Type);
        await Within(Client.CreateAsync(P("busy/child"), null));
        Assert.Equal(EventType.NodeChildrenChanged, (await Within(kids.Changed)).Type);
        await Within(Client.CreateAsync(P("tree/leaf"), null));
        var recursiveEvent = await stream.ReadAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal((EventType.NodeCreated, P("tree/leaf")), (recursiveEvent.Type, recursiveEvent.Path));
    }

    [Fact]
    public async Task Session_closed_from_another_handle_is_lost_with_expired_events()
    {
        var victim = await ConnectAsync();
        var states = new ConcurrentQueue<ConnectionState>();
        victim.StateChanged += (_, e) => states.Enqueue(e.State);
        await Within(victim.CreateAsync(P("victim-eph"), null, mode: CreateMode.Ephemeral));
        var watched = await Within(victim.WatchDataAsync(P("victim-eph")));
        var callbackEvents = new ConcurrentQueue<WatchEvent>();
        await Within(victim.ExistsAsync(P("never"), callbackEvents.Enqueue));
        await using var stream = await Within(victim.AddWatchAsync(P("never"), AddWatchMode.Persistent));

        // Take the session over with its id and password, then close it: the victim's session is gone.
        for (var attempt = 0; attempt < 5 && victim.State != ConnectionState.Lost; attempt++)
        {
            await using (var thief = new CoordinationClient(new CoordinationClientOptions
            {
                ConnectionString = Server.ConnectionString,
                SessionTimeout = TimeSpan.FromSeconds(10),
                SessionId = victim.SessionId,
                SessionPassword = victim.SessionPassword,
            }))
            {
                await Within(thief.ConnectAsync());
                Assert.Equal(victim.SessionId, thief.SessionId);
            }

            try
            {
                await WaitForState(victim, ConnectionState.Lost);
            }
            catch (Xunit.Sdk.TrueException)
            {
                // The victim won the session back before the close; try again.
            }
        }

        Assert.Equal(ConnectionState.Lost, victim.State);
        Assert.Equal(new WatchEvent(EventType.None, KeeperState.Expired, null), await Within(watched.Changed));
        await Eventually(() => callbackEvents.Count == 1, "the Expired callback");
        Assert.Equal(KeeperState.Expired, callbackEvents.Single().State);
        var last = await stream.ReadAsync().AsTask().WaitAsync(Timeout);
        while (last.State != KeeperState.Expired)
        {
            last = await stream.ReadAsync().AsTask().WaitAsync(Timeout);
        }

        await Within(stream.Completion);
        await Assert.ThrowsAsync<SessionExpiredException>(() => victim.GetDataAsync(Root));
        await Assert.ThrowsAsync<SessionExpiredException>(() => victim.ConnectAsync());
        Assert.Null(await Within(Client.ExistsAsync(P("victim-eph"))));
        await Eventually(() => states.Contains(ConnectionState.Lost), "the Lost event");
    }

    [Fact]
    public async Task Resuming_an_unknown_session_is_expired_and_renewal_starts_a_new_one()
    {
        var stale = NewClient(configure: o =>
        {
            o.SessionId = 0x1234_5678_9abcL;
            o.SessionPassword = new byte[16];
        });
        await Assert.ThrowsAsync<SessionExpiredException>(() => stale.ConnectAsync().WaitAsync(Timeout));
        Assert.Equal(ConnectionState.Lost, stale.State);

        var renewing = NewClient(configure: o =>
        {
            o.SessionId = 0x1234_5678_9abcL;
            o.SessionPassword = new byte[16];
            o.RenewSessionOnExpiry = true;
        });
        var states = new ConcurrentQueue<ConnectionState>();
        renewing.StateChanged += (_, e) => states.Enqueue(e.State);
        await Assert.ThrowsAsync<SessionExpiredException>(() => renewing.ConnectAsync().WaitAsync(Timeout));
        await WaitForState(renewing, ConnectionState.Reconnected);
        Assert.NotEqual(0x1234_5678_9abcL, renewing.SessionId);
        Assert.NotEqual(0, renewing.SessionId);
        await Within(renewing.CreateAsync(P("renewed"), null, mode: CreateMode.Ephemeral));
        await Eventually(() => states.Count >= 2, "two transitions");
        Assert.Equal([ConnectionState.Lost, ConnectionState.Reconnected], states.Take(2));
    }

    [Fact]
    public async Task Connection_string_with_dead_hosts_and_chroot_connects_to_the_live_one()
    {
        await Within(Client.CreateAsync(P("multi-host"), B("here")));
        var dead1 = TestSupport.ServerFixture.FreePort();
        var dead2 = TestSupport.ServerFixture.FreePort();
        var options = new CoordinationClientOptions
        {
            ConnectionString = $"127.0.0.1:{dead1},{Server.ConnectionString},localhost:{dead2}{Root}",
            SessionTimeout = TimeSpan.FromSeconds(10),
        };
        await using var client = new CoordinationClient(options);
        Assert.Equal("here", S((await Within(client.GetDataAsync("/multi-host"))).Data));
        Assert.Equal(Server.Port, client.CurrentServer!.Port);

        await using var nowhere = new CoordinationClient(new CoordinationClientOptions
        {
            ConnectionString = $"127.0.0.1:{dead1}",
            ConnectTimeout = TimeSpan.FromSeconds(1),
        });
        await Assert.ThrowsAsync<ConnectionLossException>(() => nowhere.ConnectAsync());
        Assert.Equal(ConnectionState.NotStarted, nowhere.State);
    }

    [Fact]
    public async Task Retry_policy_retries_connection_loss_with_backoff_and_gives_up()
    {
        var attempts = 0;
        var policy = new RetryPolicy(3, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(40));
        var data = await Within(Client.RetryAsync(async ct =>
        {
            if (Interlocked.Increment(ref attempts) < 3)
            {
                throw new ConnectionLossException(Root);
            }

            return await Client.GetDataAsync(Root, ct);
        }, policy));
        Assert.Equal(3, attempts);
        Assert.Empty(data.Data);

        attempts = 0;
        await Assert.ThrowsAsync<ConnectionLossException>(() => Client.RetryAsync(_ =>
        {
            Interlocked.Increment(ref attempts);
            throw new ConnectionLossException();
        }, policy));
        Assert.Equal(4, attempts);

        attempts = 0;
        await Assert.ThrowsAsync<NoNodeException>(() => Client.RetryAsync(async ct =>
        {
            Interlocked.Increment(ref attempts);
            await Client.DeleteAsync(P("absent"), -1, ct);
        }, policy));
        Assert.Equal(1, attempts);
        Assert.All(Enumerable.Range(0, 10), i => Assert.InRange(policy.GetDelay(i), TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(40)));

        // A real connection loss in the middle of an idempotent read is ridden out.
        var read = Client.RetryAsync(ct => Client.GetChildrenAsync(Root, ct), policy);
        Client.DropConnectionForTesting();
        Assert.NotNull(await Within(read));
    }

    [Fact]
    public async Task Cancellation_abandons_the_wait_but_not_the_connection()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Client.GetDataAsync(Root, cts.Token));
        var many = Enumerable.Range(0, 100).Select(_ =>
        {
            using var c = new CancellationTokenSource();
            var t = Client.ExistsAsync(Root, c.Token);
            c.Cancel();
            return t;
        }).ToArray();
        foreach (var t in many)
        {
            try
            {
                await Within(t);
            }
            catch (OperationCanceledException)
            {
                // Cancelled before or after it was sent; either way the connection stays in step.
            }
        }

        Assert.NotNull(await Within(Client.ExistsAsync(Root)));
        Assert.True(Client.IsConnected);
    }

    [Fact]
    public async Task Service_collection_binds_options_from_configuration()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Coordination:ConnectionString"] = Server.ConnectionString + Root,
            ["Coordination:SessionTimeout"] = "00:00:08",
            ["Coordination:Authentication:0:Scheme"] = "digest",
            ["Coordination:Authentication:0:Credentials"] = "dave:pw",
            ["Coordination:Retry:MaxRetries"] = "7",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddCoordinationClient(configuration.GetSection("Coordination"), o => o.ShuffleHosts = false);
        await using (var provider = services.BuildServiceProvider())
        {
            var options = provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<CoordinationClientOptions>>().Value;
            Assert.Equal(TimeSpan.FromSeconds(8), options.SessionTimeout);
            Assert.Equal(7, options.Retry.MaxRetries);
            Assert.False(options.ShuffleHosts);

            var client = provider.GetRequiredService<CoordinationClient>();
            Assert.Same(client, provider.GetRequiredService<CoordinationClient>());
            Assert.Equal("/di", await Within(client.CreateAsync("/di", null, mode: CreateMode.Ephemeral)));
            Assert.Contains(await Within(client.WhoAmIAsync()), i => i.AuthScheme == "digest" && i.User == "dave");
        }

        // Disposing the provider closed the session.
        Assert.Null(await Within(Client.ExistsAsync(P("di"))));

        var viaDelegate = new ServiceCollection().AddCoordinationClient(o => o.ConnectionString = Server.ConnectionString).BuildServiceProvider();
        await using (viaDelegate)
        {
            Assert.NotNull(await Within(viaDelegate.GetRequiredService<CoordinationClient>().ExistsAsync(Root)));
        }
    }
}

using Microsoft.Extensions.Configuration;
using Orleans.Coordination.Client;
using Orleans.Coordination.Client.Tests.TestSupport;
using Orleans.Coordination.Recipes.Tests.TestSupport;

namespace Orleans.Coordination.Recipes.Tests;

/// <summary>ServiceDiscovery, ConfigurationWatcher and the configuration provider; the docs samples run end to end.</summary>
public abstract class DiscoveryAndConfigurationTests(ServerFixture server) : RecipeTests(server)
{
    [Fact]
    public async Task Discovery_registers_queries_and_unregisters_instances()
    {
        var discovery = new ServiceDiscovery(Client, P("services"));
        var instance = new ServiceInstance { Name = "orders", Id = "o1", Address = "10.0.0.7", Port = 8080, Metadata = new Dictionary<string, string> { ["zone"] = "eu-1" } };
        await using var registration = await Within(discovery.RegisterAsync(instance));
        var other = new ServiceDiscovery(await ConnectAsync(), P("services"));
        await using var second = await Within(other.RegisterAsync(new ServiceInstance { Name = "orders", Id = "o2", Address = "10.0.0.8", Port = 8080 }));
        await using var billing = await Within(other.RegisterAsync(new ServiceInstance { Name = "billing", Address = "10.0.0.9" }));

        Assert.Equal(["billing", "orders"], await Within(discovery.QueryNamesAsync()));
        var instances = await Within(discovery.QueryInstancesAsync("orders"));
        Assert.Equal(["o1", "o2"], instances.Select(i => i.Id));
        var o1 = instances[0];
        Assert.Equal(("orders", "10.0.0.7", 8080, "eu-1"), (o1.Name, o1.Address, o1.Port, o1.Metadata["zone"]));
        var raw = S((await Client.GetDataAsync(P("services/orders/o1"))).Data);
        Assert.Contains("\"address\":\"10.0.0.7\"", raw, StringComparison.Ordinal);

        await Within(discovery.UpdateAsync(instance with { Port = 9090 }));
        Assert.Equal(9090, (await Within(discovery.QueryInstanceAsync("orders", "o1")))!.Port);
        await registration.DisposeAsync();
        Assert.Equal(["o2"], (await Within(discovery.QueryInstancesAsync("orders"))).Select(i => i.Id));
        Assert.Null(await Within(discovery.QueryInstanceAsync("orders", "o1")));
        Assert.Empty(await Within(discovery.QueryInstancesAsync("nothing")));
    }

    [Fact]
    public async Task Discovery_watch_sees_instances_come_and_go_with_their_sessions()
    {
        var watcher = await ConnectAsync();
        var discovery = new ServiceDiscovery(watcher, P("services"));
        using var cts = new CancellationTokenSource(Timeout);
        await using var updates = discovery.WatchInstancesAsync("orders", cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await updates.MoveNextAsync());
        Assert.Empty(updates.Current);

        var closing = await ConnectAsync();
        await new ServiceDiscovery(closing, P("services")).RegisterAsync(new ServiceInstance { Name = "orders", Id = "closing" });
        Assert.True(await updates.MoveNextAsync());
        Assert.Equal(["closing"], updates.Current.Select(i => i.Id));

        var expiring = await ConnectAsync();
        await new ServiceDiscovery(expiring, P("services")).RegisterAsync(new ServiceInstance { Name = "orders", Id = "expiring" });
        Assert.True(await updates.MoveNextAsync());
        Assert.Equal(["closing", "expiring"], updates.Current.Select(i => i.Id));

        await closing.DisposeAsync();   // closing the session removes its instances at once
        Assert.True(await updates.MoveNextAsync());
        Assert.Equal(["expiring"], updates.Current.Select(i => i.Id));

        await ExpireSessionAsync(expiring);
        Assert.True(await updates.MoveNextAsync());
        Assert.Empty(updates.Current);

        // The watcher's own session expiring (without renewal) ends the watch with an error.
        await ExpireSessionAsync(watcher);
        await Assert.ThrowsAsync<SessionExpiredException>(async () => await updates.MoveNextAsync());
    }

    [Fact]
    public async Task Discovery_registration_replaces_a_stale_node_and_survives_session_renewal()
    {
        var crashed = await ConnectAsync();
        await new ServiceDiscovery(crashed, P("services")).RegisterAsync(new ServiceInstance { Name = "api", Id = "node-1", Port = 1 });

        // The same instance comes back (a restarted process) before the old session has timed out.
        var renewing = await ConnectAsync(o => o.RenewSessionOnExpiry = true);
        var discovery = new ServiceDiscovery(renewing, P("services"));
        await using var registration = await Within(discovery.RegisterAsync(new ServiceInstance { Name = "api", Id = "node-1", Port = 2 }));
        var stat = await Client.ExistsAsync(P("services/api/node-1"));
        Assert.Equal(renewing.SessionId, stat!.Value.EphemeralOwner);
        Assert.Equal(2, (await discovery.QueryInstanceAsync("api", "node-1"))!.Port);

        using var cts = new CancellationTokenSource(Timeout);
        await using var updates = discovery.WatchInstancesAsync("api", cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await updates.MoveNextAsync());
        Assert.Equal(["node-1"], updates.Current.Select(i => i.Id));

        var oldSession = renewing.SessionId;
        await using (var thief = new CoordinationClient(new CoordinationClientOptions { ConnectionString = Server.ConnectionString, SessionId = renewing.SessionId, SessionPassword = renewing.SessionPassword }))
        {
            await Within(thief.ConnectAsync());
        }

        await Eventually(() => renewing.SessionId != oldSession && renewing.IsConnected, "a renewed session");
        await Eventually(() => Client.ExistsAsync(P("services/api/node-1")).Result?.EphemeralOwner == renewing.SessionId, "re-registered under the new session");

        // The watch of the renewed client carries on.
        await using var second = await new ServiceDiscovery(Client, P("services")).RegisterAsync(new ServiceInstance { Name = "api", Id = "node-2" });
        while (updates.Current.Count != 2)
        {
            Assert.True(await updates.MoveNextAsync());
        }

        Assert.Equal(["node-1", "node-2"], updates.Current.Select(i => i.Id));
    }

    [Fact]
    public async Task ConfigurationWatcher_exposes_the_current_value_and_changes()
    {
        await using var watcher = new ConfigurationWatcher(Client, P("config"));
        var changes = new List<string>();
        watcher.Changed += (_, e) =>
        {
            lock (changes)
            {
                changes.Add(S(e.Current));
            }
        };
        await Within(watcher.StartAsync());
        Assert.Null(watcher.Current);
        Assert.Equal(-1, watcher.Version);
        var token = watcher.GetReloadToken();

        var writer = await ConnectAsync();
        await writer.CreateAsync(P("config"), B("""{ "limit": 5, "name": "orders" }"""));
        await Eventually(() => watcher.CurrentText is not null, "the created node");
        await Eventually(() => token.HasChanged, "the reload token fired");
        Assert.Equal(5, watcher.Get<Settings>()!.Limit);
        await writer.SetDataAsync(P("config"), B("""{ "limit": 6, "name": "orders" }"""));
        await Eventually(() => watcher.Get<Settings>()!.Limit == 6, "the change");
        Assert.Equal(1, watcher.Version);
        await Eventually(
            () =>
            {
                lock (changes)
                {
                    return changes.Count == 2;
                }
            },
            "two change events");
    }

    [Fact]
    public async Task Configuration_provider_flattens_json_and_reloads_on_change()
    {
        await Within(Client.CreateAsync(P("appsettings"), B("""{ "Orders": { "Limit": 5, "Zones": ["eu", "us"], "Enabled": true }, "Name": "svc" }""")));
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Name"] = "default", ["Other"] = "kept" })
            .AddCoordinationJson(await ConnectAsync(), P("appsettings"), optional: false)
            .Build();
        Assert.Equal("5", configuration["Orders:Limit"]);
        Assert.Equal("us", configuration["Orders:Zones:1"]);
        Assert.Equal("True", configuration["Orders:Enabled"]);
        Assert.Equal("svc", configuration["Name"]);
        Assert.Equal("kept", configuration["Other"]);

        var reloaded = new TaskCompletionSource();
        using var registration = Microsoft.Extensions.Primitives.ChangeToken.OnChange(configuration.GetReloadToken, () => reloaded.TrySetResult());
        await Within(Client.SetDataAsync(P("appsettings"), B("""{ "Orders": { "Limit": 7 } }""")));
        await Within(reloaded.Task);
        Assert.Equal("7", configuration["Orders:Limit"]);
        Assert.Null(configuration["Orders:Zones:1"]);
        Assert.Equal("default", configuration["Name"]);

        Assert.Throws<InvalidOperationException>(() => new ConfigurationBuilder().AddCoordinationJson(Client, P("missing"), optional: false).Build());
        Assert.Empty(new ConfigurationBuilder().AddCoordinationJson(Client, P("missing")).Build().AsEnumerable());
    }

    [Fact]
    public async Task Docs_samples_run_against_the_server()
    {
        var dll = LocateBuild("samples/Orleans.Coordination.Samples", "Orleans.Coordination.Samples");
        var samples = WorkerProcess.Start(dll, [Server.ConnectionString]);
        var result = await samples.WaitAsync(TimeSpan.FromSeconds(120));
        Assert.True(samples.ExitCode == 0, result);
        Assert.Contains("samples: 20 ok, 0 failing", result, StringComparison.Ordinal);
    }

    private sealed record Settings(int Limit, string Name);
}

[Collection(SiloCollection.Silo)]
public sealed class DiscoveryAndConfigurationTests_OnSilo(SiloFixture server) : DiscoveryAndConfigurationTests(server);

[Collection(ZooKeeperCollection.ZooKeeper)]
public sealed class DiscoveryAndConfigurationTests_OnZooKeeper(ZooKeeperFixture server) : DiscoveryAndConfigurationTests(server);

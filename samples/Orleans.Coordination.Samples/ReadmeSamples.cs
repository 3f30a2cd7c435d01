using Microsoft.AspNetCore.Builder;
using Orleans.Coordination.Client;
using Orleans.Coordination.Protocol;

namespace Orleans.Coordination.Samples;

/// <summary>
/// The snippets of src/Orleans.Coordination.Client/README.md, compiled only: they name example hosts
/// (10.0.0.x, zk1) that do not exist here, so they are never run.
/// </summary>
public static class ReadmeSamples
{
    public static async Task ClientReadmeAsync(byte[] data, byte[] newBytes, CancellationToken ct)
    {
        // <snippet name="client-readme">
        await using var client = new CoordinationClient("10.0.0.1:2181,10.0.0.2:2181/myapp", TimeSpan.FromSeconds(30));
        client.StateChanged += (_, e) => Console.WriteLine($"{e.PreviousState} -> {e.State}");
        await client.ConnectAsync();                                   // optional: the first operation connects too

        string path = await client.CreateAsync("/jobs/job-", data, mode: CreateMode.PersistentSequential);
        var (bytes, stat) = await client.GetDataAsync(path);
        await client.SetDataAsync(path, newBytes, version: stat.Version);   // BadVersionException if someone was first

        // One-shot watch as a task: completes with NodeDataChanged / NodeDeleted (or None+Expired/Closed).
        var watched = await client.WatchDataAsync("/config");
        WatchEvent change = await watched.Changed;

        // ... or as a callback (run on the client's event thread).
        await client.GetChildrenAsync("/jobs", e => Console.WriteLine(e));

        // Persistent recursive watch as a stream; disposing it removes the watch.
        await using var tree = await client.AddWatchAsync("/config", AddWatchMode.PersistentRecursive);
        await foreach (var e in tree.WithCancellation(ct)) { /* NodeCreated, NodeDataChanged, NodeDeleted below /config */ }

        // Atomic transaction: all or nothing; a failure throws the typed exception with FailedOperationIndex.
        var results = await client.Transaction()
            .Check("/config", version: 3)
            .Create("/config/entry", data)
            .SetData("/config", data, version: 3)
            .CommitAsync();

        // Idempotent operations can ride out connection loss.
        var children = await client.RetryAsync(ct => client.GetChildrenAsync("/jobs", ct));
        // </snippet>
    }

    public static void ClientReadmeDependencyInjection()
    {
        var builder = WebApplication.CreateBuilder();

        // <snippet name="client-readme-di">
        builder.Services.AddCoordinationClient(builder.Configuration.GetSection("Coordination"));
        // "Coordination": { "ConnectionString": "zk1:2181,zk2:2181/app", "SessionTimeout": "00:00:30",
        //                   "Authentication": [ { "Scheme": "digest", "Credentials": "app:secret" } ] }
        // </snippet>
    }
}

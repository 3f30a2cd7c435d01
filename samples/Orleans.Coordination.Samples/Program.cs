using Orleans.Coordination.Client;
using Orleans.Coordination.Samples;

// Runs every snippet of docs/client.md against a server, below a fresh chroot so that runs never collide:
//   dotnet run --project samples/Orleans.Coordination.Samples -- 127.0.0.1:2181
// Prints one line per sample and exits 0 when all of them ran.
var server = args.Length > 0 ? args[0] : "127.0.0.1:2181";
var chroot = "/samples-" + Guid.NewGuid().ToString("N")[..8];
await using (var setup = new CoordinationClient(server, TimeSpan.FromSeconds(10)))
{
    await setup.CreateAsync(chroot, null);
}

var connectionString = server + chroot;
using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
var failures = 0;
foreach (var (name, run) in Samples.All)
{
    try
    {
        await run(connectionString, timeout.Token);
        Console.WriteLine($"ok   {name}");
    }
    catch (Exception e)
    {
        failures++;
        Console.WriteLine($"FAIL {name}: {e}");
    }
}

await using (var cleanup = new CoordinationClient(server, TimeSpan.FromSeconds(10)))
{
    await cleanup.DeleteRecursiveAsync(chroot);
}

Console.WriteLine($"samples: {Samples.All.Count - failures} ok, {failures} failing");
return failures == 0 ? 0 : 1;

using System.Globalization;
using System.Text;
using Orleans.Coordination.Client;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Recipes;

// A contender for the recipes' contention tests, run as a separate process:
//
//   worker lock      CONN ROOT ITERATIONS OUT    mutex at ROOT/lock; increments ROOT/counter non-atomically under it
//   worker semaphore CONN ROOT LEASES ITERATIONS OUT
//   worker leader    CONN ROOT TERMS OUT         leader selector at ROOT/election with requeue, TERMS terms
//   worker produce   CONN ROOT PREFIX COUNT      puts COUNT items "PREFIX-i" into the queue at ROOT/queue
//   worker consume   CONN ROOT OUT               takes items until it takes "STOP"
//   worker hold      CONN ROOT OUT               takes the lock ROOT/lock and an item of ROOT/queue, writes "held" to
//                                                OUT, then hangs (session timeout 4 s) until the test kills it
//
// Every contender first registers below ROOT/ready and waits on the barrier ROOT/gate, so that all start together.
// OUT gets one line per event: "enter TICKS" / "exit TICKS" (UTC ticks) around each time the resource was held, or the
// items consumed. The exit code is 0 on success.
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: worker MODE CONN ROOT ...");
    return 2;
}

var (mode, connection, root) = (args[0], args[1], args[2]);
await using var client = new CoordinationClient(new CoordinationClientOptions
{
    ConnectionString = connection,
    SessionTimeout = TimeSpan.FromSeconds(mode == "hold" ? 4 : 10),
    ConnectTimeout = TimeSpan.FromSeconds(30),
});
await client.ConnectAsync();
using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
var ct = timeout.Token;

if (mode is not "produce" and not "hold")
{
    await client.CreateAsync($"{root}/ready/{Environment.ProcessId}", null, mode: CreateMode.Ephemeral, cancellationToken: ct);
    await new DistributedBarrier(client, $"{root}/gate").WaitOnBarrierAsync(ct);
}

var lines = new List<string>();
string Now() => DateTime.UtcNow.Ticks.ToString(CultureInfo.InvariantCulture);
int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);

switch (mode)
{
    case "lock":
    {
        var mutex = new InterProcessMutex(client, $"{root}/lock", Encoding.UTF8.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture)));
        var counter = $"{root}/counter";
        for (var i = 0; i < Int(args[3]); i++)
        {
            await using var handle = await mutex.AcquireAsync(ct);
            lines.Add("enter " + Now());

            // Read, pause, write: without mutual exclusion concurrent increments would be lost.
            var data = await client.GetDataAsync(counter, ct);
            var value = int.Parse(Encoding.UTF8.GetString(data.Data), CultureInfo.InvariantCulture);
            await Task.Delay(Random.Shared.Next(0, 5), ct);
            await client.SetDataAsync(counter, Encoding.UTF8.GetBytes((value + 1).ToString(CultureInfo.InvariantCulture)), cancellationToken: ct);
            lines.Add("exit " + Now());
        }

        break;
    }

    case "semaphore":
    {
        var semaphore = new InterProcessSemaphore(client, $"{root}/semaphore", Int(args[3]));
        for (var i = 0; i < Int(args[4]); i++)
        {
            await using var lease = await semaphore.AcquireAsync(ct);
            lines.Add("enter " + Now());
            await Task.Delay(Random.Shared.Next(5, 30), ct);
            lines.Add("exit " + Now());
        }

        break;
    }

    case "leader":
    {
        var terms = Int(args[3]);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var led = 0;
        await using (var selector = new LeaderSelector(client, $"{root}/election", async _ =>
        {
            lock (lines)
            {
                lines.Add("enter " + Now());
            }

            await Task.Delay(Random.Shared.Next(20, 60), CancellationToken.None);
            lock (lines)
            {
                lines.Add("exit " + Now());
            }

            if (++led >= terms)
            {
                done.TrySetResult();
            }
        }, autoRequeue: true, id: Environment.ProcessId.ToString(CultureInfo.InvariantCulture)))
        {
            selector.Start();
            await done.Task.WaitAsync(ct);
        }

        break;
    }

    case "produce":
    {
        var queue = new DistributedQueue(client, $"{root}/queue");
        for (var i = 0; i < Int(args[4]); i++)
        {
            await queue.PutAsync(Encoding.UTF8.GetBytes($"{args[3]}-{i}"), ct);
        }

        break;
    }

    case "consume":
    {
        var queue = new DistributedQueue(client, $"{root}/queue");
        while (true)
        {
            await using var item = await queue.TakeAsync(ct);
            var text = Encoding.UTF8.GetString(item.Data);
            await item.CompleteAsync(ct);
            if (text == "STOP")
            {
                break;
            }

            lines.Add(text);
        }

        break;
    }

    case "hold":
    {
        var handle = await new InterProcessMutex(client, $"{root}/lock").AcquireAsync(ct);
        var item = await new DistributedQueue(client, $"{root}/queue").TakeAsync(ct);
        await File.WriteAllTextAsync(args[^1], $"held {handle.Path} {Encoding.UTF8.GetString(item.Data)}", CancellationToken.None);
        await Task.Delay(Timeout.Infinite, ct);
        break;
    }

    default:
        Console.Error.WriteLine($"unknown mode {mode}");
        return 2;
}

if (mode is not "produce" and not "hold")
{
    await File.WriteAllLinesAsync(args[^1], lines, CancellationToken.None);
}

return 0;

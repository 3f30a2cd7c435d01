using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Orleans.Coordination.Server.Tests.TestSupport;

namespace Orleans.Coordination.Server.Tests;

/// <summary>
/// The load generator that infra/bench.sh drives (tests/Orleans.Coordination.Benchmarks), run as a process the way
/// an operator runs it, against a silo in this process. Figures are not asserted (the machine decides them), only that
/// every operation does its work and reports it.
/// </summary>
public sealed class LoadGeneratorTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);

    [Theory]
    [InlineData("set")]
    [InlineData("get")]
    [InlineData("exists")]
    [InlineData("create")]
    [InlineData("multi")]
    [InlineData("mix")]
    public async Task Each_operation_runs_for_its_duration_and_reports_throughput_and_latency_as_json(string op)
    {
        await using var silo = await TestSilo.StartAsync(o => o.ClientPort = 0);
        var r = await RunAsync(silo, "--op", op, "--connections", "2", "--inflight", "4", "--payload", "100", "--keys", "20", "--duration", "1", "--warmup", "0");

        Assert.Equal(op, r.GetProperty("Op").GetString());
        Assert.Equal(0, r.GetProperty("Errors").GetInt64());
        Assert.True(r.GetProperty("Requests").GetInt64() > 0, r.ToString());
        Assert.True(r.GetProperty("Throughput").GetDouble() > 0, r.ToString());
        var p50 = r.GetProperty("P50Ms").GetDouble();
        var p99 = r.GetProperty("P99Ms").GetDouble();
        Assert.True(p50 > 0 && p50 <= p99 && p99 <= r.GetProperty("MaxMs").GetDouble(), r.ToString());
    }

    [Fact]
    public async Task A_stall_across_the_end_of_the_window_shows_in_the_latency_of_the_requests_it_held()
    {
        await using var silo = await TestSilo.StartAsync(o => o.ClientPort = 0);
        var core = silo.Host.Core;
        var run = RunAsync(silo, "--op", "set", "--connections", "1", "--inflight", "4", "--payload", "100", "--keys", "5", "--duration", "4", "--warmup", "0");

        // Once sets flow (the window is open), freeze the apply loop past the window's end: the 4 sets in flight are
        // answered only after the window has closed.
        using (var deadline = new CancellationTokenSource(RunTimeout))
        {
            while ((core.Tree.LastZxid & 0xFFFF_FFFF) < 50 && !run.IsCompleted) // txns in this epoch; setup is < 10
            {
                await Task.Delay(5, deadline.Token);
            }
        }

        Assert.False(run.IsCompleted, "the run ended before its sets were seen");
        core.Pause();
        await Task.Delay(TimeSpan.FromSeconds(5));
        core.Resume();
        var r = await run;

        Assert.Equal(0, r.GetProperty("Errors").GetInt64());
        Assert.Equal(4, r.GetProperty("Late").GetInt64());
        Assert.True(r.GetProperty("MaxMs").GetDouble() >= 4500, r.ToString()); // not dropped for landing after the window
        Assert.True(r.GetProperty("P50Ms").GetDouble() < 1000, r.ToString()); // the sets before the stall
        Assert.True(r.GetProperty("Requests").GetInt64() >= 20, r.ToString()); // in-window replies only
    }

    [Fact]
    public async Task A_count_run_sends_exactly_that_many_creates_and_the_nodes_exist()
    {
        await using var silo = await TestSilo.StartAsync(o => o.ClientPort = 0);
        var before = silo.Host.Core.Tree.NodeCount;
        var r = await RunAsync(silo, "--op", "create", "--count", "600", "--connections", "3", "--inflight", "8", "--payload", "10", "--keys", "1");

        Assert.Equal(600, r.GetProperty("Requests").GetInt64());
        Assert.Equal(0, r.GetProperty("Errors").GetInt64());

        // 600 znodes, their three parents (one per connection), the key and the run's own root.
        Assert.Equal(before + 600 + 3 + 1 + 1, silo.Host.Core.Tree.NodeCount);
    }

    [Fact]
    public async Task A_delete_run_first_creates_the_nodes_it_deletes_and_leaves_none_behind()
    {
        await using var silo = await TestSilo.StartAsync(o => o.ClientPort = 0);
        var before = silo.Host.Core.Tree.NodeCount;
        var r = await RunAsync(silo, "--op", "delete", "--count", "2000", "--delete-count", "1000", "--connections", "2", "--inflight", "8", "--payload", "10", "--keys", "1");

        Assert.Equal(2000, r.GetProperty("Requests").GetInt64());
        Assert.Equal(0, r.GetProperty("Errors").GetInt64());
        Assert.Equal(before + 2 + 1 + 1, silo.Host.Core.Tree.NodeCount); // the two parents, the key and the root
    }

    [Fact]
    public async Task Watch_fan_out_measures_one_sample_per_round_after_the_warm_up_rounds()
    {
        await using var silo = await TestSilo.StartAsync(o => o.ClientPort = 0);
        var r = await RunAsync(silo, "--op", "watch", "--watchers", "5", "--duration", "3", "--warmup", "2");

        Assert.Equal("watch", r.GetProperty("Op").GetString());
        Assert.Equal(5, r.GetProperty("Connections").GetInt32());
        Assert.Equal(3, r.GetProperty("Requests").GetInt64()); // measured rounds only
        Assert.Equal(0, r.GetProperty("Errors").GetInt64());
        Assert.True(r.GetProperty("P50Ms").GetDouble() > 0, r.ToString());
    }

    [Fact]
    public async Task Tree_memory_reports_the_live_heap_per_znode_built_and_loaded_from_a_snapshot()
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { LocateLoadGenerator(), "tree-memory", "--nodes", "20000", "--payload", "200", "--parents", "4" })
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(RunTimeout);
        await process.WaitForExitAsync(cts.Token);
        var lines = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        // Exit 0: the loaded tree's digest equals the built one's. 20,000 nodes, /bench, 4 parents and the 4 system nodes.
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {await stdout}\n{await stderr}");
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("built by applying creates: 20,009 znodes in ", lines[0]);
        Assert.Matches(@"^loaded from its snapshot \([0-9.]+ MiB\): 20,009 znodes in ", lines[1]);
        foreach (var line in lines)
        {
            var perNode = int.Parse(System.Text.RegularExpressions.Regex.Match(line, @"(\d+) bytes per znode$").Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.InRange(perNode, 200, 2000); // at least the payload each; a tree that kept nothing would show ~0
        }
    }

    [Fact]
    public async Task Tree_memory_rejects_an_unknown_option_by_name()
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { LocateLoadGenerator(), "tree-memory", "--nodez", "5" })
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains("--nodez", output);
    }

    private static async Task<JsonElement> RunAsync(TestSilo silo, params string[] args)
    {
        var json = Path.Combine(Path.GetTempPath(), $"loadgen-{Guid.NewGuid():N}.json");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(LocateLoadGenerator());
        psi.ArgumentList.Add("--servers");
        psi.ArgumentList.Add("127.0.0.1:" + silo.Port.ToString(CultureInfo.InvariantCulture));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.ArgumentList.Add("--json");
        psi.ArgumentList.Add(json);
        psi.ArgumentList.Add("--fail-on-errors");
        psi.ArgumentList.Add("true");
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(RunTimeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the load generator ({string.Join(' ', args)}) did not finish within {RunTimeout}");
        }

        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {await stdout}\n{await stderr}");
        try
        {
            using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(json));
            return doc.RootElement.Clone();
        }
        finally
        {
            File.Delete(json);
        }
    }

    /// <summary>tests/Orleans.Coordination.Benchmarks/bin/&lt;Configuration&gt;/&lt;tfm&gt;/, built with the solution.</summary>
    private static string LocateLoadGenerator()
    {
        var tfmDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = tfmDir.Parent!.Name;
        var dll = Repository.File("tests", "Orleans.Coordination.Benchmarks", "bin", configuration, tfmDir.Name, "Orleans.Coordination.Benchmarks.dll");
        Assert.True(File.Exists(dll), $"load generator not built at {dll} (build the solution first)");
        return dll;
    }
}

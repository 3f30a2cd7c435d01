using System.Collections.Concurrent;
using System.Diagnostics;

namespace Orleans.Coordination.Client.Tests.TestSupport;

/// <summary>
/// Our silo as a real process on a free loopback port with a temporary data dir. The silo dll is
/// $COORDINATION_SILO_DLL, or the Release build in src/Orleans.Coordination.Server (built when missing).
/// </summary>
public sealed class SiloFixture : ServerFixture
{
    private readonly ConcurrentQueue<string> _log = new();
    private Process? _process;

    public override string Name => "silo";

    public override int ProcessId => _process?.Id ?? throw new InvalidOperationException("the silo is not running");

    protected override async Task StartAsync(int port)
    {
        var dll = await LocateSiloAsync();
        var dataDir = Path.Combine(Directory, "data");
        System.IO.Directory.CreateDirectory(dataDir);
        string[] args =
        [
            "--clientPort", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--dataDir", dataDir,
            "--fourLetterWords", "*",
            "--extendedTypesEnabled", "true",
            "--forceSync", "false",
        ];
        // Newer silos also run an admin HTTP endpoint on a fixed port; turn it off so fixtures do not collide.
        if (!await TryStartAsync(dll, [.. args, "--admin.enabled", "false"], port))
        {
            if (!_log.Any(l => l.Contains("admin.enabled", StringComparison.Ordinal)) || !await TryStartAsync(dll, args, port))
            {
                throw new InvalidOperationException($"the silo did not start on port {port}:\n{string.Join('\n', _log)}");
            }
        }
    }

    protected override async Task StopAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }

        _process?.Dispose();
    }

    private async Task<bool> TryStartAsync(string dll, string[] args, int port)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start dotnet");
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                await process.WaitForExitAsync();
                process.Dispose();
                return false;
            }

            if (await FourLetterWordAsync(port, "ruok") == "imok")
            {
                _process = process;
                return true;
            }

            await Task.Delay(100);
        }

        process.Kill(entireProcessTree: true);
        process.Dispose();
        return false;
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _log.Enqueue(line);
        while (_log.Count > 200)
        {
            _log.TryDequeue(out _);
        }
    }

    private static async Task<string> LocateSiloAsync()
    {
        var fromEnv = Environment.GetEnvironmentVariable("COORDINATION_SILO_DLL");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return File.Exists(fromEnv) ? fromEnv : throw new FileNotFoundException("COORDINATION_SILO_DLL does not exist", fromEnv);
        }

        var root = RepositoryRoot();
        var dll = Path.Combine(root, "src", "Orleans.Coordination.Server", "bin", "Release", "net10.0", "Orleans.Coordination.Server.dll");
        if (!File.Exists(dll))
        {
            var (code, output) = await RunAsync("dotnet", ["build", "-c", "Release", Path.Combine(root, "src", "Orleans.Coordination.Server")], TimeSpan.FromMinutes(5));
            if (code != 0 || !File.Exists(dll))
            {
                throw new InvalidOperationException($"building the silo failed ({code}):\n{output}");
            }
        }

        return dll;
    }
}

using System.Diagnostics;
using System.Globalization;

namespace Orleans.Coordination.Compat.Tests.Infrastructure;

/// <summary>
/// Our silo as a real process: <c>dotnet Orleans.Coordination.Server.dll --config silo.json --key value ...</c>
/// from the Release build (built here if the dll is missing), on a free loopback port with a temporary data directory.
/// </summary>
public sealed class SiloServer() : CoordinationServer("silo")
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly object _logLock = new();
    private Process? _process;
    private StreamWriter? _log;

    public override ServerKind Kind => ServerKind.Silo;

    public int AdminPort { get; } = FreePorts.Next();

    public string LogPath => Path.Combine(Directory, "silo.log");

    public override async Task InitializeAsync()
    {
        await EnsureBuiltAsync();
        var dataDir = Path.Combine(Directory, "data");
        System.IO.Directory.CreateDirectory(dataDir);
        string[] arguments =
        [
            RepositoryPaths.ServerDll,
            "--config", RepositoryPaths.SiloConfig,
            "--serverId", "1",
            "--clientPort", Port.ToString(CultureInfo.InvariantCulture),
            "--clientAddress", "127.0.0.1",
            "--dataDir", dataDir,
            "--admin.port", AdminPort.ToString(CultureInfo.InvariantCulture),
            "--tickTime", TickTimeMs.ToString(CultureInfo.InvariantCulture),
            "--fourLetterWords", "*",
            "--extendedTypesEnabled", "true",
            "--superDigest", SuperDigest,
            "--containerCheckIntervalMs", ContainerCheckIntervalMs.ToString(CultureInfo.InvariantCulture),
        ];
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryPaths.RepositoryRoot,
        };
        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        _log = new StreamWriter(new FileStream(LogPath, FileMode.Create, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
        {
            AutoFlush = true,
        };
        Log($"$ dotnet {string.Join(' ', arguments)}");
        _process = new Process { StartInfo = psi };
        _process.OutputDataReceived += (_, e) => Log(e.Data);
        _process.ErrorDataReceived += (_, e) => Log(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        // infra/test.sh stops whatever a crashed test host leaves behind by these pid files.
        await File.WriteAllTextAsync(Path.Combine(Directory, "pid"), _process.Id.ToString(CultureInfo.InvariantCulture));

        var deadline = DateTime.UtcNow + StartTimeout;
        string? why;
        while ((why = await ZooKeeperWire.WhyNotServingAsync(Port)) is not null)
        {
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync();
                throw new InvalidOperationException(
                    $"The silo exited with code {_process.ExitCode} during startup.\n--- {LogPath} ---\n{LogTail()}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException(
                    $"The silo did not serve 127.0.0.1:{Port} within {StartTimeout.TotalSeconds} s ({why}).\n--- {LogPath} ---\n{LogTail()}");
            }

            await Task.Delay(200);
        }
    }

    public override string LogTail(int lines = 60) => Tail(LogPath, lines);

    protected override async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            // SIGTERM first so the silo can shut down cleanly; SIGKILL if it does not.
            await ProcessRunner.RunAsync("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(5));
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                ProcessRunner.Kill(_process);
                await _process.WaitForExitAsync();
            }
        }

        _process?.Dispose();
        lock (_logLock)
        {
            _log?.Dispose();
            _log = null;
        }
    }

    /// <summary>Builds the Release server unless its dll is there (after changing the server, build it yourself).</summary>
    internal static async Task EnsureBuiltAsync()
    {
        if (File.Exists(RepositoryPaths.ServerDll))
        {
            return;
        }

        var build = await ProcessRunner.RunAsync(
            "dotnet",
            ["build", "-c", "Release", RepositoryPaths.ServerProject, "-nologo"],
            TimeSpan.FromMinutes(10));
        if (build.ExitCode != 0 || !File.Exists(RepositoryPaths.ServerDll))
        {
            throw new InvalidOperationException(
                $"{RepositoryPaths.ServerDll} is missing and building it failed.\n{build.Describe()}");
        }
    }

    private void Log(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logLock)
        {
            _log?.WriteLine(line);
        }
    }
}

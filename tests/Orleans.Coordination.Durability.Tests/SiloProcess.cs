using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Orleans.Coordination.Durability.Tests;

/// <summary>A silo running as a real process (the Release build), so it can be killed with SIGKILL.</summary>
internal sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private SiloProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Orleans.Coordination.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
        }
    }

    public static string ServerDll => Path.Combine(RepoRoot, "src/Orleans.Coordination.Server/bin/Release/net10.0/Orleans.Coordination.Server.dll");

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Starts a silo on <paramref name="dataDir"/> and waits until it serves a session.</summary>
    public static async Task<SiloProcess> StartAsync(string dataDir, int port, params string[] extraArgs)
    {
        await EnsureBuiltAsync();
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { ServerDll, "--clientPort", port.ToString(), "--dataDir", dataDir, "--admin.enabled", "false", "--fourLetterWords", "*" }.Concat(extraArgs))
        {
            psi.ArgumentList.Add(a);
        }

        var p = Process.Start(psi)!;
        var silo = new SiloProcess(p, port);
        p.OutputDataReceived += (_, e) => silo.Append(e.Data);
        p.ErrorDataReceived += (_, e) => silo.Append(e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (p.HasExited)
            {
                throw new InvalidOperationException($"silo exited with {p.ExitCode}:\n{silo.Output}");
            }

            try
            {
                await using var c = await WireClient.ConnectAsync(port);
                return silo;
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                await Task.Delay(100);
            }
        }

        p.Kill(true);
        throw new TimeoutException($"silo did not serve within 60 s:\n{silo.Output}");
    }

    /// <summary>SIGKILL: no chance to flush or clean up.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    public async Task<string> FourLetterWordAsync(string word)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, Port);
        var s = tcp.GetStream();
        await s.WriteAsync(Encoding.ASCII.GetBytes(word));
        using var reader = new StreamReader(s);
        return await reader.ReadToEndAsync();
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private static readonly SemaphoreSlim BuildGate = new(1, 1);

    private static async Task EnsureBuiltAsync()
    {
        await BuildGate.WaitAsync();
        try
        {
            if (File.Exists(ServerDll))
            {
                return;
            }

            var psi = new ProcessStartInfo("dotnet", ["build", "-c", "Release", Path.Combine(RepoRoot, "src/Orleans.Coordination.Server")]) { UseShellExecute = false };
            using var build = Process.Start(psi)!;
            await build.WaitForExitAsync();
            if (build.ExitCode != 0)
            {
                throw new InvalidOperationException("building the server failed");
            }
        }
        finally
        {
            BuildGate.Release();
        }
    }
}

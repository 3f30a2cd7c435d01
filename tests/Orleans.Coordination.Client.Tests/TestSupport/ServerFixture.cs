using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Orleans.Coordination.Client.Tests.TestSupport;

/// <summary>A coordination server started for one test class: our silo or Apache ZooKeeper.</summary>
public abstract class ServerFixture : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"coord-client-tests-{Guid.NewGuid():N}");

    /// <summary>Short name used in messages ("silo", "zookeeper").</summary>
    public abstract string Name { get; }

    public int Port { get; private set; }

    /// <summary>"127.0.0.1:port".</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>The fixture's own temporary directory (removed on dispose).</summary>
    protected string Directory => _directory;

    public async Task InitializeAsync()
    {
        System.IO.Directory.CreateDirectory(_directory);
        Port = FreePort();
        await StartAsync(Port);
    }

    public async Task DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            try
            {
                System.IO.Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // A server still flushing; the OS cleans /tmp.
            }
        }
    }

    /// <summary>The server's process id.</summary>
    public abstract int ProcessId { get; }

    /// <summary>Freezes the server (SIGSTOP): connections stay open but nothing is answered.</summary>
    public Task PauseAsync() => SignalAsync("STOP");

    /// <summary>Lets a paused server run again (SIGCONT).</summary>
    public Task ResumeAsync() => SignalAsync("CONT");

    protected abstract Task StartAsync(int port);

    protected abstract Task StopAsync();

    private async Task SignalAsync(string signal)
    {
        var (code, output) = await RunAsync("kill", ["-" + signal, ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10));
        if (code != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {ProcessId} failed: {output}");
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Sends a four-letter word and returns the answer ("" when nothing answers).</summary>
    public static async Task<string> FourLetterWordAsync(int port, string word)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(word));
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var read = reader.ReadToEndAsync();
            return await read.WaitAsync(TimeSpan.FromSeconds(3));
        }
        catch (Exception e) when (e is SocketException or IOException or TimeoutException)
        {
            return "";
        }
    }

    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Orleans.Coordination.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Orleans.Coordination.sln not found above " + AppContext.BaseDirectory);
    }

    protected static async Task<(int ExitCode, string Output)> RunAsync(string fileName, IEnumerable<string> args, TimeSpan timeout, IDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', args)} did not finish within {timeout}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}

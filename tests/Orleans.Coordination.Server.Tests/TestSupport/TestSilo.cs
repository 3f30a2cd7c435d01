using Orleans.Coordination.Server.Configuration;

namespace Orleans.Coordination.Server.Tests.TestSupport;

/// <summary>
/// One in-process silo on a free port with its own temporary data directory, removed on dispose.
/// Logging is silenced so test output stays readable.
/// </summary>
public sealed class TestSilo : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    private TestSilo(SiloHost host, string dataDir)
    {
        Host = host;
        DataDir = dataDir;
    }

    public SiloHost Host { get; }

    public string DataDir { get; }

    public int Port => Host.ClientPort;

    public SiloOptions Options => Host.Options;

    /// <summary>Options every test silo starts from: port 0, a fresh data directory, every 4lw enabled.</summary>
    public static SiloOptions DefaultOptions(string dataDir) => new()
    {
        ServerId = 1,
        ClientAddress = "127.0.0.1",
        ClientPort = 0,
        DataDir = dataDir,
        FourLetterWords = ["*"],

        // Tests run many silos at once; the admin HTTP endpoint's fixed default port would collide.
        AdminEnabled = false,
    };

    public static async Task<TestSilo> StartAsync(Action<SiloOptions>? configure = null)
    {
        var dir = Path.Combine(Path.GetTempPath(), "coord-server-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var options = DefaultOptions(dir);
        configure?.Invoke(options);
        try
        {
            var host = await SiloHost.StartAsync(options, logging: _ => { }).WaitAsync(StartTimeout);
            return new TestSilo(host, dir);
        }
        catch
        {
            DeleteDir(dir);
            throw;
        }
    }

    /// <summary>Opens a new session on this silo.</summary>
    public Task<RawClient> ConnectAsync(int timeoutMs = 30_000) => RawClient.ConnectAsync(Port, timeoutMs);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Host.DisposeAsync().AsTask().WaitAsync(StopTimeout);
        }
        finally
        {
            DeleteDir(DataDir);
        }
    }

    private static void DeleteDir(string dir)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                if (Directory.Exists(dir))
                {
                    Directory.Delete(dir, recursive: true);
                }

                return;
            }
            catch (IOException)
            {
                Thread.Sleep(50);
            }
            catch (UnauthorizedAccessException)
            {
                Thread.Sleep(50);
            }
        }
    }
}

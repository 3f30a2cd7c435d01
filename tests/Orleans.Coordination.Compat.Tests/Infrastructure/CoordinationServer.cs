using System.Security.Cryptography;
using System.Text;

namespace Orleans.Coordination.Compat.Tests.Infrastructure;

/// <summary>The servers every compatibility test runs against.</summary>
public enum ServerKind
{
    /// <summary>Our silo (src/Orleans.Coordination.Server), started from its Release build.</summary>
    Silo,

    /// <summary>Apache ZooKeeper 3.8 from the Debian package, the reference behaviour.</summary>
    ApacheZooKeeper,
}

/// <summary>
/// One server process shared by every test of a collection: a free loopback port, a temporary data
/// directory, and the settings the tests assume (tickTime 2000 ms so sessions are 4000..40000 ms, every
/// four-letter word, TTL and container nodes, a container check about every second, and a super digest
/// for <see cref="SuperUser"/>:<see cref="SuperPassword"/>).
/// </summary>
public abstract class CoordinationServer : IAsyncLifetime
{
    public const string SuperUser = "super";

    public const string SuperPassword = "secret";

    public const int TickTimeMs = 2000;

    public const int ContainerCheckIntervalMs = 1000;

    private readonly TemporaryDirectory _directory;

    protected CoordinationServer(string name)
    {
        _directory = new TemporaryDirectory($"compat-{name}");
        Port = FreePorts.Next();
    }

    public abstract ServerKind Kind { get; }

    public int Port { get; }

    public string ConnectString => $"127.0.0.1:{Port}";

    /// <summary>This server's own temporary directory (config, data, log).</summary>
    public string Directory => _directory.Path;

    /// <summary>The super digest in ZooKeeper's format: super:base64(sha1("super:secret")).</summary>
    public static string SuperDigest => DigestId(SuperUser, SuperPassword);

    /// <summary>ZooKeeper's digest id for a user and password: user:base64(sha1("user:password")).</summary>
    public static string DigestId(string user, string password) =>
        user + ":" + Convert.ToBase64String(SHA1.HashData(Encoding.UTF8.GetBytes($"{user}:{password}")));

    public abstract Task InitializeAsync();

    public async Task DisposeAsync()
    {
        await StopAsync();
        _directory.Dispose();
    }

    /// <summary>The last lines of the server's log, for failure messages.</summary>
    public abstract string LogTail(int lines = 60);

    protected abstract Task StopAsync();

    protected static string Tail(string path, int lines)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
        }
        catch (IOException e)
        {
            return $"(no log at {path}: {e.Message})";
        }
    }
}

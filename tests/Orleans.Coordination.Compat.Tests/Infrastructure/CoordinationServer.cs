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

    /// <summary>Three of our silos replicating as one ensemble, started by infra/ensemble.sh.</summary>
    SiloEnsemble,
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
        : this(name, FreePorts.Next())
    {
    }

    /// <param name="name">Prefix of the temporary directory.</param>
    /// <param name="port">The client port of the (first) server.</param>
    protected CoordinationServer(string name, int port)
    {
        _directory = new TemporaryDirectory($"compat-{name}");
        Port = port;
    }

    public abstract ServerKind Kind { get; }

    /// <summary>The client port; of an ensemble, the first member's.</summary>
    public int Port { get; }

    /// <summary>What clients are given: HOST:PORT, or for an ensemble every member's, comma-separated.</summary>
    public virtual string ConnectString => $"127.0.0.1:{Port}";

    /// <summary>
    /// Whether the client programs should put the k-th client of a scenario on the (k mod n)-th server of
    /// <see cref="ConnectString"/> alone, so that one scenario's clients sit on different ensemble members.
    /// </summary>
    public virtual bool SpreadsClients => false;

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

using System.Text;
using Orleans.Coordination.Client.Tests.TestSupport;

namespace Orleans.Coordination.Client.Tests;

/// <summary>
/// The client's contract, run against every server kind: each subclass binds a server fixture, and test names
/// carry the subclass name (…_OnSilo / …_OnZooKeeper). Every test works below its own root node.
/// </summary>
public abstract partial class ClientContractTests : IAsyncLifetime
{
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly List<CoordinationClient> _clients = [];

    protected ClientContractTests(ServerFixture server)
    {
        Server = server;
        Root = "/client-tests-" + Guid.NewGuid().ToString("N")[..12];
    }

    protected ServerFixture Server { get; }

    /// <summary>This test's root node (created before the test, deleted after).</summary>
    protected string Root { get; }

    /// <summary>A connected client without chroot.</summary>
    protected CoordinationClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Client = await ConnectAsync();
        await Client.CreateAsync(Root, null).WaitAsync(Timeout);
    }

    public async Task DisposeAsync()
    {
        try
        {
            await using var cleaner = new CoordinationClient(Server.ConnectionString, TimeSpan.FromSeconds(10));
            await DeleteTreeAsync(cleaner, Root).WaitAsync(Timeout);
        }
        finally
        {
            foreach (var client in _clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    /// <summary>Deletes a test's tree; nodes whose children cannot be listed (ACL tests) are deleted as leaves.</summary>
    private static async Task DeleteTreeAsync(CoordinationClient client, string path)
    {
        try
        {
            foreach (var child in await client.GetChildrenAsync(path))
            {
                await DeleteTreeAsync(client, path + "/" + child);
            }
        }
        catch (NoAuthException)
        {
            // Not readable: only a leaf can be deleted without reading it.
        }
        catch (NoNodeException)
        {
            return;
        }

        try
        {
            await client.DeleteAsync(path);
        }
        catch (NoNodeException)
        {
            // Ephemeral, gone with its session.
        }
    }

    /// <summary>A new connected client, disposed after the test.</summary>
    protected async Task<CoordinationClient> ConnectAsync(string? chroot = null, Action<CoordinationClientOptions>? configure = null)
    {
        var client = NewClient(chroot, configure);
        await client.ConnectAsync().WaitAsync(Timeout);
        return client;
    }

    /// <summary>A new client, not yet connected, disposed after the test.</summary>
    protected CoordinationClient NewClient(string? chroot = null, Action<CoordinationClientOptions>? configure = null)
    {
        var options = new CoordinationClientOptions
        {
            ConnectionString = Server.ConnectionString + chroot,
            SessionTimeout = TimeSpan.FromSeconds(10),
            ConnectTimeout = TimeSpan.FromSeconds(20),
        };
        configure?.Invoke(options);
        var client = new CoordinationClient(options);
        _clients.Add(client);
        return client;
    }

    protected string P(string relative) => Root + "/" + relative;

    protected static byte[] B(string text) => Encoding.UTF8.GetBytes(text);

    protected static string S(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    protected static Task<T> Within<T>(Task<T> task) => task.WaitAsync(Timeout);

    protected static Task Within(Task task) => task.WaitAsync(Timeout);

    /// <summary>Polls <paramref name="condition"/> until it holds or the timeout passes.</summary>
    protected static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }

    /// <summary>Waits until the state reaches one of <paramref name="states"/>.</summary>
    protected static Task WaitForState(CoordinationClient client, params ConnectionState[] states) =>
        Eventually(() => states.Contains(client.State), $"state {string.Join("/", states)} (now {client.State})");
}

public sealed class ClientContractTests_OnSilo(SiloFixture server) : ClientContractTests(server), IClassFixture<SiloFixture>;

public sealed class ClientContractTests_OnZooKeeper(ZooKeeperFixture server) : ClientContractTests(server), IClassFixture<ZooKeeperFixture>;

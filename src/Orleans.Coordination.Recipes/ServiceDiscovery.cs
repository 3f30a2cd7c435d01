using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Coordination.Client;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Recipes.Internal;

namespace Orleans.Coordination.Recipes;

/// <summary>
/// One instance of a service, as registered with <see cref="ServiceDiscovery"/>. Stored as JSON:
/// <c>{"id":…,"name":…,"address":…,"port":…,"metadata":{…},"registeredAt":…}</c>.
/// </summary>
public sealed record ServiceInstance
{
    /// <summary>The service's name (the node below the base path); no '/'.</summary>
    public required string Name { get; init; }

    /// <summary>This instance's id, unique within the service (its node's name); a new guid by default.</summary>
    public string Id { get; init; } = Guid.NewGuid().ToString("N");

    /// <summary>Where to reach the instance (host name or IP address).</summary>
    public string? Address { get; init; }

    /// <summary>The instance's port.</summary>
    public int? Port { get; init; }

    /// <summary>Free-form key/value metadata (version, zone, weights, ...).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>When the instance was registered.</summary>
    public DateTimeOffset RegisteredAt { get; init; } = DateTimeOffset.UtcNow;
}

/// <summary>
/// Service registration and discovery (Curator's ServiceDiscovery).
/// <para>
/// <b>How.</b> An instance is an ephemeral node <c>{basePath}/{name}/{id}</c> holding the instance as JSON, so it
/// disappears when its process's session ends. Queries list and read those nodes; <see cref="WatchInstancesAsync"/>
/// adds a persistent recursive watch on <c>{basePath}/{name}</c> and yields the instance list again whenever an
/// instance comes, goes or changes, and after every reconnect (changes made while disconnected are not replayed by
/// the server, so the list is read again then).
/// </para>
/// <para>
/// <b>Guarantees.</b> A registered instance is listed while its session is alive, and stops being listed when it is
/// unregistered or its session ends (at once for a closed session, after the session timeout for a crashed process).
/// A <see cref="ServiceRegistration"/> re-registers its instance when its client renews an expired session, and a
/// registration that finds a stale node of the same id from an older session replaces it.
/// </para>
/// <code>
/// var discovery = new ServiceDiscovery(client, "/services");
/// await using var registration = await discovery.RegisterAsync(new ServiceInstance { Name = "orders", Address = "10.0.0.7", Port = 8080 });
/// IReadOnlyList&lt;ServiceInstance&gt; instances = await discovery.QueryInstancesAsync("orders");
/// await foreach (var current in discovery.WatchInstancesAsync("orders", ct)) { /* rebalance */ }
/// </code>
/// </summary>
public sealed class ServiceDiscovery
{
    private readonly CoordinationClient _client;
    private readonly ILogger _logger;

    /// <summary>Creates a discovery service below <paramref name="basePath"/>.</summary>
    public ServiceDiscovery(CoordinationClient client, string basePath = "/services", ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        BasePath = ZkPaths.Validate(basePath, nameof(basePath));
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The base path: services are its children, instances their children.</summary>
    public string BasePath { get; }

    /// <summary>The client used.</summary>
    internal CoordinationClient Client => _client;

    /// <summary>Registers <paramref name="instance"/> (replacing a stale registration of the same id) and returns a handle that unregisters it when disposed.</summary>
    public async Task<ServiceRegistration> RegisterAsync(ServiceInstance instance, CancellationToken cancellationToken = default)
    {
        await WriteAsync(instance, cancellationToken).ConfigureAwait(false);
        return new ServiceRegistration(this, instance);
    }

    /// <summary>Replaces the registered payload of <paramref name="instance"/> (same name and id).</summary>
    public async Task UpdateAsync(ServiceInstance instance, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var path = InstancePath(instance.Name, instance.Id);
        await _client.RetryAsync(ct => _client.SetDataAsync(path, Serialize(instance), -1, ct), cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes an instance; removing a missing one is harmless.</summary>
    public Task UnregisterAsync(string name, string id) => Nodes.DeleteQuietlyAsync(_client, InstancePath(name, id));

    /// <summary>The names of the services that have (or had) instances.</summary>
    public async Task<IReadOnlyList<string>> QueryNamesAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var names = await _client.RetryAsync(ct => _client.GetChildrenAsync(BasePath, ct), cancellationToken: cancellationToken).ConfigureAwait(false);
            return [.. names.Order(StringComparer.Ordinal)];
        }
        catch (NoNodeException)
        {
            return [];
        }
    }

    /// <summary>The registered instances of <paramref name="name"/>, ordered by id.</summary>
    public async Task<IReadOnlyList<ServiceInstance>> QueryInstancesAsync(string name, CancellationToken cancellationToken = default)
    {
        var servicePath = ServicePath(name);
        IReadOnlyList<string> ids;
        try
        {
            ids = await _client.RetryAsync(ct => _client.GetChildrenAsync(servicePath, ct), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (NoNodeException)
        {
            return [];
        }

        var reads = ids.Order(StringComparer.Ordinal).Select(id => QueryInstanceAsync(name, id, cancellationToken)).ToList();
        await Task.WhenAll(reads).ConfigureAwait(false);
        return [.. reads.Select(r => r.Result).OfType<ServiceInstance>()];
    }

    /// <summary>One instance, or null when it is not registered (or its payload is unreadable).</summary>
    public async Task<ServiceInstance?> QueryInstanceAsync(string name, string id, CancellationToken cancellationToken = default)
    {
        var path = InstancePath(name, id);
        try
        {
            var data = await _client.RetryAsync(ct => _client.GetDataAsync(path, ct), cancellationToken: cancellationToken).ConfigureAwait(false);
            return JsonSerializer.Deserialize(data.Data, ServiceDiscoveryJson.Default.ServiceInstance);
        }
        catch (NoNodeException)
        {
            return null;
        }
        catch (JsonException e)
        {
            _logger.LogWarning(e, "Service instance {Path} has an unreadable payload", path);
            return null;
        }
    }

    /// <summary>
    /// Yields the instances of <paramref name="name"/> now, and again after every change (coalescing bursts) and every
    /// reconnect. Ends when <paramref name="cancellationToken"/> is cancelled or the client is closed. When the session
    /// expires, a client that renews its session carries on with a new watch; one that does not throws
    /// <see cref="SessionExpiredException"/>.
    /// </summary>
    public async IAsyncEnumerable<IReadOnlyList<ServiceInstance>> WatchInstancesAsync(string name, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var servicePath = ServicePath(name);
        IReadOnlyList<ServiceInstance>? last = null;
        while (!cancellationToken.IsCancellationRequested && _client.State != ConnectionState.Closed)
        {
            PersistentWatch watch;
            try
            {
                // On a session that expired, this waits for the renewed one, or throws SessionExpiredException.
                watch = await _client.RetryAsync(ct => _client.AddWatchAsync(servicePath, AddWatchMode.PersistentRecursive, ct), cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                yield break;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                yield break;
            }

            await using (((IAsyncDisposable)watch).ConfigureAwait(false))
            {
                var current = await QueryInstancesAsync(name, cancellationToken).ConfigureAwait(false);
                if (last is null || !SameInstances(last, current))
                {
                    last = current;
                    yield return current;
                }

                while (true)
                {
                    WatchEvent e;
                    try
                    {
                        e = await watch.ReadAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (System.Threading.Channels.ChannelClosedException)
                    {
                        // The session ended (or the client closed): the outer loop decides.
                        break;
                    }
                    catch (OperationCanceledException)
                    {
                        yield break;
                    }

                    if (e.Type == EventType.None && e.State != KeeperState.SyncConnected)
                    {
                        continue;
                    }

                    // Coalesce a burst: everything already queued is covered by the one read below.
                    while (watch.TryRead(out _))
                    {
                    }

                    current = await QueryInstancesAsync(name, cancellationToken).ConfigureAwait(false);
                    if (!SameInstances(last, current))
                    {
                        last = current;
                        yield return current;
                    }
                }
            }
        }
    }

    internal async Task WriteAsync(ServiceInstance instance, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var path = InstancePath(instance.Name, instance.Id);
        var data = Serialize(instance);
        await Nodes.EnsureAsync(_client, ServicePath(instance.Name), cancellationToken).ConfigureAwait(false);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await _client.RetryAsync(ct => _client.CreateAsync(path, data, mode: CreateMode.Ephemeral, cancellationToken: ct), cancellationToken: cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (NodeExistsException) when (attempt < 5)
            {
                var stat = await _client.RetryAsync(ct => _client.ExistsAsync(path, ct), cancellationToken: cancellationToken).ConfigureAwait(false);
                if (stat is not { } s)
                {
                    continue;
                }

                if (s.EphemeralOwner == _client.SessionId)
                {
                    // Ours (a create whose reply was lost, or a second registration): refresh the payload.
                    await _client.RetryAsync(ct => _client.SetDataAsync(path, data, -1, ct), cancellationToken: cancellationToken).ConfigureAwait(false);
                    return;
                }

                // A stale node of an older session with this id: replace it.
                try
                {
                    await _client.DeleteAsync(path, s.Version, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is NoNodeException or BadVersionException)
                {
                    // Changed meanwhile; look again.
                }
            }
        }
    }

    private static bool SameInstances(IReadOnlyList<ServiceInstance> a, IReadOnlyList<ServiceInstance> b) =>
        a.Count == b.Count && a.Zip(b).All(p => Serialize(p.First).AsSpan().SequenceEqual(Serialize(p.Second)));

    private static byte[] Serialize(ServiceInstance instance) => JsonSerializer.SerializeToUtf8Bytes(instance, ServiceDiscoveryJson.Default.ServiceInstance);

    private string ServicePath(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"a service name has no '/': '{name}'", nameof(name));
        }

        return ZkPaths.Join(BasePath, name);
    }

    private string InstancePath(string name, string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        if (id.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"an instance id has no '/': '{id}'", nameof(id));
        }

        return ZkPaths.Join(ServicePath(name), id);
    }
}

/// <summary>
/// A registered <see cref="ServiceInstance"/>: re-registered when the client renews an expired session, unregistered
/// when disposed.
/// </summary>
public sealed class ServiceRegistration : IAsyncDisposable
{
    private readonly ServiceDiscovery _discovery;
    private long _sessionId;
    private int _disposed;

    internal ServiceRegistration(ServiceDiscovery discovery, ServiceInstance instance)
    {
        _discovery = discovery;
        Instance = instance;
        _sessionId = discovery.Client.SessionId;
        discovery.Client.StateChanged += OnStateChanged;
    }

    /// <summary>The registered instance.</summary>
    public ServiceInstance Instance { get; }

    /// <summary>Unregisters the instance.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _discovery.Client.StateChanged -= OnStateChanged;
            await _discovery.UnregisterAsync(Instance.Name, Instance.Id).ConfigureAwait(false);
        }
    }

    private void OnStateChanged(object? sender, ConnectionStateChangedEventArgs e)
    {
        if (e.State is ConnectionState.Connected or ConnectionState.Reconnected && e.SessionId != Interlocked.Read(ref _sessionId) && e.SessionId != 0)
        {
            Interlocked.Exchange(ref _sessionId, e.SessionId);
            _ = Task.Run(async () =>
            {
                try
                {
                    if (Volatile.Read(ref _disposed) == 0)
                    {
                        await _discovery.WriteAsync(Instance, CancellationToken.None).ConfigureAwait(false);
                    }
                }
                catch (Exception)
                {
                    // The next renewal tries again; nothing else can be done here.
                }
            });
        }
    }
}

/// <summary>JSON of service instances (source-generated, camelCase).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ServiceInstance))]
internal sealed partial class ServiceDiscoveryJson : JsonSerializerContext;

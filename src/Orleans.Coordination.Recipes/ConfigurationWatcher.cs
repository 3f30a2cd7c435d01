using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Orleans.Coordination.Client;

namespace Orleans.Coordination.Recipes;

/// <summary>Arguments of <see cref="ConfigurationWatcher.Changed"/>.</summary>
/// <param name="Previous">The data before (null: the node did not exist).</param>
/// <param name="Current">The data now (null: the node does not exist).</param>
public sealed record ConfigurationChangedEventArgs(byte[]? Previous, byte[]? Current);

/// <summary>
/// Watches one node that holds configuration and exposes its current value and change notifications; the data behind
/// <see cref="CoordinationConfigurationExtensions.AddCoordinationJson(Microsoft.Extensions.Configuration.IConfigurationBuilder, ConfigurationWatcher, bool)"/>.
/// <para>
/// <b>How.</b> A <see cref="NodeCache"/> on the node (a persistent watch, the node re-read after every change and
/// every reconnect). <see cref="GetReloadToken"/> gives an <see cref="IChangeToken"/> that fires on the next change,
/// as Microsoft.Extensions.Configuration expects.
/// </para>
/// <para>
/// <b>Guarantees.</b> <see cref="Current"/> only moves forward; <see cref="Changed"/> is raised once per observed
/// version, in order. After a disconnect the value may be stale until the re-read (see <see cref="IsSynchronized"/>).
/// </para>
/// <code>
/// await using var watcher = new ConfigurationWatcher(client, "/config/orders");
/// await watcher.StartAsync();
/// var settings = watcher.Get&lt;OrderSettings&gt;();
/// watcher.Changed += (_, _) => settings = watcher.Get&lt;OrderSettings&gt;();
/// </code>
/// </summary>
public sealed class ConfigurationWatcher : IAsyncDisposable
{
    private readonly NodeCache _cache;
    private readonly Lock _lock = new();
    private CancellationTokenSource _reload = new();
    private int _started;

    /// <summary>Creates a watcher of <paramref name="path"/> (which need not exist); call <see cref="StartAsync"/>.</summary>
    public ConfigurationWatcher(CoordinationClient client, string path, ILogger? logger = null)
    {
        _cache = new NodeCache(client, path, logger);
        _cache.Changed += OnChanged;
    }

    /// <summary>The watched node.</summary>
    public string Path => _cache.Path;

    /// <summary>Whether <see cref="StartAsync"/> has completed.</summary>
    public bool IsStarted => Volatile.Read(ref _started) == 2;

    /// <summary>The node's data, or null when it does not exist.</summary>
    public byte[]? Current => _cache.Current?.Data;

    /// <summary>The node's data version, or -1 when it does not exist.</summary>
    public int Version => _cache.Current?.Stat.Version ?? -1;

    /// <summary>The node's data as UTF-8 text, or null when it does not exist.</summary>
    public string? CurrentText => Current is { } data ? Encoding.UTF8.GetString(data) : null;

    /// <summary>Whether the value is in step with the server.</summary>
    public bool IsSynchronized => _cache.IsSynchronized;

    /// <summary>Raised for every new version of the node, in order.</summary>
    public event EventHandler<ConfigurationChangedEventArgs>? Changed;

    /// <summary>Reads the node and starts watching it. Returns after the first read.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _started, 1, 0) != 0)
        {
            throw new InvalidOperationException("the watcher was already started");
        }

        try
        {
            await _cache.StartAsync(cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _started, 2);
        }
        catch
        {
            Volatile.Write(ref _started, 0);
            throw;
        }
    }

    /// <summary>The node's data deserialized from JSON, or default when the node does not exist or is empty.</summary>
    public T? Get<T>(JsonSerializerOptions? options = null)
    {
        var data = Current;
        return data is null || data.Length == 0 ? default : JsonSerializer.Deserialize<T>(data, options ?? JsonSerializerOptions.Web);
    }

    /// <summary>A token that fires at the next change.</summary>
    public IChangeToken GetReloadToken()
    {
        lock (_lock)
        {
            return new CancellationChangeToken(_reload.Token);
        }
    }

    /// <summary>Stops watching.</summary>
    public ValueTask DisposeAsync() => _cache.DisposeAsync();

    private void OnChanged(object? sender, NodeCacheChangedEventArgs e)
    {
        CancellationTokenSource fired;
        lock (_lock)
        {
            fired = _reload;
            _reload = new CancellationTokenSource();
        }

        Changed?.Invoke(this, new ConfigurationChangedEventArgs(e.Previous?.Data, e.Current?.Data));
        fired.Cancel();
    }
}

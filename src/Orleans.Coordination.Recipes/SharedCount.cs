using System.Buffers.Binary;
using Orleans.Coordination.Client;
using Orleans.Coordination.Recipes.Internal;

namespace Orleans.Coordination.Recipes;

/// <summary>A value with the node version it was read at, for compare-and-set.</summary>
/// <param name="Version">The node's data version.</param>
/// <param name="Value">The value.</param>
public readonly record struct VersionedValue<T>(int Version, T Value);

/// <summary>
/// An integer shared by every process, kept in one node and cached locally (Curator's SharedCount).
/// <para>
/// <b>How.</b> The value is 4 bytes, big-endian. <see cref="StartAsync"/> creates the node with the seed value when it
/// is missing and starts a <see cref="NodeCache"/> on it; <see cref="TrySetCountAsync"/> writes with the version the
/// caller read (compare-and-set) and fails when someone else wrote first.
/// </para>
/// <para>
/// <b>Guarantees.</b> A successful <see cref="TrySetCountAsync"/> replaced exactly the version it was given, so
/// read-modify-write loops never lose an update. <see cref="Count"/> and <see cref="CountChanged"/> follow the node as
/// the <see cref="NodeCache"/> does (in order; fast successive writes may be seen only as the last).
/// </para>
/// <code>
/// await using var shared = new SharedCount(client, "/counts/workers", seedValue: 0);
/// await shared.StartAsync();
/// var seen = await shared.GetAsync();
/// bool won = await shared.TrySetCountAsync(seen, seen.Value + 1);
/// </code>
/// </summary>
public sealed class SharedCount : IAsyncDisposable
{
    private readonly CoordinationClient _client;
    private readonly NodeCache _cache;
    private readonly int _seedValue;

    /// <summary>Creates a shared count on <paramref name="path"/>, created with <paramref name="seedValue"/> when missing.</summary>
    public SharedCount(CoordinationClient client, string path, int seedValue)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        Path = ZkPaths.Validate(path, nameof(path));
        _seedValue = seedValue;
        _cache = new NodeCache(client, path);
        _cache.Changed += (_, e) =>
        {
            if (e.Current is { } current)
            {
                CountChanged?.Invoke(this, new VersionedValue<int>(current.Stat.Version, Decode(current.Data)));
            }
        };
    }

    /// <summary>The count's node.</summary>
    public string Path { get; }

    /// <summary>The cached value (the seed until the node was read).</summary>
    public int Count => VersionedValue.Value;

    /// <summary>The cached value with its version.</summary>
    public VersionedValue<int> VersionedValue => _cache.Current is { } c ? new VersionedValue<int>(c.Stat.Version, Decode(c.Data)) : new VersionedValue<int>(-1, _seedValue);

    /// <summary>Raised with each new value seen, in order, from the cache's loop.</summary>
    public event EventHandler<VersionedValue<int>>? CountChanged;

    /// <summary>Creates the node if missing and starts following it.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await Nodes.EnsureAsync(_client, ZkPaths.Parent(Path), cancellationToken).ConfigureAwait(false);
        try
        {
            await _client.CreateAsync(Path, Encode(_seedValue), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (NodeExistsException)
        {
            // Someone seeded it already.
        }

        await _cache.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads the value and its version from the server.</summary>
    public async Task<VersionedValue<int>> GetAsync(CancellationToken cancellationToken = default)
    {
        var data = await _client.RetryAsync(ct => _client.GetDataAsync(Path, ct), cancellationToken: cancellationToken).ConfigureAwait(false);
        return new VersionedValue<int>(data.Stat.Version, Decode(data.Data));
    }

    /// <summary>Sets <paramref name="newCount"/> if the node is still at <paramref name="previous"/>'s version; false when someone wrote first.</summary>
    public async Task<bool> TrySetCountAsync(VersionedValue<int> previous, int newCount, CancellationToken cancellationToken = default)
    {
        try
        {
            await _client.SetDataAsync(Path, Encode(newCount), previous.Version, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (BadVersionException)
        {
            return false;
        }
    }

    /// <summary>Sets <paramref name="newCount"/> whatever the current value.</summary>
    public Task SetCountAsync(int newCount, CancellationToken cancellationToken = default) =>
        _client.RetryAsync(ct => _client.SetDataAsync(Path, Encode(newCount), -1, ct), cancellationToken: cancellationToken);

    /// <summary>Stops following the node.</summary>
    public ValueTask DisposeAsync() => _cache.DisposeAsync();

    private static int Decode(byte[] data) => data.Length >= 4 ? BinaryPrimitives.ReadInt32BigEndian(data) : 0;

    private static byte[] Encode(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }
}

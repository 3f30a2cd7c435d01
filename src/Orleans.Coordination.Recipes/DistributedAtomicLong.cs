using System.Buffers.Binary;
using Orleans.Coordination.Client;
using Orleans.Coordination.Recipes.Internal;

namespace Orleans.Coordination.Recipes;

/// <summary>The outcome of an atomic operation: whether it applied, and the values before and after it.</summary>
/// <param name="Succeeded">Whether the value was changed (false: a compare-and-set found another value, or retries ran out).</param>
/// <param name="PreValue">The value read before the operation.</param>
/// <param name="PostValue">The value after the operation (equal to <paramref name="PreValue"/> when it did not apply).</param>
public readonly record struct AtomicValue<T>(bool Succeeded, T PreValue, T PostValue);

/// <summary>
/// A 64-bit counter stored in one node (Curator's DistributedAtomicLong), changed with optimistic concurrency.
/// <para>
/// <b>How.</b> The value is 8 bytes, big-endian (a missing or empty node reads as 0). Every change reads the value
/// and its version, computes the new value and writes it with that version; if another writer was first
/// (<see cref="BadVersionException"/>) it reads again and retries, with backoff, up to <see cref="MaxAttempts"/> times.
/// </para>
/// <para>
/// <b>Guarantees.</b> Each successful change applies exactly once, on top of the value it read, so concurrent
/// increments never lose updates. <see cref="AtomicValue{T}.Succeeded"/> is false when the attempts ran out under
/// contention. If the connection drops during a write its outcome is unknown and <see cref="ConnectionLossException"/>
/// is thrown rather than retried, since retrying could apply the change twice.
/// </para>
/// <code>
/// var counter = new DistributedAtomicLong(client, "/counters/orders");
/// AtomicValue&lt;long&gt; result = await counter.IncrementAsync();
/// if (result.Succeeded) Console.WriteLine($"{result.PreValue} -> {result.PostValue}");
/// </code>
/// </summary>
public sealed class DistributedAtomicLong
{
    private readonly CoordinationClient _client;

    /// <summary>Creates a counter on <paramref name="path"/> (created on first write).</summary>
    /// <param name="client">The client.</param>
    /// <param name="path">The counter's node.</param>
    /// <param name="maxAttempts">Optimistic attempts per operation before it reports failure.</param>
    public DistributedAtomicLong(CoordinationClient client, string path, int maxAttempts = 100)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        _client = client;
        Path = ZkPaths.Validate(path, nameof(path));
        MaxAttempts = maxAttempts;
    }

    /// <summary>The counter's node.</summary>
    public string Path { get; }

    /// <summary>Optimistic attempts per operation.</summary>
    public int MaxAttempts { get; }

    /// <summary>The current value (0 when the node does not exist).</summary>
    public async Task<long> GetAsync(CancellationToken cancellationToken = default) =>
        (await ReadAsync(cancellationToken).ConfigureAwait(false)).Value;

    /// <summary>Adds one.</summary>
    public Task<AtomicValue<long>> IncrementAsync(CancellationToken cancellationToken = default) => AddAsync(1, cancellationToken);

    /// <summary>Subtracts one.</summary>
    public Task<AtomicValue<long>> DecrementAsync(CancellationToken cancellationToken = default) => AddAsync(-1, cancellationToken);

    /// <summary>Adds <paramref name="delta"/> (wrapping on overflow).</summary>
    public Task<AtomicValue<long>> AddAsync(long delta, CancellationToken cancellationToken = default) =>
        UpdateAsync(v => unchecked(v + delta), cancellationToken);

    /// <summary>Sets <paramref name="newValue"/> whatever the current value is (still versioned, so never lost between a read and a write).</summary>
    public Task<AtomicValue<long>> SetAsync(long newValue, CancellationToken cancellationToken = default) =>
        UpdateAsync(_ => newValue, cancellationToken);

    /// <summary>Sets <paramref name="newValue"/> only if the value is <paramref name="expectedValue"/>; a single attempt decides.</summary>
    public async Task<AtomicValue<long>> CompareAndSetAsync(long expectedValue, long newValue, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var (current, version) = await ReadAsync(cancellationToken).ConfigureAwait(false);
            if (current != expectedValue)
            {
                return new AtomicValue<long>(false, current, current);
            }

            if (await TryWriteAsync(newValue, version, cancellationToken).ConfigureAwait(false))
            {
                return new AtomicValue<long>(true, current, newValue);
            }

            // The value changed under us (maybe back to the expected one): look again.
        }

        var last = await GetAsync(cancellationToken).ConfigureAwait(false);
        return new AtomicValue<long>(false, last, last);
    }

    /// <summary>Applies <paramref name="update"/> to the current value atomically, retrying on contention.</summary>
    public async Task<AtomicValue<long>> UpdateAsync(Func<long, long> update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        long current = 0;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            if (attempt > 0)
            {
                // Back off a little (randomized) so that contenders do not collide in lockstep.
                await Task.Delay(Random.Shared.Next(0, Math.Min(50, 1 + (attempt * 2))), cancellationToken).ConfigureAwait(false);
            }

            (current, var version) = await ReadAsync(cancellationToken).ConfigureAwait(false);
            var next = update(current);
            if (await TryWriteAsync(next, version, cancellationToken).ConfigureAwait(false))
            {
                return new AtomicValue<long>(true, current, next);
            }
        }

        return new AtomicValue<long>(false, current, current);
    }

    /// <summary>The value and version; version -1 when the node does not exist.</summary>
    private async Task<(long Value, int Version)> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            var data = await _client.RetryAsync(ct => _client.GetDataAsync(Path, ct), cancellationToken: cancellationToken).ConfigureAwait(false);
            return (Decode(data.Data), data.Stat.Version);
        }
        catch (NoNodeException)
        {
            return (0, -1);
        }
    }

    /// <summary>Writes with the version read (creating the node when it was missing); false when someone was first.</summary>
    private async Task<bool> TryWriteAsync(long value, int version, CancellationToken cancellationToken)
    {
        var bytes = Encode(value);
        try
        {
            if (version < 0)
            {
                await Nodes.EnsureAsync(_client, ZkPaths.Parent(Path), cancellationToken).ConfigureAwait(false);
                await _client.CreateAsync(Path, bytes, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await _client.SetDataAsync(Path, bytes, version, cancellationToken).ConfigureAwait(false);
            }

            return true;
        }
        catch (Exception e) when (e is BadVersionException or NodeExistsException or NoNodeException)
        {
            return false;
        }
    }

    internal static long Decode(byte[] data) => data.Length >= 8 ? BinaryPrimitives.ReadInt64BigEndian(data) : 0;

    internal static byte[] Encode(long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, value);
        return bytes;
    }
}

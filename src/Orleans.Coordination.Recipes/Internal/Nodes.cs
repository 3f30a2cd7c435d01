using Orleans.Coordination.Client;
using Orleans.Coordination.Protocol;

namespace Orleans.Coordination.Recipes.Internal;

/// <summary>Node operations the recipes share: protected sequential creates and careful deletes.</summary>
internal static class Nodes
{
    /// <summary>How protected node names begin: <c>_c_{guid}-</c>, so that a create lost with the connection can be found again.</summary>
    public const string ProtectedPrefix = "_c_";

    /// <summary>
    /// Creates a sequential node named <c>_c_{guid}-{name}NNNNNNNNNN</c> below <paramref name="parent"/> (created
    /// when missing). When the connection drops while the create is on the wire the outcome is unknown, so the
    /// children are searched for the guid before trying again: a node is never created twice, nor orphaned.
    /// The create itself is not cancellable (a cancelled create could still be applied and leave an orphan).
    /// </summary>
    public static async Task<string> CreateProtectedAsync(CoordinationClient client, string parent, string name, byte[]? data, CreateMode mode, CancellationToken cancellationToken)
    {
        var prefix = ProtectedPrefix + Guid.NewGuid().ToString("N") + "-";
        var path = ZkPaths.Join(parent, prefix + name);
        for (var attempt = 0; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                return await client.CreateAsync(path, data, mode: mode).ConfigureAwait(false);
            }
            catch (NoNodeException) when (attempt < 5)
            {
                await client.RetryAsync(ct => client.EnsurePathAsync(parent, cancellationToken: ct), cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (KeeperException e) when (attempt < 10 && e is ConnectionLossException or OperationTimeoutException)
            {
                var children = await client.RetryAsync(ct => client.GetChildrenAsync(parent, ct), cancellationToken: cancellationToken).ConfigureAwait(false);
                var found = children.FirstOrDefault(c => c.StartsWith(prefix, StringComparison.Ordinal));
                if (found is not null)
                {
                    return ZkPaths.Join(parent, found);
                }
            }
        }
    }

    /// <summary>Ensures <paramref name="path"/> exists, retrying through connection loss.</summary>
    public static Task EnsureAsync(CoordinationClient client, string path, CancellationToken cancellationToken) =>
        client.RetryAsync(ct => client.EnsurePathAsync(path, cancellationToken: ct), cancellationToken: cancellationToken);

    /// <summary>
    /// Deletes a node if it is there, retrying through connection loss. A missing node, an expired session or a
    /// disposed client all mean the node is gone or going (ephemeral), so they are not errors.
    /// </summary>
    public static async Task DeleteQuietlyAsync(CoordinationClient client, string path, int version = -1)
    {
        try
        {
            await client.RetryAsync(async ct =>
            {
                try
                {
                    await client.DeleteAsync(path, version, ct).ConfigureAwait(false);
                }
                catch (NoNodeException)
                {
                    // Already gone.
                }
            }).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SessionExpiredException or ObjectDisposedException)
        {
            // The session is gone, and its ephemeral nodes with it.
        }
    }

    /// <summary>Whether the exception means the session (and so every ephemeral node of it) is gone.</summary>
    public static bool IsSessionGone(Exception e) => e is SessionExpiredException or ObjectDisposedException;
}

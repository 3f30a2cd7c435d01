using System.Text;
using Orleans.Coordination.Client;

namespace Orleans.Coordination.TestingHost.Tests;

/// <summary>What the tests do through the client, with bounded retries where a failover may interrupt a request.</summary>
internal static class ClientSteps
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    public static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    public static string Text(byte[] b) => Encoding.UTF8.GetString(b);

    /// <summary>
    /// Creates a node, retrying connection loss until <see cref="Wait"/>. A create whose reply was lost may have been
    /// applied, so NodeExists after a loss counts as success.
    /// </summary>
    public static async Task CreateSurvivingFailoverAsync(CoordinationClient client, string path, string data)
    {
        var deadline = DateTime.UtcNow + Wait;
        var lost = false;
        while (true)
        {
            try
            {
                await client.CreateAsync(path, Bytes(data)).WaitAsync(Wait);
                return;
            }
            catch (NodeExistsException) when (lost)
            {
                return;
            }
            catch (ConnectionLossException) when (DateTime.UtcNow < deadline)
            {
                lost = true;
                await Task.Delay(100);
            }
        }
    }

    /// <summary>Reads a node on one silo only, after a sync so that the silo has caught up with the leader.</summary>
    public static async Task<string?> ReadOnSiloAsync(TestCluster cluster, int id, string path)
    {
        await using var client = await cluster.CreateClientAsync(o => o.ConnectionString = cluster.ConnectionStringFor(id));
        await client.SyncAsync(path).WaitAsync(Wait);
        return await client.ExistsAsync(path).WaitAsync(Wait) is null ? null : Text((await client.GetDataAsync(path).WaitAsync(Wait)).Data);
    }
}

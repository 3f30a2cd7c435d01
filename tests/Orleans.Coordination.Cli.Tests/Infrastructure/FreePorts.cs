using System.Net;
using System.Net.Sockets;

namespace Orleans.Coordination.Cli.Tests.Infrastructure;

/// <summary>Loopback ports nothing listens on right now (the OS's ephemeral range, so other test runs do not collide).</summary>
internal static class FreePorts
{
    private static readonly Lock Gate = new();
    private static readonly HashSet<int> Handed = [];

    public static int Next()
    {
        lock (Gate)
        {
            while (true)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                if (port > 1024 && Handed.Add(port))
                {
                    return port;
                }
            }
        }
    }

    /// <summary>
    /// <paramref name="count"/> bases such that base+1..base+<paramref name="size"/> are all free (ensemble.sh gives silo i
    /// the port base+i). Picked below the ephemeral range, so outgoing connections do not take them meanwhile.
    /// </summary>
    public static int[] Blocks(int count, int size)
    {
        lock (Gate)
        {
            var bases = new List<int>();
            while (bases.Count < count)
            {
                var b = Random.Shared.Next(20_000, 32_000 - size);
                var ports = Enumerable.Range(b + 1, size).ToList();
                if (ports.All(p => !Handed.Contains(p) && IsFree(p)))
                {
                    ports.ForEach(p => Handed.Add(p));
                    bases.Add(b);
                }
            }

            return [.. bases];
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

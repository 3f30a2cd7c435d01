using System.Net;
using System.Net.Sockets;

namespace Orleans.Coordination.Compat.Tests.Infrastructure;

/// <summary>Loopback ports nobody listens on right now.</summary>
public static class FreePorts
{
    private static readonly HashSet<int> Handed = [];

    /// <summary>A port the OS considers free, never the same one twice in this process.</summary>
    public static int Next()
    {
        lock (Handed)
        {
            while (true)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                if (Handed.Add(port))
                {
                    return port;
                }
            }
        }
    }

    /// <summary>
    /// A base such that base+1..base+<paramref name="size"/> are free and were never handed out (infra/ensemble.sh gives
    /// silo i the port base+i). Drawn from 10000..20000, below Linux's ephemeral range (so outgoing connections do not
    /// take them in the meantime) and apart from the range the CLI tests draw their ensembles from.
    /// </summary>
    public static int Block(int size)
    {
        lock (Handed)
        {
            while (true)
            {
                var candidate = Random.Shared.Next(10_000, 20_000 - size);
                var ports = Enumerable.Range(candidate + 1, size).ToList();
                if (ports.All(p => !Handed.Contains(p) && IsFree(p)))
                {
                    ports.ForEach(p => Handed.Add(p));
                    return candidate;
                }
            }
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

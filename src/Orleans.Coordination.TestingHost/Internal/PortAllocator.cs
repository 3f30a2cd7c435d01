using System.Net;
using System.Net.Sockets;

namespace Orleans.Coordination.TestingHost.Internal;

/// <summary>
/// Hands out loopback ports for silos. A member's ports must stay fixed across restarts (every member's
/// configuration names them), so they are chosen below the usual ephemeral ranges (Linux 32768+, Windows and
/// macOS 49152+): an outgoing connection of this or another process then cannot take a killed silo's port before it
/// restarts. Ports handed out stay reserved in this process until released, so concurrent clusters never share one.
/// </summary>
internal static class PortAllocator
{
    private const int Low = 20_000;
    private const int High = 32_000;
    private const int Attempts = 500;
    private static readonly HashSet<int> Reserved = [];

    public static int[] Allocate(int count)
    {
        var ports = new int[count];
        lock (Reserved)
        {
            for (var i = 0; i < count; i++)
            {
                ports[i] = AllocateOne();
                Reserved.Add(ports[i]);
            }
        }

        return ports;
    }

    public static void Release(IEnumerable<int> ports)
    {
        lock (Reserved)
        {
            Reserved.ExceptWith(ports);
        }
    }

    private static int AllocateOne()
    {
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var port = Random.Shared.Next(Low, High);
            if (!Reserved.Contains(port) && IsFree(port))
            {
                return port;
            }
        }

        // The range is crowded: fall back to a port the operating system picks (it may be ephemeral).
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

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
}

using System.Net;
using System.Net.Sockets;

namespace Orleans.Coordination.Ensemble.Tests.Infrastructure;

/// <summary>
/// Port bases for infra/ensemble.sh, which gives silo i the port base+i: each base is chosen so that base+1..base+size
/// are free now. They lie below the ephemeral range, so outgoing connections do not take them while the ensemble runs.
/// </summary>
internal static class FreePorts
{
    private static readonly Lock Gate = new();
    private static readonly HashSet<int> Handed = [];

    public static int[] Bases(int count, int size)
    {
        lock (Gate)
        {
            var bases = new List<int>();
            while (bases.Count < count)
            {
                var candidate = Random.Shared.Next(20_000, 32_000 - size);
                var ports = Enumerable.Range(candidate + 1, size).ToList();
                if (ports.All(p => !Handed.Contains(p) && IsFree(p)))
                {
                    ports.ForEach(p => Handed.Add(p));
                    bases.Add(candidate);
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

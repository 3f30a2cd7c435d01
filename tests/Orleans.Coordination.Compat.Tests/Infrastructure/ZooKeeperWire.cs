using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Orleans.Coordination.Compat.Tests.Infrastructure;

/// <summary>
/// Minimal raw-socket access to a ZooKeeper-protocol server: four-letter words, as `nc` sends them, and a
/// readiness probe (handshake, getChildren "/", closeSession). Infrastructure only; the tests use real clients.
/// </summary>
public static class ZooKeeperWire
{
    /// <summary>Sends a four-letter word and returns everything the server writes before closing.</summary>
    public static async Task<string> FourLetterWordAsync(int port, string word, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port, cts.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(word), cts.Token);
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        while (true)
        {
            int read;
            try
            {
                read = await stream.ReadAsync(chunk, cts.Token);
            }
            catch (IOException)
            {
                // Reset by the server after it wrote everything.
                break;
            }

            if (read == 0)
            {
                break;
            }

            buffer.Write(chunk, 0, read);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Null when the server answers ruok and serves a session; otherwise why not.</summary>
    public static async Task<string?> WhyNotServingAsync(int port)
    {
        try
        {
            var ruok = await FourLetterWordAsync(port, "ruok", TimeSpan.FromSeconds(3));
            if (ruok != "imok")
            {
                return $"ruok answered '{ruok}'";
            }

            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port, cts.Token);
            var stream = client.GetStream();

            // ConnectRequest: protocolVersion, lastZxidSeen, timeOut, sessionId, passwd (16 zero bytes), readOnly.
            var connect = new byte[4 + 45];
            BinaryPrimitives.WriteInt32BigEndian(connect, 45);
            BinaryPrimitives.WriteInt32BigEndian(connect.AsSpan(16), 10000);
            BinaryPrimitives.WriteInt32BigEndian(connect.AsSpan(28), 16);
            await stream.WriteAsync(connect, cts.Token);
            var response = await ReadFrameAsync(stream, cts.Token);
            var negotiated = BinaryPrimitives.ReadInt32BigEndian(response.AsSpan(4));
            if (negotiated <= 0)
            {
                return $"handshake refused (timeOut={negotiated})";
            }

            // getChildren("/", watch=false) with xid 1.
            var request = new byte[4 + 8 + 4 + 1 + 1];
            BinaryPrimitives.WriteInt32BigEndian(request, request.Length - 4);
            BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(4), 1);
            BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(8), 8);
            BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(12), 1);
            request[16] = (byte)'/';
            await stream.WriteAsync(request, cts.Token);
            var reply = await ReadFrameAsync(stream, cts.Token);
            var xid = BinaryPrimitives.ReadInt32BigEndian(reply);
            var err = BinaryPrimitives.ReadInt32BigEndian(reply.AsSpan(12));
            if (xid != 1 || err != 0)
            {
                return $"getChildren / answered xid={xid} err={err}";
            }

            // closeSession, so probes leave no sessions behind.
            var close = new byte[12];
            BinaryPrimitives.WriteInt32BigEndian(close, 8);
            BinaryPrimitives.WriteInt32BigEndian(close.AsSpan(4), 2);
            BinaryPrimitives.WriteInt32BigEndian(close.AsSpan(8), -11);
            await stream.WriteAsync(close, cts.Token);
            try
            {
                await ReadFrameAsync(stream, cts.Token);
            }
            catch (IOException)
            {
            }

            return null;
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return $"not serving: {e.Message}";
        }
    }

    private static async Task<byte[]> ReadFrameAsync(NetworkStream stream, CancellationToken cancellation)
    {
        var header = new byte[4];
        await stream.ReadExactlyAsync(header, cancellation);
        var length = BinaryPrimitives.ReadInt32BigEndian(header);
        if (length is < 0 or > 1 << 20)
        {
            throw new IOException($"bad frame length {length}");
        }

        var payload = new byte[length];
        await stream.ReadExactlyAsync(payload, cancellation);
        return payload;
    }
}

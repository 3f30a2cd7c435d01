using System.Threading.Channels;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.Client.Internal;

internal sealed partial class ServerConnection
{
    private async Task WriteLoopAsync(IReadOnlyList<Packet> first, ChannelReader<Packet> outgoing, TimeSpan pingInterval)
    {
        var token = _abort.Token;
        using var buffer = new JuteWriter(4096);
        try
        {
            foreach (var packet in first)
            {
                Append(buffer, packet);
            }

            if (buffer.Length > 0)
            {
                await FlushAsync(buffer, token).ConfigureAwait(false);
            }

            while (!token.IsCancellationRequested)
            {
                if (!outgoing.TryRead(out var packet))
                {
                    var wait = pingInterval - TimeSpan.FromMilliseconds(Environment.TickCount64 - Volatile.Read(ref _lastSend));
                    if (wait <= TimeSpan.Zero)
                    {
                        Append(buffer, PingPacket);
                        await FlushAsync(buffer, token).ConfigureAwait(false);
                        continue;
                    }

                    using var timer = CancellationTokenSource.CreateLinkedTokenSource(token);
                    timer.CancelAfter(wait);
                    try
                    {
                        await outgoing.WaitToReadAsync(timer.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!token.IsCancellationRequested)
                    {
                        // Idle long enough to ping; the next turn sends it.
                    }

                    continue;
                }

                Append(buffer, packet);
                while (buffer.Length < MaxBatchBytes && outgoing.TryRead(out packet))
                {
                    Append(buffer, packet);
                }

                if (buffer.Length > 0)
                {
                    await FlushAsync(buffer, token).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e)
        {
            Abort(e);
        }
    }

    /// <summary>Queues the packet for its reply, then serializes it; a packet for a dead connection fails at once.</summary>
    private void Append(JuteWriter buffer, Packet packet)
    {
        if (packet.IsCompleted)
        {
            return;
        }

        packet.Xid = packet.Kind switch
        {
            PacketKind.Auth => Xids.Auth,
            PacketKind.Ping => Xids.Ping,
            _ => _owner.NextXid(),
        };

        lock (_lock)
        {
            if (_dead)
            {
                packet.Fail(new ConnectionLossException(packet.Path, $"Connection to {EndPoint.Host}:{EndPoint.Port} lost"));
                return;
            }

            // Queued before the bytes leave, so the reply can never arrive before its packet is pending.
            if (packet.Kind == PacketKind.Request)
            {
                _pending.Enqueue(packet);
            }
            else if (packet.Kind == PacketKind.Auth)
            {
                _authPending.Enqueue(packet);
            }
        }

        var frame = buffer.BeginFrame();
        new RequestHeader(packet.Xid, packet.Op).Write(buffer);
        packet.Request?.Write(buffer);
        buffer.EndFrame(frame);
    }

    private async Task FlushAsync(JuteWriter buffer, CancellationToken token)
    {
        await _stream.WriteAsync(buffer.WrittenMemory, token).ConfigureAwait(false);
        buffer.Clear();
        Volatile.Write(ref _lastSend, Environment.TickCount64);
    }
}

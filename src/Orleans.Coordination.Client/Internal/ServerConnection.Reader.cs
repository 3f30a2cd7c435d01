using System.Buffers;
using System.IO.Pipelines;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Framing;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.Client.Internal;

internal sealed partial class ServerConnection
{
    private async Task ReadLoopAsync(TimeSpan readTimeout)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
        try
        {
            while (true)
            {
                timeout.CancelAfter(readTimeout);
                ReadResult result;
                try
                {
                    result = await _input.ReadAsync(timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!_abort.IsCancellationRequested)
                {
                    throw new TimeoutException($"nothing heard from {EndPoint.Host}:{EndPoint.Port} for {readTimeout}");
                }

                var buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    Volatile.Write(ref _lastReceive, Environment.TickCount64);
                }

                while (true)
                {
                    var status = FrameDecoder.TryReadFrame(ref buffer, _maxFrameLength, out var payload, out var length);
                    if (status == FrameStatus.Incomplete)
                    {
                        break;
                    }

                    if (status == FrameStatus.Invalid)
                    {
                        throw new IOException($"invalid frame length {length} (limit {_maxFrameLength})");
                    }

                    HandleFrame(payload);
                }

                _input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    throw new IOException("the server closed the connection");
                }
            }
        }
        catch (Exception e)
        {
            Abort(e);
        }
    }

    private void HandleFrame(ReadOnlySequence<byte> payload)
    {
        byte[]? rented = null;
        try
        {
            ReadOnlySpan<byte> span;
            if (payload.IsSingleSegment)
            {
                span = payload.FirstSpan;
            }
            else
            {
                rented = ArrayPool<byte>.Shared.Rent((int)payload.Length);
                payload.CopyTo(rented);
                span = rented.AsSpan(0, (int)payload.Length);
            }

            var reader = new JuteReader(span, _maxFrameLength);
            var header = ReplyHeader.Read(ref reader);
            switch (header.Xid)
            {
                case Xids.Ping:
                    return;
                case Xids.Notification:
                    _owner.OnNotification(WatcherEvent.Read(ref reader));
                    return;
                case Xids.Auth:
                    // The Java server answers auth as soon as it reads it, possibly ahead of earlier requests,
                    // so auth replies have their own queue.
                    Packet? auth;
                    lock (_lock)
                    {
                        _authPending.TryDequeue(out auth);
                    }

                    auth?.Complete(header, ref reader);
                    return;
            }

            Packet? packet;
            lock (_lock)
            {
                _pending.TryDequeue(out packet);
            }

            if (packet is null)
            {
                throw new IOException($"reply with xid {header.Xid} while no request is pending");
            }

            if (packet.Xid != header.Xid)
            {
                packet.Fail(new ConnectionLossException(packet.Path, $"Xid out of order: expected {packet.Xid}, got {header.Xid}"));
                throw new IOException($"xid out of order: expected {packet.Xid}, got {header.Xid}");
            }

            if (header.Zxid > 0)
            {
                _owner.OnReplyZxid(header.Zxid);
            }

            try
            {
                packet.Complete(header, ref reader);
            }
            catch (JuteException e)
            {
                packet.Fail(new ConnectionLossException(packet.Path, $"Malformed reply to {packet.Op}: {e.Message}", e));
                throw;
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}

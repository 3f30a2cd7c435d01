using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.Extensions.Logging;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Framing;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.Server.Network;

public sealed partial class ClientConnection
{
    /// <summary>Runs the connection until either side closes it.</summary>
    public async Task RunAsync(ILogger logger)
    {
        var flush = FlushLoopAsync();
        try
        {
            await ReadLoopAsync(logger);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Microsoft.AspNetCore.Connections.ConnectionResetException)
        {
        }
        catch (IOException)
        {
        }
        catch (Exception e) when (e is ConnectionRejectedException or JuteException or InvalidDataException)
        {
            logger.LogWarning("Closing connection from {Remote}: {Reason}", RemoteEndPoint, e.Message);
        }
        finally
        {
            _core.Post(new Processing.ConnectionClosedWork(this));
            _flushSignal.Writer.TryComplete();
        }

        try
        {
            await flush;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private async Task ReadLoopAsync(ILogger logger)
    {
        var input = _context.Transport.Input;
        var max = _core.Options.JuteMaxBuffer;
        var handshakeDone = false;
        using var handshakeTimeout = CancellationTokenSource.CreateLinkedTokenSource(_closed.Token);
        handshakeTimeout.CancelAfter(_core.Options.HandshakeTimeoutMs);

        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(handshakeDone ? _closed.Token : handshakeTimeout.Token);
            }
            catch (OperationCanceledException) when (!handshakeDone && !_closed.IsCancellationRequested)
            {
                throw new ConnectionRejectedException($"no handshake within {_core.Options.HandshakeTimeoutMs} ms");
            }

            var buffer = result.Buffer;
            try
            {
                while (true)
                {
                    if (!handshakeDone && FrameDecoder.TryPeekLength(buffer, out var first) && FourLetterWord.TryGet(first, out var word))
                    {
                        await AnswerFourLetterWordAsync(word, buffer.Slice(4));
                        return;
                    }

                    if (!handshakeDone && FrameDecoder.TryPeekLength(buffer, out var telnet) && telnet == FourLetterWord.TelnetClose)
                    {
                        return;
                    }

                    var status = FrameDecoder.TryReadFrame(ref buffer, max, out var payload, out var declared);
                    if (status == FrameStatus.Incomplete)
                    {
                        break;
                    }

                    if (status == FrameStatus.Invalid)
                    {
                        throw new ConnectionRejectedException($"frame length {declared} outside 0..{max} (jute.maxbuffer)");
                    }

                    if (!handshakeDone)
                    {
                        var connect = Decode(payload, static (ref JuteReader r) => ConnectRequest.Read(ref r), max);
                        _core.Post(new Processing.ConnectWork(this, connect));
                        handshakeDone = true;
                        continue;
                    }

                    Stats.CountReceived();
                    var (xid, type, request) = DecodeRequest(payload, max);
                    if (Interlocked.Increment(ref _outstanding) > _core.Options.MaxOutstandingRequests)
                    {
                        // Back-pressure: stop reading until the silo catches up with this connection.
                        while (Volatile.Read(ref _outstanding) > _core.Options.MaxOutstandingRequests / 2 && !_closed.IsCancellationRequested)
                        {
                            await Task.Delay(1, _closed.Token);
                        }
                    }

                    _core.Post(new Processing.RequestWork(this, xid, type, request, System.Diagnostics.Stopwatch.GetTimestamp()));
                }
            }
            finally
            {
                input.AdvanceTo(buffer.Start, buffer.End);
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                return;
            }
        }
    }

    private delegate T RecordReader<out T>(ref JuteReader reader);

    private static T Decode<T>(ReadOnlySequence<byte> payload, RecordReader<T> read, int max)
    {
        byte[]? rented = null;
        var span = payload.IsSingleSegment ? payload.FirstSpan : (rented = payload.ToArray());
        var reader = new JuteReader(span, max);
        return read(ref reader);
    }

    internal static (int Xid, OpCode Type, IJuteRecord? Request) DecodeRequest(ReadOnlySequence<byte> payload, int max)
    {
        var span = payload.IsSingleSegment ? payload.FirstSpan : payload.ToArray();
        var reader = new JuteReader(span, max);
        var header = RequestHeader.Read(ref reader);
        IJuteRecord? body;
        try
        {
            body = header.Type switch
            {
                OpCode.Create or OpCode.Create2 or OpCode.CreateContainer => CreateRequest.Read(ref reader),
                OpCode.CreateTtl => CreateTtlRequest.Read(ref reader),
                OpCode.Delete => DeleteRequest.Read(ref reader),
                OpCode.Exists or OpCode.GetData or OpCode.GetChildren or OpCode.GetChildren2 => PathWatchRequest.Read(ref reader),
                OpCode.SetData => SetDataRequest.Read(ref reader),
                OpCode.GetAcl or OpCode.Sync or OpCode.GetEphemerals or OpCode.GetAllChildrenNumber => PathRecord.Read(ref reader),
                OpCode.SetAcl => SetAclRequest.Read(ref reader),
                OpCode.Check => CheckVersionRequest.Read(ref reader),
                OpCode.Multi or OpCode.MultiRead => MultiRequest.Read(ref reader),
                OpCode.Reconfig => ReconfigRequest.Read(ref reader),
                OpCode.CheckWatches or OpCode.RemoveWatches => WatchesRequest.Read(ref reader),
                OpCode.AddWatch => AddWatchRequest.Read(ref reader),
                OpCode.Auth => AuthPacket.Read(ref reader),
                OpCode.SetWatches => new SetWatchesBody(SetWatchesRequest.Read(ref reader, false)),
                OpCode.SetWatches2 => new SetWatchesBody(SetWatchesRequest.Read(ref reader, true)),
                OpCode.Sasl => BufferRecord.Read(ref reader),
                OpCode.Ping or OpCode.CloseSession or OpCode.WhoAmI => null,
                _ => null,
            };
        }
        catch (JuteException) when (header.Type is OpCode.Multi)
        {
            // A multi whose ops cannot be parsed (e.g. an op type that is not allowed) is answered with
            // MARSHALLINGERROR rather than dropping the connection, as ZooKeeper does.
            return (header.Xid, header.Type, MalformedMulti.Instance);
        }

        return (header.Xid, header.Type, body);
    }

    private async Task AnswerFourLetterWordAsync(string word, ReadOnlySequence<byte> rest)
    {
        if (word == "bkup" && Diagnostics.FourLetterWords.IsEnabled(_core.Options.FourLetterWords, word) && _core.IsServing)
        {
            // A consistent image is captured on the apply thread; encoding and sending happen here.
            var (image, epoch) = await _core.InvokeAsync(() => (_core.Tree.CaptureImage(), _core.Epoch));
            var sink = _context.Transport.Output;
            await Task.Run(() =>
            {
                using var stream = sink.AsStream(leaveOpen: true);
                Persistence.BackupFile.Write(stream, image, epoch);
            });
            await sink.CompleteAsync();
            return;
        }

        var tcs = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _core.Post(new Processing.FourLetterWork(this, word, tcs));
        var text = await tcs.Task;
        var output = _context.Transport.Output;
        await output.WriteAsync(Encoding.UTF8.GetBytes(text));
        await output.FlushAsync();
        await output.CompleteAsync();
        _ = rest;
    }

    private async Task FlushLoopAsync()
    {
        var output = _context.Transport.Output;
        var reader = _flushSignal.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_closed.Token))
            {
                reader.TryRead(out _);
                JuteWriter batch;
                bool close;
                lock (_outLock)
                {
                    batch = _out;
                    _out = _spare;
                    _spare = batch;
                    close = _closeAfterFlush;
                }

                if (batch.Length > 0)
                {
                    var flushed = await output.WriteAsync(batch.WrittenMemory, _closed.Token);
                    batch.Clear();
                    if (flushed.IsCompleted)
                    {
                        break;
                    }
                }

                if (close)
                {
                    break;
                }
            }
        }
        finally
        {
            // Completing the output sends FIN after everything queued; the read loop then ends.
            await output.CompleteAsync();
            _closed.Cancel();
        }
    }
}

/// <summary>Raised to drop one connection for bad input; the message is logged.</summary>
public sealed class ConnectionRejectedException(string message) : Exception(message);

/// <summary>Wraps SetWatches/SetWatches2 so they travel as an <see cref="IJuteRecord"/>.</summary>
public sealed record SetWatchesBody(SetWatchesRequest Request) : IJuteRecord
{
    public void Write(JuteWriter writer) => Request.Write(writer);
}

/// <summary>Marks a multi whose ops could not be decoded.</summary>
public sealed class MalformedMulti : IJuteRecord
{
    public static readonly MalformedMulti Instance = new();

    public void Write(JuteWriter writer)
    {
    }
}

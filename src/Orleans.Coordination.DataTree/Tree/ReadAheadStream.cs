using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Orleans.Coordination.DataTree.Tree;

/// <summary>
/// Reads a source stream on a thread of its own, a few blocks ahead of the consumer, so that the work of producing
/// the bytes (decompressing a snapshot) overlaps with the work of using them (building the tree). An exception the
/// source throws is rethrown to the consumer by the read that reaches it. Disposing stops the reader thread and
/// waits for it; the source stays the caller's.
/// </summary>
internal sealed class ReadAheadStream : Stream
{
    private const int BlockSize = 1 << 20;
    private const int BlocksAhead = 4;

    private readonly Stream _source;
    private readonly BlockingCollection<Block> _full = new(BlocksAhead);
    private readonly ConcurrentBag<byte[]> _free = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _reader;
    private Block _current = Block.Empty;
    private int _position;
    private bool _ended;

    public ReadAheadStream(Stream source)
    {
        _source = source;
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "snapshot-read-ahead" };
        _reader.Start();
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var copied = 0;
        while (copied < buffer.Length)
        {
            if (_position == _current.Length)
            {
                if (copied > 0 || !NextBlock())
                {
                    break;
                }
            }

            var n = Math.Min(buffer.Length - copied, _current.Length - _position);
            _current.Data.AsSpan(_position, n).CopyTo(buffer[copied..]);
            _position += n;
            copied += n;
        }

        return copied;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _stop.Cancel();
            _reader.Join();
            _full.Dispose();
            _stop.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Moves to the next block; false at the end of the source.</summary>
    private bool NextBlock()
    {
        if (_ended)
        {
            return false;
        }

        if (_current.Data.Length == BlockSize)
        {
            _free.Add(_current.Data);
        }

        var next = _full.Take();
        if (next.Failure is { } failure)
        {
            _ended = true;
            failure.Throw();
        }

        _current = next;
        _position = 0;
        if (next.Length == 0)
        {
            _ended = true;
            return false;
        }

        return true;
    }

    private void ReadLoop()
    {
        try
        {
            while (true)
            {
                var data = _free.TryTake(out var recycled) ? recycled : new byte[BlockSize];
                var filled = 0;
                while (filled < data.Length)
                {
                    var n = _source.Read(data, filled, data.Length - filled);
                    if (n == 0)
                    {
                        break;
                    }

                    filled += n;
                }

                if (filled > 0)
                {
                    _full.Add(new Block(data, filled, null), _stop.Token);
                }

                if (filled < data.Length)
                {
                    _full.Add(Block.Empty, _stop.Token);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            try
            {
                _full.Add(new Block([], 0, ExceptionDispatchInfo.Capture(e)), _stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private readonly record struct Block(byte[] Data, int Length, ExceptionDispatchInfo? Failure)
    {
        public static readonly Block Empty = new([], 0, null);
    }
}

using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Extensions.Logging;

namespace Orleans.Coordination.Storage.Log;

public sealed partial class FileTxnLog
{
    // The flusher thread: takes everything appended since the last round, writes it with as few
    // writes as segment boundaries allow, fsyncs once (plus once per segment rolled), then
    // publishes the new durable zxid. Appends during a round go to the other buffer.
    private void FlushLoop()
    {
        while (true)
        {
            ArrayBufferWriter<byte> batch;
            long batchLastZxid;
            lock (_sync)
            {
                while (_active.WrittenCount == 0 && !_disposing)
                {
                    Monitor.Wait(_sync);
                }

                if (_active.WrittenCount == 0)
                {
                    return; // disposing and drained
                }

                (_active, _flushing) = (_flushing, _active);
                _flushingCompletion = _activeCompletion;
                _activeCompletion = null;
                _flushingLastZxid = _activeLastZxid;
                _flushInProgress = true;
                batch = _flushing;
                batchLastZxid = _flushingLastZxid;
                Monitor.PulseAll(_sync); // room for a blocked appender
            }

            List<Segment> touched;
            try
            {
                touched = WriteRound(batch.WrittenSpan);
            }
            catch (Exception ex)
            {
                EnterFailedState(ex);
                return;
            }

            TaskCompletionSource? completion;
            lock (_sync)
            {
                foreach (var segment in touched)
                {
                    segment.DurableEnd = segment.End;
                }

                _durableZxid = batchLastZxid;
                completion = _flushingCompletion;
                _flushingCompletion = null;
                _flushInProgress = false;
                batch.ResetWrittenCount();
                Monitor.PulseAll(_sync); // drainers (TruncateAfter) and blocked appenders
            }

            completion?.TrySetResult();
            try
            {
                Durable?.Invoke(batchLastZxid);
            }
            catch (Exception ex)
            {
                // A faulty subscriber must not stop durability for everyone else.
                _logger.LogError(ex, "A Durable handler of the transaction log in {Directory} threw", _directory);
            }
        }
    }

    /// <summary>Writes one batch of encoded records and makes it durable. Returns the segments written.</summary>
    private List<Segment> WriteRound(ReadOnlySpan<byte> batch)
    {
        var touched = new List<Segment>(1);
        var createdSegment = false;
        var position = 0;
        while (position < batch.Length)
        {
            var tail = TailSegment();
            var runEnd = position;
            var runLastZxid = 0L;
            if (tail is not null)
            {
                var room = tail.Capacity - tail.End;
                while (runEnd < batch.Length)
                {
                    var recordSize = RecordSizeAt(batch, runEnd);
                    if (runEnd - position + recordSize > room)
                    {
                        break;
                    }

                    runLastZxid = BinaryPrimitives.ReadInt64LittleEndian(batch[(runEnd + LogFormat.RecordHeaderSize)..]);
                    runEnd += recordSize;
                }
            }

            if (runEnd == position)
            {
                // Nothing fits: roll to a new segment named after the next record.
                if (tail is not null && _options.ForceSync)
                {
                    Fsync(_tailFile!);
                }

                var firstZxid = BinaryPrimitives.ReadInt64LittleEndian(batch[(position + LogFormat.RecordHeaderSize)..]);
                var needed = LogFormat.SegmentHeaderSize + (long)RecordSizeAt(batch, position);
                StartSegment(firstZxid, Math.Max(_options.SegmentSize, needed));
                createdSegment = true;
                continue;
            }

            tail!.LastZxid = runLastZxid;
            _tailFile!.Write(tail.End, batch[position..runEnd]);
            tail.End += runEnd - position;
            if (!touched.Contains(tail))
            {
                touched.Add(tail);
            }

            position = runEnd;
        }

        if (_options.ForceSync)
        {
            Fsync(_tailFile!);
            if (createdSegment)
            {
                _fs.FlushDirectory(_directory);
            }
        }

        return touched;
    }

    private Segment? TailSegment()
    {
        lock (_sync)
        {
            return _segments.Count == 0 ? null : _segments[^1];
        }
    }

    private static int RecordSizeAt(ReadOnlySpan<byte> batch, int offset) =>
        LogFormat.RecordHeaderSize + BinaryPrimitives.ReadInt32LittleEndian(batch[offset..]);

    private void StartSegment(long firstZxid, long capacity)
    {
        var path = Path.Combine(_directory, StorageNaming.LogSegmentFileName(firstZxid));
        var file = _fs.Create(path, capacity);
        try
        {
            Span<byte> header = stackalloc byte[LogFormat.SegmentHeaderSize];
            LogFormat.WriteSegmentHeader(header, firstZxid);
            file.Write(0, header);
        }
        catch
        {
            file.Dispose();
            throw;
        }

        _tailFile?.Dispose();
        _tailFile = file;
        var segment = new Segment(firstZxid, path, capacity)
        {
            End = LogFormat.SegmentHeaderSize,
            DurableEnd = LogFormat.SegmentHeaderSize,
        };
        lock (_sync)
        {
            _segments.Add(segment);
        }
    }

    private void Fsync(ILogFile file)
    {
        file.Flush();
        Interlocked.Increment(ref _fsyncCount);
    }

    private void EnterFailedState(Exception cause)
    {
        var failure = new StorageFailedException(
            $"Transaction log in '{_directory}' failed and acknowledges nothing more: {cause.Message}", cause);
        TaskCompletionSource? flushing;
        TaskCompletionSource? active;
        lock (_sync)
        {
            _failure = failure;
            flushing = _flushingCompletion;
            active = _activeCompletion;
            _flushingCompletion = null;
            _activeCompletion = null;
            _flushInProgress = false;
            Monitor.PulseAll(_sync);
        }

        _logger.LogError(cause, "Transaction log in {Directory} failed; no further record will be acknowledged", _directory);
        flushing?.TrySetException(failure);
        active?.TrySetException(failure);
        try
        {
            Failed?.Invoke(failure);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "A Failed handler of the transaction log in {Directory} threw", _directory);
        }
    }
}

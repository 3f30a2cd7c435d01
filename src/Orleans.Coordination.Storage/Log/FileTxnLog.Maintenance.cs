using System.Buffers.Binary;

namespace Orleans.Coordination.Storage.Log;

public sealed partial class FileTxnLog
{
    /// <inheritdoc />
    public void TruncateAfter(long zxid)
    {
        lock (_sync)
        {
            // Let the flusher finish everything appended so far; then it is idle and the tail is ours.
            while (_active.WrittenCount > 0 || _flushInProgress)
            {
                ThrowIfUnusable();
                Monitor.Wait(_sync);
            }

            ThrowIfUnusable();
            if (zxid >= _lastZxid)
            {
                return;
            }

            try
            {
                TruncateLocked(zxid);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Half-truncated state on disk: the log must not be used further; recovery fixes it.
                _failure = new StorageFailedException($"Truncating the transaction log in '{_directory}' failed: {ex.Message}", ex);
                throw new StorageFailedException(_failure.Message, ex);
            }
        }
    }

    private void TruncateLocked(long zxid)
    {
        var deletedAny = false;
        // Newest first, so that a crash part-way leaves a prefix of the log.
        while (_segments.Count > 0 && _segments[^1].FirstZxid > zxid)
        {
            var doomed = _segments[^1];
            _tailFile?.Dispose();
            _tailFile = null;
            _fs.Delete(doomed.Path);
            _segments.RemoveAt(_segments.Count - 1);
            deletedAny = true;
        }

        if (deletedAny)
        {
            _fs.FlushDirectory(_directory);
        }

        var newLast = 0L;
        if (_segments.Count > 0)
        {
            var tail = _segments[^1];
            _tailFile ??= _fs.Open(tail.Path);
            var (cut, lastKept) = FindCut(_tailFile, tail.End, zxid);
            if (cut < tail.End)
            {
                _tailFile.SetLength(cut);
                _tailFile.SetLength(tail.Capacity);
                _tailFile.Flush();
                Interlocked.Increment(ref _fsyncCount);
                tail.End = cut;
                tail.DurableEnd = cut;
                tail.LastZxid = lastKept;
            }

            newLast = tail.LastZxid;
        }

        _lastZxid = newLast;
        _durableZxid = newLast;
        _activeLastZxid = newLast;
    }

    /// <summary>Offset of the first record above <paramref name="zxid"/> in a segment, and the last zxid kept.</summary>
    private static (long Cut, long LastKept) FindCut(ILogFile file, long end, long zxid)
    {
        Span<byte> header = stackalloc byte[LogFormat.RecordOverhead];
        long offset = LogFormat.SegmentHeaderSize;
        var lastKept = 0L;
        while (offset < end)
        {
            if (file.Read(offset, header) != header.Length)
            {
                throw new LogCorruptedException(file.Path, offset, "record header cut short");
            }

            var length = BinaryPrimitives.ReadInt32LittleEndian(header);
            var recordZxid = BinaryPrimitives.ReadInt64LittleEndian(header[LogFormat.RecordHeaderSize..]);
            if (length < LogFormat.ZxidSize)
            {
                throw new LogCorruptedException(file.Path, offset, $"record length {length} is out of range");
            }

            if (recordZxid > zxid)
            {
                return (offset, lastKept);
            }

            lastKept = recordZxid;
            offset += LogFormat.RecordHeaderSize + length;
        }

        return (end, lastKept);
    }

    /// <inheritdoc />
    public int PurgeBefore(long zxid)
    {
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            // Segment i holds zxids below segment i+1's first zxid; the last segment always stays.
            var count = 0;
            while (count < _segments.Count - 1 && _segments[count + 1].FirstZxid <= zxid)
            {
                count++;
            }

            if (count == 0)
            {
                return 0;
            }

            // Oldest first, so that a crash part-way leaves a suffix of the log.
            for (var i = 0; i < count; i++)
            {
                _fs.Delete(_segments[i].Path);
            }

            _segments.RemoveRange(0, count);
            _fs.FlushDirectory(_directory);
            return count;
        }
    }
}

using System.Buffers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Orleans.Coordination.Storage.Log;

/// <summary>
/// The transaction log on disk: preallocated segment files named by their first zxid
/// (<see cref="StorageNaming.LogSegmentFileName"/>), records laid out as described in
/// <see cref="LogFormat"/>, group commit by a background flusher thread.
/// </summary>
/// <remarks>
/// Open with <see cref="Open"/>, which recovers the log: a torn tail is truncated with a warning,
/// damage before the tail throws <see cref="LogCorruptedException"/> unless
/// <see cref="TxnLogOptions.Repair"/> is set. See <see cref="ITxnLog"/> for the threading rules.
/// </remarks>
public sealed partial class FileTxnLog : ITxnLog
{
    private readonly string _directory;
    private readonly TxnLogOptions _options;
    private readonly ILogFileSystem _fs;
    private readonly ILogger _logger;
    private readonly List<string> _recoveryWarnings = [];

    // Everything below is guarded by _sync unless noted.
    private readonly object _sync = new();
    private readonly List<Segment> _segments = [];
    private ArrayBufferWriter<byte> _active = new(64 * 1024);   // records waiting for the next round
    private ArrayBufferWriter<byte> _flushing = new(64 * 1024); // records of the round in progress (flusher-owned while in flight)
    private TaskCompletionSource? _activeCompletion;            // completes when the active batch is durable
    private TaskCompletionSource? _flushingCompletion;
    private long _activeLastZxid;
    private long _flushingLastZxid;
    private bool _flushInProgress;
    private long _lastZxid;
    private long _durableZxid;
    private StorageFailedException? _failure;
    private bool _disposing;
    private bool _disposed;
    private long _fsyncCount;

    // The tail segment's writable file: used by the flusher during a round, and by maintenance
    // (TruncateAfter) only while holding _sync with no round in progress.
    private ILogFile? _tailFile;

    private readonly Thread _flusher;

    private FileTxnLog(string directory, TxnLogOptions options)
    {
        _directory = Path.GetFullPath(directory);
        _options = options;
        _fs = options.FileSystem;
        _logger = options.Logger ?? NullLogger.Instance;
        _flusher = new Thread(FlushLoop)
        {
            IsBackground = true,
            Name = "txnlog-flusher",
        };
    }

    /// <inheritdoc />
    public event Action<long>? Durable;

    /// <inheritdoc />
    public event Action<StorageFailedException>? Failed;

    /// <summary>Directory holding the segments.</summary>
    public string Directory => _directory;

    /// <summary>Warnings produced while opening (torn tail truncated, repairs); also sent to the logger.</summary>
    public IReadOnlyList<string> RecoveryWarnings => _recoveryWarnings;

    /// <summary>Names of the segment files currently in the log, oldest first.</summary>
    public IReadOnlyList<string> SegmentPaths
    {
        get
        {
            lock (_sync)
            {
                return _segments.Select(s => s.Path).ToList();
            }
        }
    }

    /// <inheritdoc />
    public long FirstZxid
    {
        get
        {
            lock (_sync)
            {
                return _segments.Count == 0 ? 0 : _segments[0].FirstZxid;
            }
        }
    }

    /// <inheritdoc />
    public long LastZxid
    {
        get
        {
            lock (_sync)
            {
                return _lastZxid;
            }
        }
    }

    /// <inheritdoc />
    public long DurableZxid
    {
        get
        {
            lock (_sync)
            {
                return _durableZxid;
            }
        }
    }

    /// <inheritdoc />
    public long FsyncCount => Interlocked.Read(ref _fsyncCount);

    /// <inheritdoc />
    public StorageFailedException? Failure
    {
        get
        {
            lock (_sync)
            {
                return _failure;
            }
        }
    }

    /// <summary>
    /// Opens (creating if needed) the log in <paramref name="directory"/>, recovering it, and
    /// starts the flusher.
    /// </summary>
    /// <exception cref="LogCorruptedException">damage before the tail and <see cref="TxnLogOptions.Repair"/> is off.</exception>
    public static FileTxnLog Open(string directory, TxnLogOptions? options = null)
    {
        options ??= new TxnLogOptions();
        options.Validate();
        var log = new FileTxnLog(directory, options);
        try
        {
            log.Recover();
        }
        catch
        {
            log._tailFile?.Dispose();
            throw;
        }

        log._flusher.Start();
        return log;
    }

    /// <inheritdoc />
    public void Append(long zxid, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > LogFormat.MaxPayloadSize)
        {
            throw new ArgumentOutOfRangeException(nameof(payload), payload.Length, "Payload too large for one log record.");
        }

        var size = (int)LogFormat.RecordSize(payload.Length);
        lock (_sync)
        {
            ThrowIfUnusable();
            if (zxid <= _lastZxid)
            {
                throw new ArgumentOutOfRangeException(nameof(zxid), zxid,
                    $"Zxids must increase: 0x{zxid:x} follows 0x{_lastZxid:x}.");
            }

            // Backpressure: let the flusher catch up before queueing more than the limit.
            while (_active.WrittenCount > 0 && _active.WrittenCount + size > _options.MaxPendingBytes)
            {
                Monitor.Wait(_sync);
                ThrowIfUnusable();
            }

            LogFormat.WriteRecord(_active.GetSpan(size), zxid, payload);
            _active.Advance(size);
            _activeLastZxid = zxid;
            _lastZxid = zxid;
            Monitor.PulseAll(_sync);
        }
    }

    /// <inheritdoc />
    public ValueTask AppendAsync(long zxid, ReadOnlyMemory<byte> payload)
    {
        try
        {
            Append(zxid, payload.Span);
        }
        catch (StorageFailedException ex)
        {
            return ValueTask.FromException(ex); // a failed log completes appends with the failure, it does not throw
        }

        return WaitForDurableAsync(zxid);
    }

    /// <inheritdoc />
    public ValueTask WaitForDurableAsync(long zxid, CancellationToken cancellationToken = default)
    {
        Task task;
        lock (_sync)
        {
            // Durable before the failure stays durable; nothing after it ever becomes so.
            if (zxid <= _durableZxid)
            {
                return ValueTask.CompletedTask;
            }

            if (_failure is not null)
            {
                return ValueTask.FromException(_failure);
            }

            if (zxid > _lastZxid)
            {
                throw new ArgumentOutOfRangeException(nameof(zxid), zxid,
                    $"Zxid 0x{zxid:x} has not been appended (last is 0x{_lastZxid:x}).");
            }

            if (_disposed)
            {
                return ValueTask.FromException(new ObjectDisposedException(nameof(FileTxnLog)));
            }

            task = _flushInProgress && zxid <= _flushingLastZxid
                ? (_flushingCompletion ??= NewCompletion()).Task
                : (_activeCompletion ??= NewCompletion()).Task;
        }

        return new ValueTask(cancellationToken.CanBeCanceled ? task.WaitAsync(cancellationToken) : task);
    }

    /// <summary>Stops the flusher after it has made every appended record durable (unless the log failed).</summary>
    public void Dispose()
    {
        lock (_sync)
        {
            if (_disposing)
            {
                return;
            }

            _disposing = true;
            Monitor.PulseAll(_sync);
        }

        if (_flusher.IsAlive)
        {
            _flusher.Join();
        }

        lock (_sync)
        {
            _disposed = true;
            _tailFile?.Dispose();
            _tailFile = null;
            var pending = _activeCompletion;
            _activeCompletion = null;
            pending?.TrySetException(_failure ?? (Exception)new ObjectDisposedException(nameof(FileTxnLog)));
        }
    }

    private static TaskCompletionSource NewCompletion() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void ThrowIfUnusable()
    {
        if (_failure is not null)
        {
            // A fresh instance per throw: one exception object must not be thrown on two threads.
            throw new StorageFailedException(_failure.Message, _failure.InnerException);
        }

        ObjectDisposedException.ThrowIf(_disposing, this);
    }

    private void Warn(string message)
    {
        _recoveryWarnings.Add(message);
        _logger.LogWarning("{Message}", message);
    }

    /// <summary>One segment file. FirstZxid/Path/Capacity never change.</summary>
    private sealed class Segment(long firstZxid, string path, long capacity)
    {
        public long FirstZxid { get; } = firstZxid;

        public string Path { get; } = path;

        public long Capacity { get; } = capacity;

        /// <summary>Offset where the next record goes (writer-owned).</summary>
        public long End { get; set; }

        /// <summary>Zxid of the last written record, 0 if none (writer-owned).</summary>
        public long LastZxid { get; set; }

        /// <summary>End of the durable records (guarded by _sync): readers stop here.</summary>
        public long DurableEnd { get; set; }
    }
}

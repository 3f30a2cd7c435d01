namespace Orleans.Coordination.Storage.Log;

/// <summary>
/// A file system in memory that remembers what was made durable, for tests and the simulator.
/// <see cref="SimulateCrash"/> drops everything an fsync did not cover: file contents written
/// after the file's last <see cref="ILogFile.Flush"/>, and files created or deleted after the
/// directory's last <see cref="ILogFileSystem.FlushDirectory"/>.
/// </summary>
/// <remarks>Thread-safe; preallocated space costs no memory (unwritten bytes read as zero).</remarks>
public sealed class InMemoryLogFileSystem : ILogFileSystem
{
    private readonly object _lock = new();
    private readonly Dictionary<string, Entry> _live = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Entry> _durableEntries = new(StringComparer.Ordinal);
    private readonly HashSet<string> _directories = new(StringComparer.Ordinal);

    /// <summary>Forgets everything that was not made durable, as a power loss would; open handles become useless.</summary>
    public void SimulateCrash()
    {
        lock (_lock)
        {
            foreach (var entry in _live.Values)
            {
                entry.Crashed = true;
            }

            _live.Clear();
            foreach (var (path, entry) in _durableEntries)
            {
                _live[path] = entry.RestoreDurable();
            }

            _durableEntries.Clear();
            foreach (var (path, entry) in _live)
            {
                _durableEntries[path] = entry;
            }
        }
    }

    /// <summary>Current (not necessarily durable) content of a file, for tests.</summary>
    public byte[] ReadAllBytes(string path)
    {
        lock (_lock)
        {
            var entry = Get(path);
            var result = new byte[entry.Length];
            entry.Read(0, result);
            return result;
        }
    }

    /// <summary>Overwrites bytes of a file in place and makes them durable, as bit rot would.</summary>
    public void Corrupt(string path, long offset, ReadOnlySpan<byte> bytes)
    {
        lock (_lock)
        {
            var entry = Get(path);
            entry.Write(offset, bytes);
            entry.Flush();
        }
    }

    public void CreateDirectory(string directory)
    {
        lock (_lock)
        {
            _directories.Add(Normalize(directory));
        }
    }

    public IReadOnlyList<string> ListFiles(string directory)
    {
        var dir = Normalize(directory);
        lock (_lock)
        {
            return _live.Keys
                .Where(p => string.Equals(Path.GetDirectoryName(p), dir, StringComparison.Ordinal))
                .Select(p => Path.GetFileName(p))
                .ToList();
        }
    }

    public ILogFile Create(string path, long length)
    {
        lock (_lock)
        {
            var key = Normalize(path);
            if (!_directories.Contains(Path.GetDirectoryName(key)!))
            {
                throw new DirectoryNotFoundException($"Could not find a part of the path '{path}'.");
            }

            if (_live.ContainsKey(key))
            {
                throw new IOException($"The file '{path}' already exists.");
            }

            var entry = new Entry(_lock);
            entry.SetLength(length);
            _live[key] = entry;
            return new Handle(key, entry);
        }
    }

    public ILogFile Open(string path)
    {
        lock (_lock)
        {
            return new Handle(Normalize(path), Get(path));
        }
    }

    public ILogFile OpenRead(string path) => Open(path);

    public void Delete(string path)
    {
        lock (_lock)
        {
            _live.Remove(Normalize(path));
        }
    }

    public void FlushDirectory(string directory)
    {
        var dir = Normalize(directory);
        lock (_lock)
        {
            foreach (var key in _durableEntries.Keys.Where(k => InDirectory(k, dir)).ToList())
            {
                _durableEntries.Remove(key);
            }

            foreach (var (key, entry) in _live.Where(kv => InDirectory(kv.Key, dir)))
            {
                _durableEntries[key] = entry;
            }
        }
    }

    private static bool InDirectory(string path, string dir) =>
        string.Equals(Path.GetDirectoryName(path), dir, StringComparison.Ordinal);

    private static string Normalize(string path) => Path.GetFullPath(path);

    private Entry Get(string path) =>
        _live.TryGetValue(Normalize(path), out var entry)
            ? entry
            : throw new FileNotFoundException($"Could not find file '{path}'.", path);

    private sealed class Entry(object gate)
    {
        private byte[] _data = [];       // bytes [0, _data.Length) may be non-zero; the rest of Length reads as zero
        private long _length;
        private byte[] _durableData = [];
        private long _durableLength;

        public bool Crashed { get; set; }

        public long Length
        {
            get
            {
                lock (gate)
                {
                    return _length;
                }
            }
        }

        public int Read(long offset, Span<byte> buffer)
        {
            lock (gate)
            {
                ThrowIfCrashed();
                if (offset >= _length)
                {
                    return 0;
                }

                var count = (int)Math.Min(buffer.Length, _length - offset);
                buffer[..count].Clear();
                if (offset < _data.Length)
                {
                    var stored = (int)Math.Min(count, _data.Length - offset);
                    _data.AsSpan((int)offset, stored).CopyTo(buffer);
                }

                return count;
            }
        }

        public void Write(long offset, ReadOnlySpan<byte> bytes)
        {
            lock (gate)
            {
                ThrowIfCrashed();
                var end = offset + bytes.Length;
                if (end > _data.Length)
                {
                    var grown = new byte[Math.Max(end, Math.Min((long)_data.Length * 2, Math.Max(end, _length)))];
                    _data.CopyTo(grown, 0);
                    _data = grown;
                }

                bytes.CopyTo(_data.AsSpan((int)offset));
                _length = Math.Max(_length, end);
            }
        }

        public void SetLength(long length)
        {
            lock (gate)
            {
                ThrowIfCrashed();
                if (length < _data.Length)
                {
                    _data.AsSpan((int)length).Clear();
                }

                _length = length;
            }
        }

        public void Flush()
        {
            lock (gate)
            {
                ThrowIfCrashed();
                _durableData = (byte[])_data.Clone();
                _durableLength = _length;
            }
        }

        public Entry RestoreDurable()
        {
            var restored = new Entry(gate)
            {
                _data = (byte[])_durableData.Clone(),
                _length = _durableLength,
                _durableData = _durableData,
                _durableLength = _durableLength,
            };
            return restored;
        }

        private void ThrowIfCrashed()
        {
            if (Crashed)
            {
                throw new IOException("The file was lost in a simulated crash.");
            }
        }
    }

    private sealed class Handle(string path, Entry entry) : ILogFile
    {
        public string Path { get; } = path;

        public long Length => entry.Length;

        public int Read(long offset, Span<byte> buffer) => entry.Read(offset, buffer);

        public void Write(long offset, ReadOnlySpan<byte> data) => entry.Write(offset, data);

        public void SetLength(long length) => entry.SetLength(length);

        public void Flush() => entry.Flush();

        public void Dispose()
        {
        }
    }
}

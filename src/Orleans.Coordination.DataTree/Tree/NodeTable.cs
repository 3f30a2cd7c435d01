namespace Orleans.Coordination.DataTree.Tree;

/// <summary>
/// A znode that needs more than its record: it has (or had) children, or its data is larger than
/// <see cref="InlineLimit"/> and is kept as its own array (the array the txn carried: no copy per setData). The two
/// stat fields child changes move live here rather than in the record, so a child create or delete builds nothing.
/// </summary>
internal sealed class NodeBox(byte[] record, long pzxid, int cversion)
{
    /// <summary>Data up to this many bytes goes inside the record; longer data stays in its own array.</summary>
    public const int InlineLimit = 256;

    private NodeTable? _children;

    public byte[] Record { get; set; } = record;

    /// <summary>The data when kept outside the record (the record's data region is then empty); else null.</summary>
    public byte[]? Data { get; set; }

    public long Pzxid { get; set; } = pzxid;

    public int Cversion { get; set; } = cversion;

    public NodeTable Children => _children ??= new();

    public int ChildCount => _children?.Count ?? 0;
}

/// <summary>
/// A set of znodes keyed by path, open addressing with linear probing over one array of references. An entry is the
/// node's record (<c>byte[]</c>) or its <see cref="NodeBox"/>; the key is the path inside the record, so the table
/// costs a reference and the 32-bit hash per slot and holds no strings. The hashes let probes skip other paths without
/// reading their records and let the table grow without reading every record again (with only a one-byte tag beside
/// each slot, growing a table of a million entries re-read them all and made 1M creates 40% slower).
/// Used for the tree's path table and for each parent's children.
/// </summary>
internal sealed class NodeTable
{
    private const double MaxLoad = 0.8;

    private static readonly object?[] Empty = [];

    private object?[] _slots = Empty;
    private uint[] _hashes = [];

    public int Count { get; private set; }

    public static byte[] RecordOf(object entry) => entry as byte[] ?? ((NodeBox)entry).Record;

    /// <summary>Makes room for <paramref name="count"/> entries without growing.</summary>
    public void EnsureCapacity(int count)
    {
        var needed = (int)Math.Min(int.MaxValue, (long)Math.Ceiling(count / MaxLoad) + 1);
        if (needed > _slots.Length)
        {
            Resize(needed);
        }
    }

    public object? Get(ReadOnlySpan<byte> path, uint hash)
    {
        var i = Find(path, hash);
        return i < 0 ? null : _slots[i];
    }

    /// <summary>The slot holding <paramref name="path"/>, or -1.</summary>
    public int Find(ReadOnlySpan<byte> path, uint hash)
    {
        var slots = _slots;
        if (slots.Length == 0)
        {
            return -1;
        }

        var hashes = _hashes;
        var i = Home(hash, slots.Length);
        while (slots[i] is { } e)
        {
            if (hashes[i] == hash && NodeRecord.Path(RecordOf(e)).SequenceEqual(path))
            {
                return i;
            }

            if (++i == slots.Length)
            {
                i = 0;
            }
        }

        return -1;
    }

    public object SlotValue(int slot) => _slots[slot]!;

    /// <summary>Number of slots (for passes that visit every slot and may replace entries in place).</summary>
    public int SlotCount => _slots.Length;

    public object? At(int slot) => _slots[slot];

    public void SetSlot(int slot, object entry) => _slots[slot] = entry;

    /// <summary>Replaces the entry for <paramref name="path"/>; false if it is not present.</summary>
    public bool Replace(ReadOnlySpan<byte> path, uint hash, object entry)
    {
        var i = Find(path, hash);
        if (i < 0)
        {
            return false;
        }

        _slots[i] = entry;
        return true;
    }

    /// <summary>Adds an entry whose path is not present (the caller has checked); returns its slot, which stays its
    /// slot until the next add or remove.</summary>
    public int Add(object entry, uint hash)
    {
        if (Count + 1 > _slots.Length * MaxLoad)
        {
            Resize(Math.Max(8, (int)Math.Min(int.MaxValue, _slots.Length * 3L / 2)));
        }

        Count++;
        return Insert(_slots, _hashes, entry, hash);
    }

    public bool Remove(ReadOnlySpan<byte> path, uint hash)
    {
        var i = Find(path, hash);
        if (i < 0)
        {
            return false;
        }

        // Backward-shift deletion: move later entries of the probe run into the hole when their home allows it, so no
        // tombstones are needed and lookups never probe past a run's end.
        var slots = _slots;
        var hashes = _hashes;
        var n = slots.Length;
        slots[i] = null;
        var j = i;
        while (true)
        {
            if (++j == n)
            {
                j = 0;
            }

            if (slots[j] is not { } e)
            {
                break;
            }

            var k = Home(hashes[j], n);
            var movable = i <= j ? k <= i || k > j : k <= i && k > j;
            if (movable)
            {
                slots[i] = e;
                hashes[i] = hashes[j];
                slots[j] = null;
                i = j;
            }
        }

        Count--;
        if (Count == 0 && n > 8)
        {
            _slots = Empty; // a parent whose children are gone gives its table back
            _hashes = [];
        }

        return true;
    }

    public Enumerator GetEnumerator() => new(_slots);

    /// <summary>The entries, in slot order.</summary>
    public IEnumerable<object> Entries()
    {
        foreach (var e in _slots)
        {
            if (e is not null)
            {
                yield return e;
            }
        }
    }

    /// <summary>Position in [0, n): the hash's high bits scaled to the table (any size, no modulo).</summary>
    private static int Home(uint hash, int n) => (int)(((ulong)hash * (ulong)n) >> 32);

    private static int Insert(object?[] slots, uint[] hashes, object entry, uint hash)
    {
        var i = Home(hash, slots.Length);
        while (slots[i] is not null)
        {
            if (++i == slots.Length)
            {
                i = 0;
            }
        }

        slots[i] = entry;
        hashes[i] = hash;
        return i;
    }

    private void Resize(int size)
    {
        var slots = new object?[size];
        var hashes = new uint[size];
        for (var i = 0; i < _slots.Length; i++)
        {
            if (_slots[i] is { } e)
            {
                Insert(slots, hashes, e, _hashes[i]);
            }
        }

        _slots = slots;
        _hashes = hashes;
    }

    public struct Enumerator(object?[] slots)
    {
        private int _i = -1;

        public readonly object Current => slots[_i]!;

        public bool MoveNext()
        {
            while (++_i < slots.Length)
            {
                if (slots[_i] is not null)
                {
                    return true;
                }
            }

            return false;
        }
    }
}

using System.Buffers.Binary;
using System.Text;

namespace Orleans.Coordination.Protocol.Jute;

/// <summary>
/// Reads jute binary encoding (big-endian primitives, length-prefixed strings, buffers and vectors)
/// from a span. Every read is bounds-checked; malformed input throws <see cref="JuteException"/>.
/// </summary>
public ref struct JuteReader
{
    private readonly ReadOnlySpan<byte> _span;
    private int _position;

    public JuteReader(ReadOnlySpan<byte> span, int maxLength = JuteLimits.DefaultMaxBuffer)
    {
        _span = span;
        _position = 0;
        MaxLength = maxLength;
    }

    /// <summary>Largest string, buffer or vector length accepted (jute.maxbuffer).</summary>
    public int MaxLength { get; }

    public readonly int Position => _position;

    public readonly int Remaining => _span.Length - _position;

    public readonly bool AtEnd => _position >= _span.Length;

    public int ReadInt()
    {
        var s = Take(4);
        return BinaryPrimitives.ReadInt32BigEndian(s);
    }

    public long ReadLong()
    {
        var s = Take(8);
        return BinaryPrimitives.ReadInt64BigEndian(s);
    }

    /// <summary>Any non-zero byte is true, as Java readers treat it.</summary>
    public bool ReadBool() => Take(1)[0] != 0;

    /// <summary>Reads a ustring; length -1 is null.</summary>
    public string? ReadString()
    {
        var len = ReadLength("string");
        if (len < 0)
        {
            return null;
        }

        return Encoding.UTF8.GetString(Take(len));
    }

    /// <summary>Reads a ustring where null is read as the empty string.</summary>
    public string ReadStringOrEmpty() => ReadString() ?? string.Empty;

    /// <summary>Reads a buffer; length -1 is null.</summary>
    public byte[]? ReadBuffer()
    {
        var len = ReadLength("buffer");
        if (len < 0)
        {
            return null;
        }

        return Take(len).ToArray();
    }

    /// <summary>Reads a buffer without copying it; length -1 gives an empty span and <paramref name="isNull"/> true.</summary>
    public ReadOnlySpan<byte> ReadBufferSpan(out bool isNull)
    {
        var len = ReadLength("buffer");
        isNull = len < 0;
        return len < 0 ? ReadOnlySpan<byte>.Empty : Take(len);
    }

    /// <summary>Reads a vector count; -1 is null (returned as -1).</summary>
    public int ReadVectorCount()
    {
        var count = ReadLength("vector");
        // Each element needs at least one byte, so a count beyond the remaining bytes is malformed.
        if (count > Remaining)
        {
            throw new JuteException($"vector count {count} exceeds the {Remaining} bytes remaining");
        }

        return count;
    }

    public List<string>? ReadStringList()
    {
        var count = ReadVectorCount();
        if (count < 0)
        {
            return null;
        }

        var list = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            list.Add(ReadStringOrEmpty());
        }

        return list;
    }

    public ReadOnlySpan<byte> ReadRaw(int count) => Take(count);

    private int ReadLength(string what)
    {
        var len = ReadInt();
        if (len < -1)
        {
            throw new JuteException($"negative {what} length {len}");
        }

        if (len > MaxLength)
        {
            throw new JuteException($"{what} length {len} exceeds jute.maxbuffer {MaxLength}");
        }

        return len;
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _span.Length - _position)
        {
            throw new JuteException($"record truncated: needed {count} bytes at offset {_position}, {_span.Length - _position} remain");
        }

        var s = _span.Slice(_position, count);
        _position += count;
        return s;
    }
}

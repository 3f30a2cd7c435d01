using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Orleans.Coordination.Protocol.Jute;

/// <summary>
/// Writes jute binary encoding into a growable pooled buffer. Frames are written with
/// <see cref="BeginFrame"/>/<see cref="EndFrame"/>, which reserve and then patch the length prefix.
/// Not thread-safe.
/// </summary>
public sealed class JuteWriter : IDisposable
{
    private byte[] _buffer;
    private int _length;

    public JuteWriter(int initialCapacity = 256)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(16, initialCapacity));
    }

    public int Length => _length;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _length);

    public byte[] ToArray() => WrittenSpan.ToArray();

    public void Clear() => _length = 0;

    /// <summary>Drops the first <paramref name="count"/> bytes, keeping the rest.</summary>
    public void Consume(int count)
    {
        if (count >= _length)
        {
            _length = 0;
            return;
        }

        Buffer.BlockCopy(_buffer, count, _buffer, 0, _length - count);
        _length -= count;
    }

    /// <summary>Reserves a 4-byte length prefix and returns its offset for <see cref="EndFrame"/>.</summary>
    public int BeginFrame()
    {
        var at = _length;
        Reserve(4);
        _length += 4;
        return at;
    }

    /// <summary>Writes the length of everything after the prefix at <paramref name="frameStart"/>.</summary>
    public void EndFrame(int frameStart)
    {
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(frameStart), _length - frameStart - 4);
    }

    public void WriteInt(int value)
    {
        Reserve(4);
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), value);
        _length += 4;
    }

    public void WriteLong(long value)
    {
        Reserve(8);
        BinaryPrimitives.WriteInt64BigEndian(_buffer.AsSpan(_length), value);
        _length += 8;
    }

    public void WriteBool(bool value)
    {
        Reserve(1);
        _buffer[_length++] = value ? (byte)1 : (byte)0;
    }

    public void WriteString(string? value)
    {
        if (value is null)
        {
            WriteInt(-1);
            return;
        }

        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        Reserve(4 + max);
        var n = Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length + 4));
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), n);
        _length += 4 + n;
    }

    public void WriteBuffer(ReadOnlySpan<byte> value)
    {
        WriteInt(value.Length);
        WriteRaw(value);
    }

    /// <summary>Writes a buffer; null is written as length -1.</summary>
    public void WriteBuffer(byte[]? value)
    {
        if (value is null)
        {
            WriteInt(-1);
            return;
        }

        WriteBuffer(value.AsSpan());
    }

    public void WriteStringList(IReadOnlyList<string>? list)
    {
        if (list is null)
        {
            WriteInt(-1);
            return;
        }

        WriteInt(list.Count);
        for (var i = 0; i < list.Count; i++)
        {
            WriteString(list[i]);
        }
    }

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        Reserve(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    public void Dispose()
    {
        var b = _buffer;
        _buffer = [];
        _length = 0;
        if (b.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(b);
        }
    }

    private void Reserve(int extra)
    {
        if (_length + extra <= _buffer.Length)
        {
            return;
        }

        var next = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + extra));
        Buffer.BlockCopy(_buffer, 0, next, 0, _length);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = next;
    }
}

using System.Buffers;
using System.Buffers.Binary;

namespace Orleans.Coordination.Protocol.Framing;

/// <summary>Outcome of looking for one length-prefixed frame.</summary>
public enum FrameStatus
{
    /// <summary>A whole frame is available.</summary>
    Frame,

    /// <summary>More bytes are needed.</summary>
    Incomplete,

    /// <summary>The length prefix is negative or above the limit: the connection must be closed.</summary>
    Invalid,
}

/// <summary>
/// Splits a byte stream into int32-length-prefixed frames. Kept apart from record decoding so the
/// transport never needs to know about records.
/// </summary>
public static class FrameDecoder
{
    /// <summary>Reads the big-endian length prefix at the start of <paramref name="buffer"/>, if 4 bytes are there.</summary>
    public static bool TryPeekLength(in ReadOnlySequence<byte> buffer, out int length)
    {
        length = 0;
        if (buffer.Length < 4)
        {
            return false;
        }

        Span<byte> prefix = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(prefix);
        length = BinaryPrimitives.ReadInt32BigEndian(prefix);
        return true;
    }

    /// <summary>
    /// Tries to take one frame off the front of <paramref name="buffer"/>. On <see cref="FrameStatus.Frame"/>,
    /// <paramref name="payload"/> is the frame's payload and <paramref name="buffer"/> is advanced past it.
    /// </summary>
    public static FrameStatus TryReadFrame(ref ReadOnlySequence<byte> buffer, int maxFrameLength, out ReadOnlySequence<byte> payload, out int declaredLength)
    {
        payload = default;
        if (!TryPeekLength(buffer, out declaredLength))
        {
            return FrameStatus.Incomplete;
        }

        if (declaredLength < 0 || declaredLength > maxFrameLength)
        {
            return FrameStatus.Invalid;
        }

        if (buffer.Length < 4L + declaredLength)
        {
            return FrameStatus.Incomplete;
        }

        payload = buffer.Slice(4, declaredLength);
        buffer = buffer.Slice(4L + declaredLength);
        return FrameStatus.Frame;
    }
}

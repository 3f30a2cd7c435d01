using System.Buffers.Binary;

namespace Orleans.Coordination.Storage.Log;

/// <summary>
/// The on-disk layout of a log segment. All integers are little-endian.
/// <code>
/// segment header (16 bytes, offset 0):
///   [0..4)   magic "OCTL" (0x4C54434F little-endian)
///   [4..8)   uint32 format version (1)
///   [8..16)  int64  first zxid of the segment (equals the zxid in the file name)
///
/// record (12 + 8 + payload bytes, immediately after the header or the previous record):
///   [0..4)   int32  length  = 8 + payload length (the bytes covered by the CRC, always >= 8)
///   [4..8)   uint32 CRC-32C of the next `length` bytes (zxid and payload)
///   [8..16)  int64  zxid (strictly increasing through the log)
///   [16..)   payload
/// </code>
/// Segments are preallocated with zeros, so a length field of 0 marks the end of written data.
/// The length comes first so that a reader knows how much to checksum; the zxid is inside the
/// CRC so that a record cannot be misattributed.
/// </summary>
internal static class LogFormat
{
    public const uint Magic = 0x4C54434F; // "OCTL"
    public const uint Version = 1;
    public const int SegmentHeaderSize = 16;
    public const int RecordHeaderSize = 8;       // length + CRC
    public const int ZxidSize = 8;
    public const int RecordOverhead = RecordHeaderSize + ZxidSize;

    /// <summary>Largest payload a record can carry (the length field is a positive int32).</summary>
    public const int MaxPayloadSize = int.MaxValue - 64;

    public static void WriteSegmentHeader(Span<byte> destination, long firstZxid)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], Version);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], firstZxid);
    }

    /// <summary>Encodes one record into <paramref name="destination"/> (exactly RecordOverhead + payload bytes).</summary>
    public static void WriteRecord(Span<byte> destination, long zxid, ReadOnlySpan<byte> payload)
    {
        BinaryPrimitives.WriteInt32LittleEndian(destination, ZxidSize + payload.Length);
        BinaryPrimitives.WriteInt64LittleEndian(destination[RecordHeaderSize..], zxid);
        payload.CopyTo(destination[RecordOverhead..]);
        var crc = Crc32C.Compute(destination.Slice(RecordHeaderSize, ZxidSize + payload.Length));
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], crc);
    }

    /// <summary>Size on disk of a record with a payload of <paramref name="payloadLength"/> bytes.</summary>
    public static long RecordSize(int payloadLength) => RecordOverhead + (long)payloadLength;
}

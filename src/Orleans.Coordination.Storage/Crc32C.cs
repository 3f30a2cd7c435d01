using System.Buffers.Binary;
using System.Numerics;

namespace Orleans.Coordination.Storage;

/// <summary>
/// CRC-32C (Castagnoli), as used by iSCSI, ext4 and RocksDB: initial value and final xor
/// 0xFFFFFFFF. <see cref="BitOperations.Crc32C(uint, ulong)"/> is the hardware instruction
/// (no pre/post inversion), so this type adds the inversion and the byte loop.
/// </summary>
public static class Crc32C
{
    /// <summary>The CRC of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Append(Start, data));

    /// <summary>Initial running value.</summary>
    public const uint Start = 0xFFFFFFFFu;

    /// <summary>Turns a running value into the CRC.</summary>
    public static uint Finish(uint running) => ~running;

    /// <summary>Continues a running value (not yet finished) over more bytes.</summary>
    public static uint Append(uint running, ReadOnlySpan<byte> data)
    {
        while (data.Length >= 8)
        {
            running = BitOperations.Crc32C(running, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        foreach (var b in data)
        {
            running = BitOperations.Crc32C(running, b);
        }

        return running;
    }
}

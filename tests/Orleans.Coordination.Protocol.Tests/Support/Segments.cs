using System.Buffers;

namespace Orleans.Coordination.Protocol.Tests.Support;

/// <summary>Builds multi-segment <see cref="ReadOnlySequence{T}"/>s, as a pipe reader delivers them.</summary>
internal sealed class Segments : ReadOnlySequenceSegment<byte>
{
    private Segments(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    /// <summary>Splits <paramref name="data"/> at the given ascending offsets; equal offsets give empty segments.</summary>
    public static ReadOnlySequence<byte> Split(byte[] data, params int[] cuts)
    {
        var bounds = new List<int> { 0 };
        bounds.AddRange(cuts);
        bounds.Add(data.Length);

        var first = new Segments(data.AsMemory(bounds[0], bounds[1] - bounds[0]), 0);
        var last = first;
        for (var i = 1; i < bounds.Count - 1; i++)
        {
            var next = new Segments(data.AsMemory(bounds[i], bounds[i + 1] - bounds[i]), bounds[i]);
            last.Next = next;
            last = next;
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}

using System.Buffers.Binary;

namespace Orleans.Coordination.Consensus.Messages;

/// <summary>Bytes that are not a valid replica message; the transport should drop the connection that sent them.</summary>
public sealed class MessageFormatException(string message) : Exception(message);

/// <summary>
/// Compact binary encoding of <see cref="ReplicaMessage"/>s, independent of framing: one message is
/// <c>version (1 byte) | type (1 byte) | fields</c>, integers big-endian, byte arrays and record lists
/// length-prefixed with an int. A record is <c>zxid (8) | length (4) | payload</c>. The transport adds its own
/// length prefix and may batch several encoded messages in one frame.
/// </summary>
public static class MessageCodec
{
    /// <summary>The encoding version written first in every message.</summary>
    public const byte Version = 1;

    private enum Tag : byte
    {
        Notification = 1,
        FollowerInfo = 2,
        NewEpoch = 3,
        AckEpoch = 4,
        Diff = 5,
        Trunc = 6,
        Snap = 7,
        NewLeader = 8,
        AckNewLeader = 9,
        SnapNeeded = 10,
        Proposal = 11,
        Inform = 12,
        Ack = 13,
        Nack = 14,
        Commit = 15,
        Ping = 16,
        PingAck = 17,
        ForwardRequest = 18,
        ForwardReply = 19,
        SyncRequest = 20,
        SyncReply = 21,
    }

    /// <summary>Encodes <paramref name="message"/> into a new array.</summary>
    public static byte[] Encode(ReplicaMessage message)
    {
        var w = new Writer(SizeHint(message));
        w.Byte(Version);
        switch (message)
        {
            case Notification m:
                w.Byte((byte)Tag.Notification).Long(m.Round).Int(m.ProposedLeader).Long(m.ProposedEpoch).Long(m.ProposedZxid).Byte((byte)m.State);
                break;
            case FollowerInfo m:
                w.Byte((byte)Tag.FollowerInfo).Long(m.Session).Long(m.AcceptedEpoch).Int(m.AcceptedLeaderId).Long(m.CurrentEpoch).Long(m.LastZxid).Byte(m.IsObserver ? (byte)1 : (byte)0);
                break;
            case NewEpoch m:
                w.Byte((byte)Tag.NewEpoch).Long(m.Epoch).Long(m.Session);
                break;
            case AckEpoch m:
                w.Byte((byte)Tag.AckEpoch).Long(m.Epoch).Long(m.Session).Long(m.CurrentEpoch).Long(m.LastZxid);
                break;
            case Diff m:
                w.Byte((byte)Tag.Diff).Long(m.Epoch).Long(m.Session).Long(m.FromZxid).Records(m.Records);
                break;
            case Trunc m:
                w.Byte((byte)Tag.Trunc).Long(m.Epoch).Long(m.Session).Long(m.TruncateAfterZxid).Records(m.Records);
                break;
            case Snap m:
                w.Byte((byte)Tag.Snap).Long(m.Epoch).Long(m.Session).Long(m.SnapshotZxid).Bytes(m.Snapshot).Records(m.Records);
                break;
            case NewLeader m:
                w.Byte((byte)Tag.NewLeader).Long(m.Epoch).Long(m.Session).Long(m.LastZxid);
                break;
            case AckNewLeader m:
                w.Byte((byte)Tag.AckNewLeader).Long(m.Epoch).Long(m.Session).Long(m.LastZxid);
                break;
            case SnapNeeded m:
                w.Byte((byte)Tag.SnapNeeded).Long(m.Epoch).Long(m.Session);
                break;
            case Proposal m:
                w.Byte((byte)Tag.Proposal).Long(m.Epoch).Long(m.PrevZxid).Records(m.Records).Long(m.CommitZxid);
                break;
            case Inform m:
                w.Byte((byte)Tag.Inform).Long(m.Epoch).Long(m.PrevZxid).Records(m.Records).Long(m.CommitZxid);
                break;
            case Ack m:
                w.Byte((byte)Tag.Ack).Long(m.Epoch).Long(m.Zxid);
                break;
            case Nack m:
                w.Byte((byte)Tag.Nack).Long(m.Epoch).Long(m.LastZxid);
                break;
            case Commit m:
                w.Byte((byte)Tag.Commit).Long(m.Epoch).Long(m.Zxid);
                break;
            case Ping m:
                w.Byte((byte)Tag.Ping).Long(m.Epoch).Long(m.Round).Long(m.CommitZxid).Long(m.LastZxid);
                break;
            case PingAck m:
                w.Byte((byte)Tag.PingAck).Long(m.Epoch).Long(m.Round).Long(m.LastZxid).Long(m.DurableZxid);
                break;
            case ForwardRequest m:
                w.Byte((byte)Tag.ForwardRequest).Int(m.Origin).Long(m.RequestId).Bytes(m.Payload);
                break;
            case ForwardReply m:
                w.Byte((byte)Tag.ForwardReply).Long(m.RequestId).Byte((byte)m.Status).Bytes(m.Payload);
                break;
            case SyncRequest m:
                w.Byte((byte)Tag.SyncRequest).Long(m.SyncId);
                break;
            case SyncReply m:
                w.Byte((byte)Tag.SyncReply).Long(m.Epoch).Long(m.SyncId).Long(m.Zxid);
                break;
            default:
                throw new ArgumentException($"unknown message type {message.GetType().Name}", nameof(message));
        }

        return w.ToArray();
    }

    /// <summary>
    /// The encoded size of the messages that carry records or payloads (exact, so they are written into one array of
    /// the right size: no doubling, no final copy), and a small first buffer for the fixed-size rest.
    /// </summary>
    private static int SizeHint(ReplicaMessage message) => message switch
    {
        Proposal m => 2 + 8 + 8 + RecordsSize(m.Records) + 8,
        Inform m => 2 + 8 + 8 + RecordsSize(m.Records) + 8,
        Diff m => 2 + 8 + 8 + 8 + RecordsSize(m.Records),
        Trunc m => 2 + 8 + 8 + 8 + RecordsSize(m.Records),
        Snap m => 2 + 8 + 8 + 8 + 4 + m.Snapshot.Length + RecordsSize(m.Records),
        ForwardRequest m => 2 + 4 + 8 + 4 + m.Payload.Length,
        ForwardReply m => 2 + 8 + 1 + 4 + m.Payload.Length,
        _ => 64,
    };

    private static int RecordsSize(IReadOnlyList<LogEntry> records)
    {
        var size = 4;
        foreach (var record in records)
        {
            size += 8 + 4 + record.Payload.Length;
        }

        return size;
    }

    /// <summary>Decodes one message that fills <paramref name="bytes"/> exactly; throws <see cref="MessageFormatException"/> otherwise.</summary>
    public static ReplicaMessage Decode(ReadOnlySpan<byte> bytes)
    {
        var r = new Reader(bytes);
        var version = r.Byte();
        if (version != Version)
        {
            throw new MessageFormatException($"unsupported message version {version} (expected {Version})");
        }

        var tag = (Tag)r.Byte();
        ReplicaMessage message = tag switch
        {
            Tag.Notification => new Notification(r.Long(), r.Int(), r.Long(), r.Long(), r.State()),
            Tag.FollowerInfo => new FollowerInfo(r.Long(), r.Long(), r.Int(), r.Long(), r.Long(), r.Bool()),
            Tag.NewEpoch => new NewEpoch(r.Long(), r.Long()),
            Tag.AckEpoch => new AckEpoch(r.Long(), r.Long(), r.Long(), r.Long()),
            Tag.Diff => new Diff(r.Long(), r.Long(), r.Long(), r.Records()),
            Tag.Trunc => new Trunc(r.Long(), r.Long(), r.Long(), r.Records()),
            Tag.Snap => new Snap(r.Long(), r.Long(), r.Long(), r.Bytes(), r.Records()),
            Tag.NewLeader => new NewLeader(r.Long(), r.Long(), r.Long()),
            Tag.AckNewLeader => new AckNewLeader(r.Long(), r.Long(), r.Long()),
            Tag.SnapNeeded => new SnapNeeded(r.Long(), r.Long()),
            Tag.Proposal => new Proposal(r.Long(), r.Long(), r.Records(), r.Long()),
            Tag.Inform => new Inform(r.Long(), r.Long(), r.Records(), r.Long()),
            Tag.Ack => new Ack(r.Long(), r.Long()),
            Tag.Nack => new Nack(r.Long(), r.Long()),
            Tag.Commit => new Commit(r.Long(), r.Long()),
            Tag.Ping => new Ping(r.Long(), r.Long(), r.Long(), r.Long()),
            Tag.PingAck => new PingAck(r.Long(), r.Long(), r.Long(), r.Long()),
            Tag.ForwardRequest => new ForwardRequest(r.Int(), r.Long(), r.Bytes()),
            Tag.ForwardReply => new ForwardReply(r.Long(), r.ForwardStatus(), r.Bytes()),
            Tag.SyncRequest => new SyncRequest(r.Long()),
            Tag.SyncReply => new SyncReply(r.Long(), r.Long(), r.Long()),
            _ => throw new MessageFormatException($"unknown message type {(byte)tag} at offset 1"),
        };
        r.End();
        return message;
    }

    private sealed class Writer(int capacity)
    {
        private byte[] _buffer = new byte[capacity];
        private int _length;

        public Writer Byte(byte value)
        {
            Reserve(1)[0] = value;
            return this;
        }

        public Writer Int(int value)
        {
            BinaryPrimitives.WriteInt32BigEndian(Reserve(4), value);
            return this;
        }

        public Writer Long(long value)
        {
            BinaryPrimitives.WriteInt64BigEndian(Reserve(8), value);
            return this;
        }

        public Writer Bytes(byte[] value)
        {
            Int(value.Length);
            value.CopyTo(Reserve(value.Length));
            return this;
        }

        public Writer Records(IReadOnlyList<LogEntry> records)
        {
            Int(records.Count);
            foreach (var record in records)
            {
                Long(record.Zxid).Bytes(record.Payload);
            }

            return this;
        }

        public byte[] ToArray() => _length == _buffer.Length ? _buffer : _buffer.AsSpan(0, _length).ToArray();

        private Span<byte> Reserve(int count)
        {
            if (_length + count > _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
            }

            var span = _buffer.AsSpan(_length, count);
            _length += count;
            return span;
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private int _offset;

        public byte Byte() => Take(1)[0];

        public int Int() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

        public long Long() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

        public bool Bool() => Byte() switch
        {
            0 => false,
            1 => true,
            var b => throw new MessageFormatException($"invalid boolean {b} at offset {_offset - 1}"),
        };

        public PeerState State()
        {
            var b = Byte();
            return b is >= (byte)PeerState.Looking and <= (byte)PeerState.Observing
                ? (PeerState)b
                : throw new MessageFormatException($"invalid peer state {b} at offset {_offset - 1}");
        }

        public ForwardStatus ForwardStatus()
        {
            var b = Byte();
            return b is (byte)Messages.ForwardStatus.Reply or (byte)Messages.ForwardStatus.NotLeader
                ? (ForwardStatus)b
                : throw new MessageFormatException($"invalid forward status {b} at offset {_offset - 1}");
        }

        public byte[] Bytes()
        {
            var at = _offset;
            var length = Int();
            if (length < 0 || length > _bytes.Length - _offset)
            {
                throw new MessageFormatException($"byte array length {length} at offset {at} runs past the end ({_bytes.Length} bytes)");
            }

            return Take(length).ToArray();
        }

        public LogEntry[] Records()
        {
            var at = _offset;
            var count = Int();
            // Each record needs at least 12 bytes, so a count the remaining bytes cannot hold is rejected before allocating.
            if (count < 0 || count > (_bytes.Length - _offset) / 12)
            {
                throw new MessageFormatException($"record count {count} at offset {at} is impossible for the remaining {_bytes.Length - _offset} bytes");
            }

            var records = new LogEntry[count];
            for (var i = 0; i < count; i++)
            {
                records[i] = new LogEntry(Long(), Bytes());
            }

            return records;
        }

        public readonly void End()
        {
            if (_offset != _bytes.Length)
            {
                throw new MessageFormatException($"{_bytes.Length - _offset} trailing bytes after the message at offset {_offset}");
            }
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            if (count > _bytes.Length - _offset)
            {
                throw new MessageFormatException($"message truncated: needed {count} bytes at offset {_offset}, {_bytes.Length - _offset} left");
            }

            var span = _bytes.Slice(_offset, count);
            _offset += count;
            return span;
        }
    }
}

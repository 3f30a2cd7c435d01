using System.Collections;
using Orleans.Coordination.Consensus.Messages;

namespace Orleans.Coordination.Consensus.Tests;

public sealed class MessageCodecTests
{
    private static readonly LogEntry[] SomeRecords =
    [
        new(Zxid.Make(3, 1), [1, 2, 3]),
        new(Zxid.Make(3, 2), []),
        new(Zxid.Make(3, 3), [.. Enumerable.Range(0, 300).Select(i => (byte)i)]),
    ];

    public static TheoryData<ReplicaMessage> AllMessages() =>
    [
        new Notification(7, 2, 5, Zxid.Make(5, 9), PeerState.Looking),
        new Notification(long.MaxValue, -1, 0, 0, PeerState.Observing),
        new Notification(1, 3, 2, 0, PeerState.Leading),
        new Notification(1, 3, 2, 0, PeerState.Following),
        new FollowerInfo(0x1_0000_0002, 4, 2, 3, Zxid.Make(3, 17), false),
        new FollowerInfo(1, 0, -1, 0, 0, true),
        new NewEpoch(6, 42),
        new AckEpoch(6, 42, 5, Zxid.Make(5, 3)),
        new Diff(6, 42, Zxid.Make(5, 3), SomeRecords),
        new Diff(6, 42, 0, []),
        new Trunc(6, 42, Zxid.Make(4, 8), SomeRecords),
        new Snap(6, 42, Zxid.Make(5, 2), [9, 8, 7, 6], SomeRecords),
        new Snap(6, 42, 0, [], []),
        new NewLeader(6, 42, Zxid.Make(5, 3)),
        new AckNewLeader(6, 42, Zxid.Make(5, 3)),
        new SnapNeeded(6, 42),
        new Proposal(6, Zxid.Make(6, 0), SomeRecords, Zxid.Make(5, 3)),
        new Inform(6, Zxid.Make(5, 3), SomeRecords, Zxid.Make(6, 3)),
        new Ack(6, Zxid.Make(6, 9)),
        new Nack(6, Zxid.Make(6, 2)),
        new Commit(6, Zxid.Make(6, 9)),
        new Ping(6, 99, Zxid.Make(6, 9), Zxid.Make(6, 11)),
        new PingAck(6, 99, Zxid.Make(6, 11), Zxid.Make(6, 10)),
        new ForwardRequest(3, 1234, [1, 2]),
        new ForwardReply(1234, ForwardStatus.Reply, [3, 4, 5]),
        new ForwardReply(1234, ForwardStatus.NotLeader, []),
        new SyncRequest(77),
        new SyncReply(6, 77, Zxid.Make(6, 9)),
        new SyncReply(0, 77, -1),
    ];

    [Theory]
    [MemberData(nameof(AllMessages))]
    public void Every_message_round_trips(ReplicaMessage message)
    {
        var bytes = MessageCodec.Encode(message);
        var decoded = MessageCodec.Decode(bytes);

        AssertSameMessage(message, decoded);
        Assert.Equal(bytes, MessageCodec.Encode(decoded));
    }

    [Fact]
    public void Every_message_type_is_covered_by_the_round_trip_data()
    {
        var covered = ((IEnumerable<object[]>)AllMessages()).Select(row => row[0].GetType()).ToHashSet();
        var all = typeof(ReplicaMessage).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(ReplicaMessage)) && !t.IsAbstract).ToList();

        Assert.Equal(21, all.Count);
        Assert.All(all, t => Assert.Contains(t, covered));
    }

    [Theory]
    [MemberData(nameof(AllMessages))]
    public void Every_truncation_of_a_message_is_rejected(ReplicaMessage message)
    {
        var bytes = MessageCodec.Encode(message);
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<MessageFormatException>(() => MessageCodec.Decode(bytes.AsSpan(0, length)));
        }
    }

    [Fact]
    public void Trailing_bytes_are_rejected()
    {
        var bytes = MessageCodec.Encode(new Ack(1, 2)).Append((byte)0).ToArray();

        var e = Assert.Throws<MessageFormatException>(() => MessageCodec.Decode(bytes));
        Assert.Contains("trailing", e.Message);
    }

    [Fact]
    public void Unknown_version_and_type_are_rejected()
    {
        var bytes = MessageCodec.Encode(new Ack(1, 2));
        var badVersion = (byte[])bytes.Clone();
        badVersion[0] = 2;
        var badType = (byte[])bytes.Clone();
        badType[1] = 200;

        Assert.Contains("version", Assert.Throws<MessageFormatException>(() => MessageCodec.Decode(badVersion)).Message);
        Assert.Contains("type", Assert.Throws<MessageFormatException>(() => MessageCodec.Decode(badType)).Message);
    }

    [Fact]
    public void Impossible_lengths_and_enums_are_rejected_before_allocating()
    {
        // Diff with a record count of int.MaxValue: must fail on the count, not try to allocate.
        var diff = MessageCodec.Encode(new Diff(1, 2, 3, []));
        diff[^4] = 0x7f;
        diff[^3] = diff[^2] = diff[^1] = 0xff;
        Assert.Contains("record count", Assert.Throws<MessageFormatException>(() => MessageCodec.Decode(diff)).Message);

        var forward = MessageCodec.Encode(new ForwardRequest(1, 2, []));
        forward[^4] = 0xff; // negative length
        Assert.Contains("length", Assert.Throws<MessageFormatException>(() => MessageCodec.Decode(forward)).Message);

        var note = MessageCodec.Encode(new Notification(1, 2, 3, 4, PeerState.Looking));
        note[^1] = 9;
        Assert.Contains("peer state", Assert.Throws<MessageFormatException>(() => MessageCodec.Decode(note)).Message);

        var info = MessageCodec.Encode(new FollowerInfo(1, 2, 3, 4, 5, false));
        info[^1] = 2;
        Assert.Contains("boolean", Assert.Throws<MessageFormatException>(() => MessageCodec.Decode(info)).Message);
    }

    [Fact]
    public void Encoding_is_big_endian_and_stable()
    {
        // version 1, tag 13 (Ack), epoch 0x0102030405060708, zxid 0x0000000500000009
        var bytes = MessageCodec.Encode(new Ack(0x0102030405060708, Zxid.Make(5, 9)));

        Assert.Equal(
            new byte[] { 1, 13, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 5, 0, 0, 0, 9 },
            bytes);
    }

    [Fact]
    public void Random_bytes_never_crash_the_decoder()
    {
        var rng = new Random(5);
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = new byte[rng.Next(0, 64)];
            rng.NextBytes(bytes);
            if (bytes.Length > 0)
            {
                bytes[0] = MessageCodec.Version;
            }

            try
            {
                MessageCodec.Decode(bytes);
            }
            catch (MessageFormatException)
            {
            }
        }
    }

    private static void AssertSameMessage(ReplicaMessage expected, ReplicaMessage actual)
    {
        Assert.Equal(expected.GetType(), actual.GetType());
        foreach (var property in expected.GetType().GetProperties().Where(p => p.Name != "EqualityContract"))
        {
            var e = property.GetValue(expected);
            var a = property.GetValue(actual);
            switch (e)
            {
                case byte[] bytes:
                    Assert.Equal(bytes, (byte[])a!);
                    break;
                case IEnumerable<LogEntry> records:
                    var actualRecords = ((IEnumerable)a!).Cast<LogEntry>().ToList();
                    Assert.Equal(records.Select(r => r.Zxid), actualRecords.Select(r => r.Zxid));
                    Assert.Equal(records.Select(r => r.Payload), actualRecords.Select(r => r.Payload));
                    break;
                default:
                    Assert.Equal(e, a);
                    break;
            }
        }
    }
}

using Orleans.Coordination.Consensus.Messages;

namespace Orleans.Coordination.Consensus.Tests;

/// <summary>Drives one <see cref="ReplicaCore"/> by hand and collects its outputs, for unit tests.</summary>
internal sealed class CoreDriver
{
    public CoreDriver(int id, int voters = 3, int observers = 0, ReplicaDurableState? state = null)
    {
        var members = Enumerable.Range(1, voters).Select(i => new EnsembleMember(i, MemberRole.Voter))
            .Concat(Enumerable.Range(voters + 1, observers).Select(i => new EnsembleMember(i, MemberRole.Observer)))
            .ToList();
        Core = new ReplicaCore(new ReplicaOptions { ServerId = id, Members = members }, state ?? ReplicaDurableState.Empty);
        Do(c => c.Start());
    }

    public ReplicaCore Core { get; }

    public List<ReplicaOutput> All { get; } = [];

    public List<ReplicaOutput> Do(Action<ReplicaCore> input)
    {
        input(Core);
        var outputs = Core.TakeOutputs();
        All.AddRange(outputs);
        return outputs;
    }

    public List<ReplicaOutput> Receive(int from, ReplicaMessage message) => Do(c => c.Receive(from, message));

    public static IEnumerable<T> Sent<T>(IEnumerable<ReplicaOutput> outputs, int? to = null)
        where T : ReplicaMessage =>
        outputs.OfType<SendMessage>().Where(s => to is null || s.To == to).Select(s => s.Message).OfType<T>();

    /// <summary>
    /// Makes this (looking) server follow <paramref name="leader"/> by telling it that the leader leads and a quorum
    /// follows it; returns the FOLLOWERINFO it sends.
    /// </summary>
    public FollowerInfo Follow(int leader, params int[] followers)
    {
        var outputs = Receive(leader, new Notification(1, leader, 0, 0, PeerState.Leading));
        foreach (var f in followers)
        {
            outputs.AddRange(Receive(f, new Notification(1, leader, 0, 0, PeerState.Following)));
        }

        return Assert.Single(Sent<FollowerInfo>(outputs, leader));
    }

    /// <summary>Follows <paramref name="leader"/> through NEWEPOCH, with the accepted epoch made durable; returns the session.</summary>
    public long AcceptEpoch(int leader, long epoch, params int[] followers)
    {
        var info = Follow(leader, followers);
        var outputs = Receive(leader, new NewEpoch(epoch, info.Session));
        foreach (var persist in outputs.OfType<PersistEpochs>().ToList())
        {
            outputs.AddRange(Do(c => c.EpochPersisted(persist.Epochs)));
        }

        Assert.Single(Sent<AckEpoch>(outputs, leader));
        return info.Session;
    }

    public static byte[] Payload(long id) => BitConverter.GetBytes(id);

    public static List<LogEntry> Records(long epoch, int fromCounter, int toCounter) =>
        Enumerable.Range(fromCounter, toCounter - fromCounter + 1).Select(c => new LogEntry(Zxid.Make(epoch, c), Payload(c))).ToList();
}

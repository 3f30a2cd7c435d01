namespace Orleans.Coordination.Consensus;

/// <summary>A vote for a leader; votes are ordered by (epoch, zxid, server id).</summary>
/// <param name="Leader">The proposed leader.</param>
/// <param name="Epoch">Its currentEpoch.</param>
/// <param name="Zxid">Its last logged zxid.</param>
public readonly record struct Vote(int Leader, long Epoch, long Zxid) : IComparable<Vote>
{
    /// <inheritdoc />
    public int CompareTo(Vote other)
    {
        var c = Epoch.CompareTo(other.Epoch);
        if (c != 0)
        {
            return c;
        }

        c = Zxid.CompareTo(other.Zxid);
        return c != 0 ? c : Leader.CompareTo(other.Leader);
    }

    /// <summary>Whether this vote beats <paramref name="other"/>.</summary>
    public bool IsBetterThan(Vote other) => CompareTo(other) > 0;
}

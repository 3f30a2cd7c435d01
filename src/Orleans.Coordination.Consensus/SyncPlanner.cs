using Orleans.Coordination.Consensus.Messages;

namespace Orleans.Coordination.Consensus;

/// <summary>The leader's choice between DIFF, TRUNC and SNAP for one follower.</summary>
internal static class SyncPlanner
{
    /// <summary>
    /// Plans how to bring a follower whose log ends at <paramref name="followerLastZxid"/> in line with the leader's
    /// history: the snapshot point <paramref name="leaderBase"/> followed by <paramref name="leaderLog"/>.
    /// </summary>
    /// <param name="followerLastZxid">The follower's last logged zxid (from ACKEPOCH).</param>
    /// <param name="leaderBase">The leader's compaction point; records up to it are only in snapshots.</param>
    /// <param name="leaderLog">The leader's records after <paramref name="leaderBase"/>, ascending.</param>
    /// <param name="point">DIFF: the follower's last zxid; TRUNC: the zxid to truncate after; SNAP: unused.</param>
    public static SyncKind Plan(long followerLastZxid, long leaderBase, IReadOnlyList<LogEntry> leaderLog, out long point)
    {
        point = followerLastZxid;
        if (followerLastZxid == leaderBase || Contains(leaderLog, followerLastZxid))
        {
            return SyncKind.Diff;
        }

        if (followerLastZxid < leaderBase)
        {
            point = 0;
            return SyncKind.Snap;
        }

        // The follower has records the history lacks (an old epoch's uncommitted proposals, or more than the
        // leader): keep what precedes them. Logs are gap-free and agree wherever both hold a zxid, so the highest
        // history zxid below the follower's end is the last record they share.
        point = leaderBase;
        var lo = 0;
        var hi = leaderLog.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (leaderLog[mid].Zxid < followerLastZxid)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        if (lo > 0)
        {
            point = leaderLog[lo - 1].Zxid;
        }

        return SyncKind.Trunc;
    }

    private static bool Contains(IReadOnlyList<LogEntry> log, long zxid)
    {
        int lo = 0, hi = log.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var z = log[mid].Zxid;
            if (z == zxid)
            {
                return true;
            }

            if (z < zxid)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return false;
    }
}

using Orleans.Coordination.Consensus.Messages;

namespace Orleans.Coordination.Consensus.Tests;

public sealed class SyncPlannerTests
{
    // Leader history: snapshot at 1:3, then 1:4..1:6 and 3:1..3:4 (epoch 2 committed nothing).
    private static readonly List<LogEntry> LeaderLog = [.. CoreDriver.Records(1, 4, 6), .. CoreDriver.Records(3, 1, 4)];
    private static readonly long LeaderBase = Zxid.Make(1, 3);

    [Fact]
    public void Diff_when_the_follower_ends_inside_the_leaders_history()
    {
        Assert.Equal(SyncKind.Diff, SyncPlanner.Plan(Zxid.Make(1, 5), LeaderBase, LeaderLog, out var from));
        Assert.Equal(Zxid.Make(1, 5), from);
    }

    [Fact]
    public void Diff_from_the_snapshot_point_and_empty_diff_when_up_to_date()
    {
        Assert.Equal(SyncKind.Diff, SyncPlanner.Plan(LeaderBase, LeaderBase, LeaderLog, out var from));
        Assert.Equal(LeaderBase, from);
        Assert.Equal(SyncKind.Diff, SyncPlanner.Plan(Zxid.Make(3, 4), LeaderBase, LeaderLog, out from));
        Assert.Equal(Zxid.Make(3, 4), from);
    }

    [Fact]
    public void Trunc_to_the_last_shared_record_when_the_follower_has_an_old_epochs_uncommitted_tail()
    {
        // The follower kept 1:7 and 1:8, proposed by epoch 1's leader but never committed.
        Assert.Equal(SyncKind.Trunc, SyncPlanner.Plan(Zxid.Make(1, 8), LeaderBase, LeaderLog, out var after));
        Assert.Equal(Zxid.Make(1, 6), after);
    }

    [Fact]
    public void Trunc_to_the_leaders_end_when_the_follower_has_more()
    {
        Assert.Equal(SyncKind.Trunc, SyncPlanner.Plan(Zxid.Make(3, 9), LeaderBase, LeaderLog, out var after));
        Assert.Equal(Zxid.Make(3, 4), after);
    }

    [Fact]
    public void Trunc_to_the_snapshot_point_when_no_retained_record_precedes_the_divergence()
    {
        var log = CoreDriver.Records(3, 1, 4);
        Assert.Equal(SyncKind.Trunc, SyncPlanner.Plan(Zxid.Make(2, 7), Zxid.Make(1, 6), log, out var after));
        Assert.Equal(Zxid.Make(1, 6), after);
    }

    [Fact]
    public void Snap_when_the_follower_is_behind_the_leaders_compaction_point()
    {
        Assert.Equal(SyncKind.Snap, SyncPlanner.Plan(Zxid.Make(1, 2), LeaderBase, LeaderLog, out _));
        Assert.Equal(SyncKind.Snap, SyncPlanner.Plan(0, LeaderBase, LeaderLog, out _));
    }

    [Fact]
    public void An_empty_follower_of_an_uncompacted_leader_gets_the_whole_history_as_a_diff()
    {
        Assert.Equal(SyncKind.Diff, SyncPlanner.Plan(0, 0, LeaderLog, out var from));
        Assert.Equal(0, from);
    }
}

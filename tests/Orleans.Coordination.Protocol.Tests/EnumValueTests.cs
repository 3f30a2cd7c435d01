namespace Orleans.Coordination.Protocol.Tests;

/// <summary>
/// Every enum value against the number in the reference (docs/zookeeper-wire-protocol.md §5, §6, §8, §9).
/// Each table also has to name every member of its enum, so a new member cannot slip in unchecked.
/// </summary>
public class EnumValueTests
{
    public static readonly TheoryData<OpCode, int> OpCodes = new()
    {
        { OpCode.Notification, 0 },
        { OpCode.Create, 1 },
        { OpCode.Delete, 2 },
        { OpCode.Exists, 3 },
        { OpCode.GetData, 4 },
        { OpCode.SetData, 5 },
        { OpCode.GetAcl, 6 },
        { OpCode.SetAcl, 7 },
        { OpCode.GetChildren, 8 },
        { OpCode.Sync, 9 },
        { OpCode.Ping, 11 },
        { OpCode.GetChildren2, 12 },
        { OpCode.Check, 13 },
        { OpCode.Multi, 14 },
        { OpCode.Create2, 15 },
        { OpCode.Reconfig, 16 },
        { OpCode.CheckWatches, 17 },
        { OpCode.RemoveWatches, 18 },
        { OpCode.CreateContainer, 19 },
        { OpCode.DeleteContainer, 20 },
        { OpCode.CreateTtl, 21 },
        { OpCode.MultiRead, 22 },
        { OpCode.Auth, 100 },
        { OpCode.SetWatches, 101 },
        { OpCode.Sasl, 102 },
        { OpCode.GetEphemerals, 103 },
        { OpCode.GetAllChildrenNumber, 104 },
        { OpCode.SetWatches2, 105 },
        { OpCode.AddWatch, 106 },
        { OpCode.WhoAmI, 107 },
        { OpCode.CreateSession, -10 },
        { OpCode.CloseSession, -11 },
        { OpCode.Error, -1 },
    };

    public static readonly TheoryData<ErrorCode, int> ErrorCodes = new()
    {
        { ErrorCode.Ok, 0 },
        { ErrorCode.SystemError, -1 },
        { ErrorCode.RuntimeInconsistency, -2 },
        { ErrorCode.DataInconsistency, -3 },
        { ErrorCode.ConnectionLoss, -4 },
        { ErrorCode.MarshallingError, -5 },
        { ErrorCode.Unimplemented, -6 },
        { ErrorCode.OperationTimeout, -7 },
        { ErrorCode.BadArguments, -8 },
        { ErrorCode.UnknownSession, -12 },
        { ErrorCode.NewConfigNoQuorum, -13 },
        { ErrorCode.ReconfigInProgress, -14 },
        { ErrorCode.ApiError, -100 },
        { ErrorCode.NoNode, -101 },
        { ErrorCode.NoAuth, -102 },
        { ErrorCode.BadVersion, -103 },
        { ErrorCode.NoChildrenForEphemerals, -108 },
        { ErrorCode.NodeExists, -110 },
        { ErrorCode.NotEmpty, -111 },
        { ErrorCode.SessionExpired, -112 },
        { ErrorCode.InvalidCallback, -113 },
        { ErrorCode.InvalidAcl, -114 },
        { ErrorCode.AuthFailed, -115 },
        { ErrorCode.SessionMoved, -118 },
        { ErrorCode.NotReadOnly, -119 },
        { ErrorCode.EphemeralOnLocalSession, -120 },
        { ErrorCode.NoWatcher, -121 },
        { ErrorCode.RequestTimeout, -122 },
        { ErrorCode.ReconfigDisabled, -123 },
        { ErrorCode.SessionClosedRequireSaslAuth, -124 },
        { ErrorCode.QuotaExceeded, -125 },
        { ErrorCode.ThrottledOp, -127 },
    };

    public static readonly TheoryData<EventType, int> EventTypes = new()
    {
        { EventType.None, -1 },
        { EventType.NodeCreated, 1 },
        { EventType.NodeDeleted, 2 },
        { EventType.NodeDataChanged, 3 },
        { EventType.NodeChildrenChanged, 4 },
        { EventType.DataWatchRemoved, 5 },
        { EventType.ChildWatchRemoved, 6 },
        { EventType.PersistentWatchRemoved, 7 },
    };

    public static readonly TheoryData<KeeperState, int> KeeperStates = new()
    {
        { KeeperState.Unknown, -1 },
        { KeeperState.Disconnected, 0 },
        { KeeperState.NoSyncConnected, 1 },
        { KeeperState.SyncConnected, 3 },
        { KeeperState.AuthFailed, 4 },
        { KeeperState.ConnectedReadOnly, 5 },
        { KeeperState.SaslAuthenticated, 6 },
        { KeeperState.Closed, 7 },
        { KeeperState.Expired, -112 },
    };

    public static readonly TheoryData<WatcherType, int> WatcherTypes = new()
    {
        { WatcherType.Children, 1 },
        { WatcherType.Data, 2 },
        { WatcherType.Any, 3 },
        { WatcherType.Persistent, 4 },
        { WatcherType.PersistentRecursive, 5 },
    };

    public static readonly TheoryData<AddWatchMode, int> AddWatchModes = new()
    {
        { AddWatchMode.Persistent, 0 },
        { AddWatchMode.PersistentRecursive, 1 },
    };

    public static readonly TheoryData<CreateMode, int> CreateModeValues = new()
    {
        { CreateMode.Persistent, 0 },
        { CreateMode.Ephemeral, 1 },
        { CreateMode.PersistentSequential, 2 },
        { CreateMode.EphemeralSequential, 3 },
        { CreateMode.Container, 4 },
        { CreateMode.PersistentWithTtl, 5 },
        { CreateMode.PersistentSequentialWithTtl, 6 },
    };

    public static readonly TheoryData<Perms, int> PermsValues = new()
    {
        { Perms.None, 0 }, // not in the reference; no bits
        { Perms.Read, 1 },
        { Perms.Write, 2 },
        { Perms.Create, 4 },
        { Perms.Delete, 8 },
        { Perms.Admin, 16 },
        { Perms.All, 31 },
    };

    [Theory]
    [MemberData(nameof(OpCodes))]
    public void OpCode_Value(OpCode value, int expected) => Assert.Equal(expected, (int)value);

    [Theory]
    [MemberData(nameof(ErrorCodes))]
    public void ErrorCode_Value(ErrorCode value, int expected) => Assert.Equal(expected, (int)value);

    [Theory]
    [MemberData(nameof(EventTypes))]
    public void EventType_Value(EventType value, int expected) => Assert.Equal(expected, (int)value);

    [Theory]
    [MemberData(nameof(KeeperStates))]
    public void KeeperState_Value(KeeperState value, int expected) => Assert.Equal(expected, (int)value);

    [Theory]
    [MemberData(nameof(WatcherTypes))]
    public void WatcherType_Value(WatcherType value, int expected) => Assert.Equal(expected, (int)value);

    [Theory]
    [MemberData(nameof(AddWatchModes))]
    public void AddWatchMode_Value(AddWatchMode value, int expected) => Assert.Equal(expected, (int)value);

    [Theory]
    [MemberData(nameof(CreateModeValues))]
    public void CreateMode_Value(CreateMode value, int expected) => Assert.Equal(expected, (int)value);

    [Theory]
    [MemberData(nameof(PermsValues))]
    public void Perms_Value(Perms value, int expected) => Assert.Equal(expected, (int)value);

    [Fact]
    public void Tables_CoverEveryMember()
    {
        AssertCovers(OpCodes);
        AssertCovers(ErrorCodes);
        AssertCovers(EventTypes);
        AssertCovers(KeeperStates);
        AssertCovers(WatcherTypes);
        AssertCovers(AddWatchModes);
        AssertCovers(CreateModeValues);
        AssertCovers(PermsValues);
    }

    [Fact]
    public void Values_AreDistinct()
    {
        // Two names for one number would mean one of them is a typo.
        AssertDistinct<OpCode>();
        AssertDistinct<ErrorCode>();
        AssertDistinct<EventType>();
        AssertDistinct<KeeperState>();
        AssertDistinct<WatcherType>();
        AssertDistinct<AddWatchMode>();
        AssertDistinct<CreateMode>();
        AssertDistinct<Perms>();
    }

    [Fact]
    public void NoErrorCodeMinus126()
    {
        Assert.False(Enum.IsDefined((ErrorCode)(-126)));
    }

    [Fact]
    public void PermsAll_IsEveryBit()
    {
        Assert.Equal(Perms.All, Perms.Read | Perms.Write | Perms.Create | Perms.Delete | Perms.Admin);
    }

    [Fact]
    public void SpecialXids()
    {
        Assert.Equal(-1, Xids.Notification);
        Assert.Equal(-2, Xids.Ping);
        Assert.Equal(-4, Xids.Auth);
        Assert.Equal(-8, Xids.SetWatches);
    }

    private static void AssertCovers<T>(TheoryData<T, int> table)
        where T : struct, Enum
    {
        var listed = table.Select(row => (T)row[0]).ToHashSet();
        var missing = Enum.GetValues<T>().Where(v => !listed.Contains(v)).ToList();
        Assert.True(missing.Count == 0, $"{typeof(T).Name} members missing from the table: {string.Join(", ", missing)}");
        Assert.Equal(Enum.GetValues<T>().Length, table.Count());
    }

    private static void AssertDistinct<T>()
        where T : struct, Enum
    {
        var names = Enum.GetNames<T>();
        var values = Enum.GetValues<T>().Select(v => Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture)).Distinct().Count();
        Assert.Equal(names.Length, values);
    }
}

namespace Orleans.Coordination.Consensus.Tests;

public sealed class ZxidTests
{
    [Fact]
    public void Epoch_and_counter_are_the_high_and_low_halves()
    {
        var zxid = Zxid.Make(0x1234, 0xabcdef);

        Assert.Equal(0x0000_1234_00ab_cdefL, zxid);
        Assert.Equal(0x1234, Zxid.EpochOf(zxid));
        Assert.Equal(0xabcdef, Zxid.CounterOf(zxid));
        Assert.Equal("1234:abcdef", Zxid.Format(zxid));
    }

    [Fact]
    public void A_later_epoch_always_orders_after_any_counter_of_an_earlier_one()
    {
        Assert.True(Zxid.Make(2, 1) > Zxid.Make(1, Zxid.MaxCounter));
    }

    [Theory]
    [InlineData(1, 5, 1, 6, true)]
    [InlineData(1, 5, 1, 7, false)] // gap inside an epoch
    [InlineData(1, 5, 2, 1, true)]
    [InlineData(1, 5, 3, 1, true)] // epochs without proposals are skipped
    [InlineData(1, 5, 2, 2, false)] // a new epoch starts at counter 1
    [InlineData(1, 5, 1, 5, false)]
    [InlineData(0, 0, 1, 1, true)] // the empty history
    [InlineData(0, 0, 1, 2, false)]
    public void Successor_rule_detects_gaps(long e1, long c1, long e2, long c2, bool expected) =>
        Assert.Equal(expected, Zxid.IsSuccessor(Zxid.Make(e1, c1), Zxid.Make(e2, c2)));
}

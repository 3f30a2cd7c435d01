namespace Orleans.Coordination.Protocol.Tests;

public class CreateModeTests
{
    [Theory]
    [InlineData(0, true, false, false, false, false)]
    [InlineData(1, true, true, false, false, false)]
    [InlineData(2, true, false, true, false, false)]
    [InlineData(3, true, true, true, false, false)]
    [InlineData(4, true, false, false, true, false)]
    [InlineData(5, true, false, false, false, true)]
    [InlineData(6, true, false, true, false, true)]
    [InlineData(7, false, false, false, false, false)]
    [InlineData(-1, false, false, false, false, false)]
    [InlineData(int.MaxValue, false, false, false, false, false)]
    public void Flags_ParseAndClassify(int flags, bool valid, bool ephemeral, bool sequential, bool container, bool ttl)
    {
        Assert.Equal(valid, CreateModes.TryParse(flags, out var mode));
        if (!valid)
        {
            return;
        }

        Assert.Equal(flags, (int)mode);
        Assert.Equal(ephemeral, mode.IsEphemeral());
        Assert.Equal(sequential, mode.IsSequential());
        Assert.Equal(container, mode.IsContainer());
        Assert.Equal(ttl, mode.IsTtl());
    }

    [Fact]
    public void EphemeralOwners_MatchTheReference()
    {
        Assert.Equal(unchecked((long)0x8000000000000000UL), EphemeralOwners.Container);
        Assert.Equal(unchecked((long)0xFF00000000000000UL), EphemeralOwners.TtlMask);
        Assert.Equal((1L << 40) - 1, EphemeralOwners.MaxTtl);

        var ttl = EphemeralOwners.ForTtl(60_000);
        Assert.Equal(unchecked((long)0xFF0000000000EA60UL), ttl);
        Assert.True(EphemeralOwners.IsTtl(ttl));
        Assert.Equal(60_000, EphemeralOwners.TtlOf(ttl));
        Assert.False(EphemeralOwners.IsSession(ttl));
        Assert.Equal(0, EphemeralOwners.Visible(ttl));

        Assert.True(EphemeralOwners.IsContainer(EphemeralOwners.Container));
        Assert.False(EphemeralOwners.IsTtl(EphemeralOwners.Container));
        Assert.Equal(0, EphemeralOwners.Visible(EphemeralOwners.Container));

        Assert.False(EphemeralOwners.IsSession(0));
        Assert.Equal(0, EphemeralOwners.Visible(0));

        const long session = 0x0100018F12345678;
        Assert.True(EphemeralOwners.IsSession(session));
        Assert.Equal(session, EphemeralOwners.Visible(session));
        Assert.Equal(EphemeralOwners.MaxTtl, EphemeralOwners.TtlOf(EphemeralOwners.ForTtl(EphemeralOwners.MaxTtl)));
    }
}

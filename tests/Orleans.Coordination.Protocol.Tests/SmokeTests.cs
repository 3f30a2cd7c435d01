namespace Orleans.Coordination.Protocol.Tests;

public class SmokeTests
{
    [Fact]
    public void Runs() => Assert.True(true);
}

using Orleans.Coordination.Server.Tests.TestSupport;

namespace Orleans.Coordination.Server.Tests;

/// <summary>Hosting a silo in process, as tests and tools do.</summary>
public sealed class SiloHostTests
{
    [Fact]
    public async Task Client_port_0_binds_a_free_port_and_reports_it()
    {
        await using var silo = await TestSilo.StartAsync(o => o.ClientPort = 0);
        Assert.InRange(silo.Port, 1, 65535);
        await using var c = await silo.ConnectAsync();
        await c.AssertHealthyAsync("/hello");
    }

    [Fact]
    public async Task Client_port_0_is_reported_even_with_the_admin_endpoint_on_a_free_port()
    {
        await using var silo = await TestSilo.StartAsync(o =>
        {
            o.ClientPort = 0;
            o.AdminEnabled = true;
            o.AdminPort = 0;
        });
        await using var c = await silo.ConnectAsync();
        await c.AssertHealthyAsync("/hello");
    }

    [Fact]
    public async Task Two_silos_run_side_by_side_with_separate_state()
    {
        await using var one = await TestSilo.StartAsync();
        await using var two = await TestSilo.StartAsync();
        Assert.NotEqual(one.Port, two.Port);
        await using var a = await one.ConnectAsync();
        await using var b = await two.ConnectAsync();
        await a.CreateOkAsync("/only-on-one");
        Assert.False(await b.NodeExistsAsync("/only-on-one"));
    }
}

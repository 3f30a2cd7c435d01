using System.Collections.Concurrent;
using System.Diagnostics;
using Orleans.Coordination.Protocol;

namespace Orleans.Coordination.Client.Tests;

/// <summary>Pings, silence detection and local expiry; these take a few session timeouts (short ones).</summary>
public abstract partial class ClientContractTests
{
    [Fact]
    public async Task Pings_keep_an_idle_session_alive()
    {
        var client = NewClient(configure: o => o.SessionTimeout = TimeSpan.FromSeconds(4));
        var transitions = new ConcurrentQueue<ConnectionState>();
        client.StateChanged += (_, e) => transitions.Enqueue(e.State);
        await Within(client.CreateAsync(P("idle"), null, mode: CreateMode.Ephemeral));
        var sessionId = client.SessionId;

        // Without pings the server would expire the session after 4 to 6 s of silence.
        await Task.Delay(client.SessionTimeout * 1.6);
        Assert.Equal([ConnectionState.Connected], transitions);
        Assert.Equal(ConnectionState.Connected, client.State);
        Assert.Equal(sessionId, (await Within(Client.ExistsAsync(P("idle"))))!.Value.EphemeralOwner);
    }

    [Fact]
    public async Task A_silent_server_is_detected_within_two_thirds_of_the_timeout_and_the_session_resumes()
    {
        var client = await ConnectAsync(configure: o => o.SessionTimeout = TimeSpan.FromSeconds(6));
        var timeout = client.SessionTimeout;
        await Within(client.CreateAsync(P("frozen"), null, mode: CreateMode.Ephemeral));
        var watched = await Within(client.WatchDataAsync(P("frozen")));
        var sessionId = client.SessionId;

        var clock = Stopwatch.StartNew();
        await Server.PauseAsync();
        try
        {
            await WaitForState(client, ConnectionState.Suspended);
        }
        finally
        {
            await Server.ResumeAsync();
        }

        // Silence is declared 2/3 t after the last reply, and pings every t/3 make that at most t/3 before the pause.
        Assert.InRange(clock.Elapsed, (timeout / 3) - TimeSpan.FromMilliseconds(300), (timeout * 2 / 3) + TimeSpan.FromSeconds(1));
        await WaitForState(client, ConnectionState.Reconnected);
        Assert.Equal(sessionId, client.SessionId);
        Assert.False(watched.Changed.IsCompleted);
        await Within(Client.SetDataAsync(P("frozen"), B("thawed")));
        Assert.Equal(EventType.NodeDataChanged, (await Within(watched.Changed)).Type);
    }

    [Fact]
    public async Task Cut_off_longer_than_the_session_can_live_is_lost_locally()
    {
        var client = await ConnectAsync(configure: o => o.SessionTimeout = TimeSpan.FromSeconds(4));
        var watched = await Within(client.WatchExistsAsync(P("never-created")));
        var clock = Stopwatch.StartNew();
        await Server.PauseAsync();
        try
        {
            await WaitForState(client, ConnectionState.Lost);
        }
        finally
        {
            await Server.ResumeAsync();
        }

        // 4/3 of the timeout after the server was last heard from.
        Assert.InRange(clock.Elapsed, client.SessionTimeout, (client.SessionTimeout * 4 / 3) + TimeSpan.FromSeconds(1.5));
        Assert.Equal(KeeperState.Expired, (await Within(watched.Changed)).State);
        await Assert.ThrowsAsync<SessionExpiredException>(() => client.ExistsAsync(Root));
    }

    [Fact]
    public async Task Rejected_credentials_fail_and_the_client_carries_on_without_them()
    {
        var client = await ConnectAsync();
        await Assert.ThrowsAsync<AuthFailedException>(() => client.AddAuthAsync("no-such-scheme", B("x")).WaitAsync(Timeout));
        // The server drops the connection after AUTHFAILED; the client comes back without the bad credentials.
        await WaitForState(client, ConnectionState.Reconnected);
        await Within(client.AddAuthAsync("digest", B("erin:pw")));
        Assert.Contains(await Within(client.WhoAmIAsync()), i => i.AuthScheme == "digest" && i.User == "erin");
        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task Ensure_path_and_recursive_delete()
    {
        await Within(Client.EnsurePathAsync(P("deep/er/est")));
        await Within(Client.EnsurePathAsync(P("deep/er/est")));
        await Within(Client.CreateAsync(P("deep/er/leaf"), B("l")));
        Assert.Equal(4, await Within(Client.GetAllChildrenNumberAsync(Root)));
        await Within(Client.DeleteRecursiveAsync(P("deep")));
        Assert.Null(await Within(Client.ExistsAsync(P("deep"))));
        await Within(Client.DeleteRecursiveAsync(P("deep")));
    }
}
